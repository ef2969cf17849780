"""Who is calling the partner APIs.

* **12345 hotline** (`verify_hotline`): every request carries `X-Qiyun-Timestamp` (unix
  seconds), `X-Qiyun-Nonce` (8-64 of `A-Za-z0-9_-`) and `X-Qiyun-Signature`, the hex
  HMAC-SHA256 of `"{timestamp}\\n{nonce}\\n{sha256 hex of the raw body}"` with
  `HOTLINE_SECRET` (`app.appeal.hotline.signature`). Checked in this order: configured
  (503 otherwise), headers present and well-formed, timestamp within
  `HOTLINE_CLOCK_SKEW_SECONDS`, signature (constant-time compare), and only then the nonce
  is claimed in Redis (`SET NX` for twice the skew, the longest a timestamp stays
  acceptable), so a forged request cannot burn a nonce and a captured one cannot be
  replayed, on any server process.
* **Open311** (`open311_client`): the `api_key` parameter (form field on POST, query
  parameter on GET; the specification's way) is compared in constant time with every key
  in `OPEN311_API_KEYS`; the key's name is the client (`source_client` of what it files).
"""

from __future__ import annotations

import hmac
import re
import time

from redis.asyncio import Redis
from sanic import Request

from app.appeal.hotline import signature
from app.appeal.open311 import Open311Error
from app.config import Settings
from partner_api.errors import HotlineError

__all__ = ["NONCE_KEY", "open311_client", "verify_hotline"]

NONCE_KEY = "qiyun:hotline:nonce:{nonce}"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_TIMESTAMP = re.compile(r"^\d{1,12}$")


def _refuse(code: str, message: str, message_zh: str) -> HotlineError:
    return HotlineError(401, code, message, message_zh, headers={"WWW-Authenticate": 'QiyunHMAC realm="12345"'})


async def verify_hotline(request: Request, *, settings: Settings, redis: Redis, now: float | None = None) -> None:
    """Raise HotlineError unless the request is signed by the hotline and not a replay."""
    secret = settings.hotline_secret.get_secret_value()
    if not secret:
        raise HotlineError(503, "not_configured", "hotline integration not configured", "12345热线对接未配置")
    timestamp = request.headers.get("x-qiyun-timestamp", "").strip()
    nonce = request.headers.get("x-qiyun-nonce", "").strip()
    given = request.headers.get("x-qiyun-signature", "").strip().lower()
    missing = [name for name, value in (("X-Qiyun-Timestamp", timestamp), ("X-Qiyun-Nonce", nonce),
                                        ("X-Qiyun-Signature", given)) if not value]
    if missing:
        raise _refuse("missing_signature", f"missing header(s): {', '.join(missing)}",
                      f"缺少签名请求头：{', '.join(missing)}")
    if not _TIMESTAMP.match(timestamp):
        raise _refuse("invalid_timestamp", "X-Qiyun-Timestamp must be unix seconds (an integer)",
                      "X-Qiyun-Timestamp 必须是 Unix 时间戳（秒，整数）")
    skew = settings.hotline_clock_skew_seconds
    offset = int(timestamp) - int(time.time() if now is None else now)
    if abs(offset) > skew:
        raise _refuse("stale_timestamp",
                      f"X-Qiyun-Timestamp is {abs(offset)} s {'ahead of' if offset > 0 else 'behind'} server time "
                      f"(at most {skew} s allowed); check the clock and sign each request when sending it",
                      f"请求时间戳与服务器时间相差 {abs(offset)} 秒，超过允许的 {skew} 秒；请校准时钟并在发送时签名")
    if not _NONCE.match(nonce):
        raise _refuse("invalid_nonce", "X-Qiyun-Nonce must be 8-64 characters of A-Z a-z 0-9 _ -",
                      "X-Qiyun-Nonce 必须是 8–64 位字母、数字、下划线或连字符")
    expected = signature(secret, timestamp, nonce, request.body or b"")
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise _refuse("invalid_signature",
                      "X-Qiyun-Signature does not match: hex HMAC-SHA256(secret, timestamp + \"\\n\" + nonce + \"\\n\" "
                      "+ sha256_hex(raw body))",
                      "签名校验失败：签名应为 HMAC-SHA256(密钥, 时间戳\\n随机串\\n请求体SHA256十六进制) 的十六进制值")
    if not await redis.set(NONCE_KEY.format(nonce=nonce), timestamp, nx=True, ex=2 * skew):
        raise _refuse("replayed_nonce", "X-Qiyun-Nonce was used before: use a new nonce for every request",
                      "该随机串（nonce）已使用过，每个请求须使用新的随机串")


def open311_client(api_key: str, *, settings: Settings) -> str:
    """The name of the client whose key `api_key` is; Open311Error 403 otherwise."""
    given = (api_key or "").strip().encode()
    found = None
    # Every key is compared (no early exit), so timing tells nothing about which matched.
    for name, key in settings.open311_api_keys.items():
        secret = key.get_secret_value().encode()
        if secret and hmac.compare_digest(secret, given) and found is None:
            found = name
    if not given:
        raise Open311Error(403, "api_key: required")
    if found is None:
        raise Open311Error(403, "api_key: not a valid key")
    return found
