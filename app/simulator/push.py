"""Acting as WeChat towards the project: signed (and encrypted) pushes to the
official-account callback and to the mini-program's message push, WeChat's 5 s timeout
and retries, and reading the project's passive reply.

Each app signs with its own credentials (`PushTarget`): the official account's callback
with WECHAT_TOKEN / WECHAT_AES_KEY and its appid, the mini-program's message push with the
mini-program's Token, EncodingAESKey and appid, in XML or JSON as its console says.

Signing and encryption follow WeChat's sample code through wechatpy:
`signature = sha1(sorted(token, timestamp, nonce))`; in the encrypted modes the
message is AES-encrypted with the appid inside (`PrpCrypto`), the URL gains
`encrypt_type=aes&msg_signature=sha1(sorted(token, timestamp, nonce, Encrypt))`,
and the reply is verified and decrypted with `WeChatCrypto.decrypt_message`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from app.simulator.config import SimulatorConfig
from app.simulator.state import SimulatorState
from app.simulator.users import OPENID_RE
from app.simulator.xmlmsg import Fields, build_xml, inbound_fields, normalize_reply, parse_xml

__all__ = [
    "MODES",
    "SERVICE_UNAVAILABLE",
    "CallbackClient",
    "PushError",
    "PushTarget",
    "miniprogram_event_fields",
    "miniprogram_target",
    "official_account_target",
    "push_as_follower",
    "push_to_miniprogram",
    "signature",
    "verify_url",
]

MODES = ("plain", "compatible", "safe")
MAX_TRIES = 3
SERVICE_UNAVAILABLE = "该公众号暂时无法提供服务，请稍后再试"
# Follower actions that open the 48 h customer-service window.
_INTERACTIVE_EVENTS = frozenset(
    {"subscribe", "SCAN", "CLICK", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
     "pic_photo_or_album", "pic_weixin", "location_select"}
)


class PushError(ValueError):
    """The push request itself is unusable (no callback, bad mode, bad openid)."""


def signature(*parts: str) -> str:
    """WeChat's signature: sha1 over the sorted, concatenated parts."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _ms(since: float) -> int:
    return int((time.perf_counter() - since) * 1000)


@dataclass(frozen=True)
class PushTarget:
    """Where one app's pushes go and how WeChat signs them."""

    name: str
    url: str | None
    token: str
    aes_key: str | None
    appid: str
    original_id: str
    data_format: str = "xml"


def official_account_target(cfg: SimulatorConfig) -> PushTarget:
    return PushTarget(
        name="callback", url=cfg.callback_url, token=cfg.callback_token, aes_key=cfg.callback_aes_key,
        appid=cfg.callback_appid, original_id=cfg.callback_original_id,
    )


def miniprogram_target(cfg: SimulatorConfig, appid: str | None = None) -> PushTarget:
    """The mini-program's message push; `appid` is the mini-program the event is about
    (default: the configured one)."""
    return PushTarget(
        name="miniprogram_push", url=cfg.miniprogram_push_url, token=cfg.miniprogram_token,
        aes_key=cfg.miniprogram_aes_key, appid=appid or cfg.miniprogram_appid,
        original_id=cfg.miniprogram_original_id, data_format=cfg.miniprogram_data_format,
    )


class CallbackClient:
    """HTTP client towards the project's callback, shared by pushes and events."""

    def __init__(self, state: SimulatorState) -> None:
        self.state = state
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"User-Agent": "Mozilla/4.0"})
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def target(self) -> PushTarget:
        """The official account's callback (the default target of every method)."""
        return official_account_target(self.state.config)

    def default_mode(self, target: PushTarget | None = None) -> str:
        return "safe" if (target or self.target()).aes_key else "plain"

    def crypto(self, target: PushTarget | None = None) -> WeChatCrypto | None:
        target = target or self.target()
        if not target.aes_key:
            return None
        return WeChatCrypto(target.token, target.aes_key, target.appid)

    def envelope(
        self, fields: Fields, *, openid: str, mode: str, target: PushTarget | None = None
    ) -> tuple[dict[str, str], str]:
        """(query string, body) of one push in `mode`, in the target's data format."""
        target = target or self.target()
        render = _render_json if target.data_format == "json" else build_xml
        plaintext = render(fields)
        timestamp = str(int(self.state.now()))
        nonce = str(self.state.rng.randint(100_000_000, 9_999_999_999))
        query = {
            "signature": signature(target.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": openid,
        }
        if mode == "plain":
            return query, plaintext
        crypto = self.crypto(target)
        if crypto is None:
            raise PushError(f"{mode} mode needs {_aes_key_field(target)}")
        encrypt = PrpCrypto(crypto.key).encrypt(plaintext, target.appid).decode("ascii")
        query["encrypt_type"] = "aes"
        query["msg_signature"] = signature(target.token, timestamp, nonce, encrypt)
        if mode == "safe":
            return query, render([("ToUserName", target.original_id), ("Encrypt", encrypt)])
        return query, render([*fields, ("Encrypt", encrypt)])

    async def deliver(
        self, url: str, fields: Fields, *, openid: str, mode: str, retries: bool, timeout: float | None = None,
        target: PushTarget | None = None,
    ) -> dict[str, Any]:
        """POST the push, retrying on no answer within `timeout` when `retries`
        (3 tries in all, same MsgId/CreateTime, fresh timestamp/nonce/signature)."""
        target = target or self.target()
        timeout = self.state.config.callback_timeout_s if timeout is None else timeout
        content_type = "application/json" if target.data_format == "json" else "text/xml"
        attempts: list[dict[str, Any]] = []
        started = time.perf_counter()
        outcome: dict[str, Any] = {"status": None, "reply_raw": None}
        for attempt in range(1, (MAX_TRIES if retries else 1) + 1):
            query, body = self.envelope(fields, openid=openid, mode=mode, target=target)
            t0 = time.perf_counter()
            try:
                async with self.session().post(
                    url,
                    params=query,
                    data=body.encode("utf-8"),
                    headers={"Content-Type": content_type},
                    timeout=aiohttp.ClientTimeout(total=timeout),
                ) as response:
                    raw = (await response.read()).decode("utf-8", "replace")
                attempts.append({"try": attempt, "status": response.status, "elapsed_ms": _ms(t0)})
                outcome = {"status": response.status, "reply_raw": raw, "query": query, "body": body}
                break
            except TimeoutError:
                attempts.append({"try": attempt, "error": "timeout", "elapsed_ms": _ms(t0)})
            except aiohttp.ClientError as exc:
                attempts.append({"try": attempt, "error": f"{type(exc).__name__}: {exc}", "elapsed_ms": _ms(t0)})
        outcome.update({"tries": len(attempts), "attempts": attempts, "elapsed_ms": _ms(started)})
        return outcome

    def read_reply(self, raw: str | None, *, mode: str) -> tuple[dict[str, Any] | None, str | None]:
        """(parsed reply, error) for the project's answer; ('success'/'') -> (None, None)."""
        text = (raw or "").strip()
        if text in ("", "success"):
            return None, None
        try:
            root = parse_xml(text)
        except ValueError as exc:
            return None, str(exc)
        if "Encrypt" in root:
            crypto = self.crypto()
            if mode == "plain" or crypto is None:
                return None, "encrypted reply in plain mode"
            try:
                plaintext = crypto.decrypt_message(
                    text, root.get("MsgSignature"), root.get("TimeStamp"), root.get("Nonce")
                )
            except InvalidSignatureException:
                return None, "reply MsgSignature does not match"
            except InvalidAppIdException:
                return None, "reply encrypted for another appid"
            except Exception as exc:  # bad base64/padding: WeChat just fails the reply
                return None, f"reply cannot be decrypted: {type(exc).__name__}"
            try:
                root = parse_xml(plaintext)
            except ValueError as exc:
                return None, str(exc)
        elif mode == "safe":
            return None, "safe mode requires an encrypted reply"
        if not root.get("MsgType"):
            return None, "reply has no MsgType"
        return root, None


def _render_json(fields: Fields) -> str:
    """A push in WeChat's JSON data format: the same elements as keys, in order."""
    return json.dumps(dict(fields), ensure_ascii=False)


def _aes_key_field(target: PushTarget) -> str:
    return "miniprogram_aes_key" if target.name == "miniprogram_push" else "callback_aes_key"


def _url_field(target: PushTarget) -> str:
    return "miniprogram_push_url" if target.name == "miniprogram_push" else "callback_url"


def _follower_effects(state: SimulatorState, openid: str, msg_type: str, spec: Mapping[str, Any]) -> None:
    """What the push means for the follower list and the 48 h window."""
    now = state.now()
    follower = state.followers.ensure(state.config.callback_appid, openid)
    event = spec.get("event")
    if msg_type == "event" and event == "subscribe":
        follower.subscribed = True
        follower.subscribe_time = int(now)
        key = str(spec.get("event_key") or "")
        if key.startswith("qrscene_"):
            follower.subscribe_scene = "ADD_SCENE_QR_CODE"
            scene = key[len("qrscene_") :]
            if scene.isdigit():
                follower.qr_scene = int(scene)
            else:
                follower.qr_scene_str = scene
    elif msg_type == "event" and event == "unsubscribe":
        follower.subscribed = False
    if msg_type != "event" or event in _INTERACTIVE_EVENTS:
        follower.last_interaction = now
        follower.custom_since_interaction = 0
    if msg_type == "event" and event in _GRANT_EVENTS:
        _apply_grant_event(state, openid, str(event), spec.get("extra"))


_GRANT_EVENTS = {
    "subscribe_msg_popup_event": "SubscribeMsgPopupEvent",
    "subscribe_msg_change_event": "SubscribeMsgChangeEvent",
}


def _apply_grant_event(state: SimulatorState, openid: str, event: str, extra: Any) -> None:
    """A follower answering a subscribe popup (or changing it in settings) changes what
    WeChat lets the account send them: one message per `accept` (as a one-time template;
    register long-term grants with `POST /_sim/grants` count=null), nothing after a
    settings `reject`."""
    container = extra.get(_GRANT_EVENTS[event]) if isinstance(extra, Mapping) else None
    items = container.get("List") if isinstance(container, Mapping) else None
    appid = state.config.callback_appid
    for item in items if isinstance(items, list) else [items]:
        if not isinstance(item, Mapping) or not item.get("TemplateId"):
            continue
        template_id, status = str(item["TemplateId"]), str(item.get("SubscribeStatusString", "")).lower()
        if status == "accept" and event == "subscribe_msg_popup_event":
            if state.grants.remaining(appid, openid, template_id) is not None:
                state.grants.add(appid, openid, template_id, 1)
        elif status == "reject" and event == "subscribe_msg_change_event":
            state.grants.revoke(appid, openid, template_id)


def _inbound_note(openid: str, msg_type: str, spec: Mapping[str, Any], msg_id: int | None) -> dict[str, Any]:
    note: dict[str, Any] = {"openid": openid, "direction": "in", "msgtype": msg_type, "msg_id": msg_id}
    for key in ("content", "event", "event_key", "pic_url", "label", "title", "url"):
        if spec.get(key) is not None:
            note[key] = spec[key]
    return note


async def push_as_follower(state: SimulatorState, client: CallbackClient, spec: Mapping[str, Any]) -> dict[str, Any]:
    """`POST /_sim/push`: a follower's message or event, delivered like WeChat does."""
    cfg = state.config
    url = spec.get("callback_url") or cfg.callback_url
    if not url:
        raise PushError("callback_url is not configured")
    openid = spec.get("openid")
    if not isinstance(openid, str) or not OPENID_RE.match(openid):
        raise PushError("openid must match ^[A-Za-z0-9_-]{6,64}$")
    msg_type = str(spec.get("type") or ("event" if spec.get("event") else "text"))
    if msg_type == "event" and not spec.get("event"):
        raise PushError("an event push needs 'event'")
    mode = str(spec.get("mode") or client.default_mode())
    if mode not in MODES:
        raise PushError(f"mode must be one of {MODES}")
    if mode != "plain" and not cfg.callback_aes_key:
        raise PushError(f"{mode} mode needs callback_aes_key")
    msg_id = spec.get("msg_id")
    if msg_id is None and msg_type != "event":
        msg_id = state.next_push_msgid()
    create_time = int(spec.get("create_time") or state.now())
    fields = inbound_fields(
        {**spec, "type": msg_type}, original_id=cfg.callback_original_id, create_time=create_time, msg_id=msg_id
    )

    _follower_effects(state, openid, msg_type, spec)
    recorder = state.recorder
    inbound = recorder.note({"time": state.now(), **_inbound_note(openid, msg_type, spec, msg_id)})
    outcome = await client.deliver(url, fields, openid=openid, mode=mode, retries=bool(spec.get("retries")))
    inbound["tries"] = outcome["tries"]

    recorder.pushes["pushes"] += 1
    recorder.pushes["tries"] += outcome["tries"]
    reply, error = (None, None)
    if outcome["status"] is None:
        error = "no answer within the timeout" if outcome["attempts"][-1].get("error") == "timeout" else "unreachable"
        recorder.pushes["failed"] += 1
    elif outcome["status"] != 200:
        error = f"HTTP {outcome['status']}"
        recorder.pushes["failed"] += 1
    else:
        reply, error = client.read_reply(outcome["reply_raw"], mode=mode)
    if not (msg_type == "event" and spec.get("event") == "unsubscribe"):
        if reply is not None and reply.get("MsgType") != "transfer_customer_service":
            recorder.note({"time": state.now(), "openid": openid, "direction": "out", "kind": "reply",
                           **normalize_reply(reply)})
        elif error is not None:
            recorder.note({"time": state.now(), "openid": openid, "direction": "notice",
                           "text": SERVICE_UNAVAILABLE, "reason": error})
    return {
        "status": outcome["status"],
        "reply_raw": outcome["reply_raw"],
        "reply": reply,
        "reply_error": error,
        "elapsed_ms": outcome["elapsed_ms"],
        "tries": outcome["tries"],
        "attempts": outcome["attempts"],
        "msg_id": msg_id,
        "create_time": create_time,
        "mode": mode,
        "xml": build_xml(fields),
    }


async def push_to_miniprogram(
    state: SimulatorState, client: CallbackClient, spec: Mapping[str, Any]
) -> dict[str, Any]:
    """`POST /_sim/miniprogram/push`: an event WeChat sends the mini-program's message push
    (e.g. a `wxa_media_check` again, as WeChat's retry would), signed with its credentials.

    `spec`: openid, event, extra (further elements), mode (plain/compatible/safe),
    appid, create_time, retries, url (default: miniprogram_push_url)."""
    cfg = state.config
    target = miniprogram_target(cfg, spec.get("appid") or None)
    url = spec.get("url") or target.url
    if not url:
        raise PushError("miniprogram_push_url is not configured")
    openid = spec.get("openid")
    if not isinstance(openid, str) or not OPENID_RE.match(openid):
        raise PushError("openid must match ^[A-Za-z0-9_-]{6,64}$")
    event = spec.get("event")
    if not isinstance(event, str) or not event:
        raise PushError("a mini-program push needs 'event'")
    mode = str(spec.get("mode") or client.default_mode(target))
    if mode not in MODES:
        raise PushError(f"mode must be one of {MODES}")
    if mode != "plain" and not target.aes_key:
        raise PushError(f"{mode} mode needs miniprogram_aes_key")
    fields = miniprogram_event_fields(
        target, openid=openid, event=event, create_time=int(spec.get("create_time") or state.now()),
        extra=spec.get("extra"),
    )
    outcome = await client.deliver(url, fields, openid=openid, mode=mode, retries=bool(spec.get("retries")),
                                   target=target)
    state.recorder.pushes["miniprogram_pushes"] += 1
    error = None
    if outcome["status"] is None:
        error = "no answer within the timeout" if outcome["attempts"][-1].get("error") == "timeout" else "unreachable"
    elif outcome["status"] != 200:
        error = f"HTTP {outcome['status']}"
    elif (outcome["reply_raw"] or "").strip() != "success":
        error = "answer is not 'success'"
    return {
        "status": outcome["status"],
        "reply_raw": outcome["reply_raw"],
        "reply_error": error,
        "elapsed_ms": outcome["elapsed_ms"],
        "tries": outcome["tries"],
        "attempts": outcome["attempts"],
        "mode": mode,
        "data_format": target.data_format,
        "body": outcome.get("body"),
    }


def miniprogram_event_fields(
    target: PushTarget, *, openid: str, event: str, create_time: int, extra: Any = None
) -> Fields:
    """The elements of an event for the mini-program, as WeChat orders them."""
    fields: Fields = [
        ("ToUserName", target.original_id),
        ("FromUserName", openid),
        ("CreateTime", create_time),
        ("MsgType", "event"),
        ("Event", event),
    ]
    if isinstance(extra, Mapping):
        fields += [(str(k), v) for k, v in extra.items()]
    return fields


async def verify_url(
    state: SimulatorState, client: CallbackClient, url: str | None = None, target: PushTarget | None = None
) -> dict[str, Any]:
    """WeChat's server-address check: GET with signature, timestamp, nonce and
    echostr; the project must answer the echostr verbatim. `target`: the official
    account's callback (default) or the mini-program's message push."""
    cfg = state.config
    target = target or official_account_target(cfg)
    url = url or target.url
    if not url:
        raise PushError(f"{_url_field(target)} is not configured")
    timestamp = str(int(state.now()))
    nonce = str(state.rng.randint(100_000_000, 9_999_999_999))
    echostr = str(state.rng.randint(10**17, 10**19))
    query = {"signature": signature(target.token, timestamp, nonce), "timestamp": timestamp,
             "nonce": nonce, "echostr": echostr}
    try:
        async with client.session().get(
            url, params=query, timeout=aiohttp.ClientTimeout(total=cfg.callback_timeout_s)
        ) as response:
            body = (await response.read()).decode("utf-8", "replace")
            status = response.status
    except TimeoutError:
        return {"ok": False, "status": None, "body": None, "echostr": echostr, "error": "timeout"}
    except aiohttp.ClientError as exc:
        return {"ok": False, "status": None, "body": None, "echostr": echostr, "error": str(exc)}
    return {"ok": status == 200 and body == echostr, "status": status, "body": body, "echostr": echostr}
