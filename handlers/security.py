"""Checks every callback request passes before any handler sees it.

WeChat signs the query string (`signature` over token, timestamp, nonce) and, in the
encrypted modes, the ciphertext (`msg_signature`). Plain mode signs no body, so a captured
signature could carry a forged body: a nonce is therefore accepted once per body, and
timestamps outside the replay window are refused. XML is checked for DTDs and entities
before any parser that might expand them sees it.

One `CallbackGuard` per receiving app, each with its own token, EncodingAESKey and appid:
the official account's callback (`handlers/callback.py`, XML only) and the mini-program's
message push (`handlers/miniprogram_push.py`, XML or JSON, as chosen in its console).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException
from redis.asyncio import Redis
from redis.exceptions import RedisError
from wechatpy.crypto import PrpCrypto

NONCE_KEY = "qiyun:wx:nonce:{scope}{timestamp}:{nonce}"
FORMATS = ("xml", "json")
MAX_CALLBACK_BODY = 64 * 1024  # WeChat's messages are a few KB; anything larger is not WeChat


class CallbackRejected(Exception):
    """The request is refused with `status`; `reason` is logged, never echoed in detail."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ReplayCheckUnavailable(Exception):
    """The request is genuine (signature, time window, decryption) but Redis, which keeps the
    nonces, is unreachable, so a replay cannot be ruled out: answer it without acting on it.

    `opened` is the verified request, so the answer can still be sealed for WeChat."""

    def __init__(self, opened: OpenedCallback) -> None:
        super().__init__("nonce check unavailable (Redis unreachable)")
        self.opened = opened


@dataclass(frozen=True)
class OpenedCallback:
    """A verified request: the plaintext message (XML, or JSON where the guard accepts it)
    and how to answer it."""

    plaintext: str
    encrypted: bool
    timestamp: str
    nonce: str
    data_format: str = "xml"


def _sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _equal(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


_CDATA = re.compile(r"<!\[CDATA\[.*?\]\]>", re.DOTALL)


def check_xml_safe(text: str) -> None:
    """Refuse DTDs, entities and malformed XML; WeChat never sends any of them.

    Looked for outside CDATA only: a follower may well type "<!DOCTYPE html>", and WeChat
    sends what they typed inside CDATA, where it is text, not markup.
    """
    markup = _CDATA.sub("", text)
    if "<!DOCTYPE" in markup or "<!ENTITY" in markup:
        raise CallbackRejected(400, "xml with a DTD or entity")
    try:
        SafeElementTree.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SafeElementTree.ParseError) as exc:
        raise CallbackRejected(400, f"malformed xml: {type(exc).__name__}") from None


def xml_field(text: str, name: str) -> str | None:
    element = SafeElementTree.fromstring(text).find(name)
    return element.text if element is not None else None


def json_object(text: str) -> dict:
    """The body as a JSON object; anything else is refused like malformed XML."""
    try:
        value = json.loads(text)
    except ValueError:
        raise CallbackRejected(400, "malformed json") from None
    if not isinstance(value, dict):
        raise CallbackRejected(400, "json body is not an object")
    return value


def _format_of(text: str, formats: tuple[str, ...]) -> str:
    """XML unless JSON is accepted and the body is a JSON object (WeChat's two data formats)."""
    return "json" if "json" in formats and text.lstrip().startswith("{") else "xml"


class CallbackGuard:
    """Signature, decryption, appid, replay window and nonce checks for one receiving app.

    `scope` keeps apps' nonces apart in Redis (the official account's is ''); `formats` are
    the data formats the app may be configured to send (the official account: XML only).
    """

    def __init__(
        self,
        *,
        token: str,
        aes_key: str | None,
        appid: str,
        replay_window: int,
        redis: Redis,
        scope: str = "",
        formats: tuple[str, ...] = ("xml",),
    ) -> None:
        if not formats or set(formats) - set(FORMATS):
            raise ValueError(f"formats must be a subset of {FORMATS}")
        self.token = token
        self.appid = appid
        self.replay_window = replay_window
        self.redis = redis
        self.scope = scope
        self.formats = formats
        self._crypto = None
        if aes_key:
            import base64

            self._crypto = PrpCrypto(base64.b64decode(aes_key + "="))

    def verify_url(self, *, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """WeChat's server-address check: echo `echostr` when the signature is ours."""
        if not _equal(_sha1(self.token, timestamp, nonce), signature):
            raise CallbackRejected(403, "bad signature on url verification")
        return echostr

    async def open(self, *, params: dict[str, str], body: bytes) -> OpenedCallback:
        if len(body) > MAX_CALLBACK_BODY:
            raise CallbackRejected(413, f"body of {len(body)} bytes")
        timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
        signature = params.get("signature", "")
        if not (timestamp.isdigit() and nonce and signature):
            raise CallbackRejected(403, "missing signature parameters")
        if not _equal(_sha1(self.token, timestamp, nonce), signature):
            raise CallbackRejected(403, "bad signature")
        self._check_window(int(timestamp))
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise CallbackRejected(400, "body is not utf-8") from None
        data_format = _format_of(text, self.formats)
        envelope = self._check_body(text, data_format)
        replay_unchecked: RedisError | None = None
        try:
            await self._check_nonce(timestamp, nonce, body)
        except RedisError as exc:  # signature and time window hold; only the nonce record is out of reach
            replay_unchecked = exc

        opened = self._decrypted(params, text, envelope, timestamp, nonce, data_format)
        if replay_unchecked is not None:
            raise ReplayCheckUnavailable(opened) from replay_unchecked
        return opened

    def _decrypted(
        self, params: dict[str, str], text: str, envelope: dict | None, timestamp: str, nonce: str, data_format: str
    ) -> OpenedCallback:
        encrypted = params.get("encrypt_type") == "aes"
        if not encrypted:
            return OpenedCallback(
                plaintext=text, encrypted=False, timestamp=timestamp, nonce=nonce, data_format=data_format
            )
        if self._crypto is None:
            raise CallbackRejected(400, "encrypted message but no EncodingAESKey configured")
        ciphertext = envelope.get("Encrypt") if envelope is not None else xml_field(text, "Encrypt")
        if not ciphertext or not isinstance(ciphertext, str):
            raise CallbackRejected(400, "encrypted mode without Encrypt")
        msg_signature = params.get("msg_signature", "")
        if not _equal(_sha1(self.token, timestamp, nonce, ciphertext), msg_signature):
            raise CallbackRejected(403, "bad msg_signature")
        try:
            plaintext = self._crypto.decrypt(ciphertext, self.appid)
        except Exception as exc:  # wrong appid inside, bad padding, bad base64: all the same to us
            raise CallbackRejected(403, f"cannot decrypt: {type(exc).__name__}") from None
        self._check_body(plaintext, data_format)
        return OpenedCallback(
            plaintext=plaintext, encrypted=True, timestamp=timestamp, nonce=nonce, data_format=data_format
        )

    @staticmethod
    def _check_body(text: str, data_format: str) -> dict | None:
        """Refuse a body that is not safe, well-formed `data_format`; a JSON body is returned parsed."""
        if data_format == "json":
            return json_object(text)
        check_xml_safe(text)
        return None

    def seal(self, reply_xml: str, opened: OpenedCallback) -> str:
        """The reply as WeChat expects it: encrypted and signed when the request was."""
        if not opened.encrypted or not reply_xml or self._crypto is None:
            return reply_xml
        timestamp = str(int(time.time()))
        nonce = hashlib.sha256(f"{opened.nonce}:{timestamp}".encode()).hexdigest()[:16]
        encrypt = self._crypto.encrypt(reply_xml, self.appid).decode()
        signature = _sha1(self.token, timestamp, nonce, encrypt)
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )

    def _check_window(self, timestamp: int) -> None:
        if self.replay_window and abs(time.time() - timestamp) > self.replay_window:
            raise CallbackRejected(403, "timestamp outside the replay window")

    async def _check_nonce(self, timestamp: str, nonce: str, body: bytes) -> None:
        """A nonce may come again only with the same body: that is WeChat retrying."""
        digest = hashlib.sha256(body).hexdigest()
        key = NONCE_KEY.format(scope=self.scope, timestamp=timestamp, nonce=nonce)
        ttl = max(self.replay_window * 2, 600)
        if await self.redis.set(key, digest, nx=True, ex=ttl):
            return
        seen = await self.redis.get(key)
        if seen is not None and seen.decode() != digest:
            raise CallbackRejected(403, "nonce replayed with a different body")
