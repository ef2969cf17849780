"""The HTTP transport every WeChat API module goes through.

One place decides how a call is made, so retry, token refresh, error mapping and
logging behave identically for the template sender, the QR generator and the
mini-program login:

* one `aiohttp.ClientSession` per transport, created lazily inside the running loop
  (Sanic and arq create their loops after import), closed by `aclose()`;
* JSON bodies encoded with `ensure_ascii=False`: WeChat stores what it receives,
  and `\\uXXXX` escapes would show up literally in some fields;
* errcodes mapped to `app.wechat.errors` exceptions;
* transient failures (-1, HTTP 5xx, timeouts, connection errors) retried with
  exponential backoff plus jitter, a bounded number of times;
* token errors (40001/40014/42001) answered by one single-flight invalidation
  (`TokenSource.invalidate`) and one retry with the fresh token;
* permanent errors never retried -- a retry would burn quota and, for sends,
  could annoy the user;
* one structured INFO log line per HTTP attempt, without the token, the secret or
  message bodies.

Retrying a *send* after a timeout can, in rare cases, deliver twice (WeChat got the
request, the response was lost). Template sends accept `client_msg_id`, which WeChat
uses to de-duplicate; push jobs should always pass it.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import random
import time
from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp

from app.ops import metrics
from app.wechat.errors import (
    WeChatAPIError,
    WeChatTokenError,
    WeChatTransientError,
    raise_for_errcode,
)

__all__ = ["DEFAULT_API_BASE", "TokenSource", "WeChatHTTP", "logger"]

DEFAULT_API_BASE = "https://api.weixin.qq.com"

logger = logging.getLogger("qiyun.wechat")

# Request fields whose values must never reach a log line or an exception message.
_SENSITIVE_KEYS = frozenset({"access_token", "secret", "appsecret", "js_code", "code", "session_key"})
_ERRMSG_LOG_LIMIT = 160


class TokenSource(Protocol):
    """What the transport needs from a token manager (see `app.wechat.token`)."""

    async def get_token(self) -> str: ...

    async def invalidate(self, failed_token: str) -> str: ...


class WeChatHTTP:
    """Async transport for one WeChat app (one appid).

    The token source is attached after construction (`attach_tokens`) because the
    token manager itself uses this transport, without a token, to call
    `/cgi-bin/stable_token`.
    """

    def __init__(
        self,
        *,
        appid: str,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 10.0,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        tokens: TokenSource | None = None,
        connector_limit: int = 100,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if timeout <= 0:
            raise ValueError("timeout must be > 0")
        self.appid = appid
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.connector_limit = connector_limit
        self._tokens = tokens
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"WeChatHTTP(appid={self.appid!r}, api_base={self.api_base!r})"

    def attach_tokens(self, tokens: TokenSource) -> None:
        """Set the token source used for `with_token=True` calls."""
        self._tokens = tokens

    # -- session lifecycle ---------------------------------------------------------

    def _get_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and not session.closed and self._session_loop is loop:
            return session
        if session is not None and not session.closed:
            # Used from a new event loop (e.g. a test creating its own loop): the old
            # session cannot be closed from here; drop it rather than fail.
            logger.warning("wechat http session re-created for a new event loop", extra={"appid": self.appid})
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            connector=aiohttp.TCPConnector(limit=self.connector_limit),
            headers={"User-Agent": "qiyun-wechat/1.0"},
        )
        self._session_loop = loop
        return self._session

    async def aclose(self) -> None:
        """Close the HTTP session; the transport may be used again afterwards."""
        session, self._session = self._session, None
        self._session_loop = None
        if session is not None and not session.closed:
            await session.close()

    # -- public API ----------------------------------------------------------------

    async def get(self, path: str, **kwargs: Any) -> Any:
        """Shortcut for `request("GET", ...)`."""
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Any:
        """Shortcut for `request("POST", ...)`."""
        return await self.request("POST", path, **kwargs)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        with_token: bool = True,
        raw: bool = False,
        base: str | None = None,
    ) -> Any:
        """Call a WeChat API and return its decoded result.

        Returns the JSON object (dict) on success, or `bytes` when the response is an
        image (`image/*`) or when `raw=True` and the body is not a JSON error.
        `path` is relative to `base` (default `api_base`) unless it is an absolute URL.
        Raises a `WeChatAPIError` subclass; see `app.wechat.errors`.
        """
        method = method.upper()
        api = path if not path.startswith(("http://", "https://")) else _path_of(path)
        url = path if path.startswith(("http://", "https://")) else f"{(base or self.api_base).rstrip('/')}{path}"
        body = None if json is None else jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
        openid = _openid_of(params, json)

        attempt = 0
        transient_failures = 0
        token_refreshed = False
        while True:
            attempt += 1
            token: str | None = None
            query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
            if with_token:
                if self._tokens is None:
                    raise RuntimeError("WeChatHTTP has no token source; call attach_tokens()")
                token = await self._tokens.get_token()
                query["access_token"] = token
            sensitive = _sensitive_values(query, json)
            try:
                return await self._send_once(
                    method, url, api, query, body, raw=raw, attempt=attempt, openid=openid, sensitive=sensitive
                )
            except WeChatTokenError:
                if not with_token or token_refreshed or token is None:
                    raise
                token_refreshed = True
                assert self._tokens is not None
                await self._tokens.invalidate(token)
            except WeChatTransientError:
                transient_failures += 1
                if transient_failures >= self.max_attempts:
                    raise
                await asyncio.sleep(self._backoff(transient_failures))

    # -- internals -----------------------------------------------------------------

    def _backoff(self, failures: int) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random, so a
        burst of workers that failed together does not retry in lockstep."""
        delay = min(self.backoff_max, self.backoff_base * (2 ** (failures - 1)))
        return delay / 2 + random.uniform(0, delay / 2)

    async def _send_once(
        self,
        method: str,
        url: str,
        api: str,
        query: dict[str, Any],
        body: bytes | None,
        *,
        raw: bool,
        attempt: int,
        openid: str | None,
        sensitive: list[str],
    ) -> Any:
        session = self._get_session()
        headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else None
        started = time.perf_counter()
        status: int | None = None
        errcode: int | None = None
        errmsg = ""
        outcome = "ok"
        try:
            try:
                async with session.request(method, url, params=query, data=body, headers=headers) as resp:
                    status = resp.status
                    content_type = resp.content_type or ""
                    content = await resp.read()
            except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
                outcome = "timeout"
                raise WeChatTransientError(None, f"timeout after {self.timeout}s", api=api) from None
            except aiohttp.ClientError as exc:
                outcome = "network"
                detail = _redact(f"{type(exc).__name__}: {exc}", sensitive)
                raise WeChatTransientError(None, f"network error: {detail}", api=api) from None

            result = self._decode(api, status, content_type, content, raw=raw)
            if isinstance(result, dict):
                errcode = _int_or_none(result.get("errcode", 0))
            return result
        except WeChatAPIError as exc:
            if outcome == "ok":
                outcome = "error"
            errcode = exc.errcode
            errmsg = str(exc.errmsg or "")
            exc.errmsg = _redact(errmsg, sensitive)
            raise
        finally:
            elapsed = time.perf_counter() - started
            latency_ms = int(elapsed * 1000)
            metrics.observe_wechat_call(api, errcode, outcome, elapsed)
            extra: dict[str, Any] = {
                "wechat_api": api,
                "method": method,
                "errcode": errcode,
                "http_status": status,
                "latency_ms": latency_ms,
                "attempt": attempt,
                "appid": self.appid,
                "outcome": outcome,
            }
            if openid:
                extra["openid"] = openid
            if errmsg:
                extra["errmsg"] = _redact(errmsg, sensitive)[:_ERRMSG_LOG_LIMIT]
            logger.info(
                "wechat api %s %s errcode=%s http=%s latency_ms=%d attempt=%d",
                method,
                api,
                errcode,
                status,
                latency_ms,
                attempt,
                extra=extra,
            )

    def _decode(self, api: str, status: int, content_type: str, content: bytes, *, raw: bool) -> Any:
        """Turn a response into a result or an exception."""
        if status >= 500:
            raise WeChatTransientError(None, f"HTTP {status}", api=api, http_status=status)
        if status < 400 and content_type.startswith("image/"):
            return content
        looks_json = content_type in ("application/json", "text/json") or content[:1] in (b"{", b"[")
        if raw and not looks_json and status < 400:
            return content
        try:
            payload = jsonlib.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            if status >= 400:
                raise WeChatAPIError(None, f"HTTP {status}", api=api, http_status=status) from None
            raise WeChatAPIError(
                None, f"unparseable response ({content_type or 'no content type'})", api=api, http_status=status
            ) from None
        if not isinstance(payload, dict):
            raise WeChatAPIError(None, "unexpected JSON response", api=api, http_status=status)
        raise_for_errcode(payload, api=api, http_status=status)
        if status >= 400:
            raise WeChatAPIError(None, f"HTTP {status}", api=api, http_status=status, payload=payload)
        return payload


def _path_of(url: str) -> str:
    """The path part of an absolute URL, for logs (never the query: it may hold a ticket)."""
    rest = url.split("://", 1)[1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path.split("?", 1)[0]


def _query_value(value: Any) -> str | int | float:
    """yarl refuses booleans in a query; WeChat expects lowercase true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, (str, int, float)) else str(value)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _openid_of(params: Mapping[str, Any] | None, body: Any) -> str | None:
    """The recipient/user openid of a call, if any: worth logging to trace a delivery."""
    for source in (body, params):
        if isinstance(source, Mapping):
            for key in ("touser", "openid"):
                value = source.get(key)
                if isinstance(value, str) and value:
                    return value
    return None


def _sensitive_values(query: Mapping[str, Any], body: Any) -> list[str]:
    values = [str(v) for k, v in query.items() if k in _SENSITIVE_KEYS and v]
    if isinstance(body, Mapping):
        values += [str(v) for k, v in body.items() if k in _SENSITIVE_KEYS and v]
    return values


def _redact(text: str, sensitive: list[str]) -> str:
    for value in sensitive:
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text
