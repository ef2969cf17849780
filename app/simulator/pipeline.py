"""The path every WeChat API request takes through the simulator.

One wrapper does, in WeChat's order, what every endpoint shares: count the call,
add latency, authenticate the access_token (41001/40001/42001), apply injected
faults, run the endpoint, answer JSON the way WeChat does, and record the request.
Endpoint handlers therefore only contain the API's own rules; they receive a
`Call` and return a JSON dict or an `aiohttp.web.Response` (images), or raise
`WxError`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web

from app.simulator.errors import WxError, error_payload
from app.simulator.faults import Fault
from app.simulator.state import SimulatorState

__all__ = ["Call", "Handler", "Route", "json_response", "make_handler", "not_implemented_handler"]

Handler = Callable[["Call"], Awaitable["dict[str, Any] | web.StreamResponse"]]

_HTTP_FAULT_BODY = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_REDACTED_KEYS = ("secret", "appsecret")
_NOT_PARSED = object()


@dataclass(frozen=True, slots=True)
class Route:
    """One WeChat endpoint: its path, handler and shared rules."""

    path: str
    handler: Handler
    protected: bool = True  # needs ?access_token=
    post_only: bool = False  # GET answers 43002 require POST method


class Call:
    """One WeChat API request as a handler sees it."""

    __slots__ = ("state", "request", "api", "params", "raw", "appid", "token", "_json")

    def __init__(self, state: SimulatorState, request: web.Request, api: str, raw: bytes) -> None:
        self.state = state
        self.request = request
        self.api = api
        self.params: dict[str, str] = dict(request.query)
        self.raw = raw
        self.appid: str | None = None
        self.token: str | None = None
        self._json: Any = _NOT_PARSED

    @property
    def now(self) -> float:
        return self.state.clock.now()

    def parsed(self) -> Any:
        """The JSON body, or None if empty or not JSON (never raises)."""
        if self._json is _NOT_PARSED:
            try:
                self._json = json.loads(self.raw) if self.raw.strip() else None
            except (UnicodeDecodeError, ValueError):
                self._json = None
        return self._json

    def body(self) -> dict[str, Any]:
        """The JSON object body: 44002 when empty, 47001 when not a JSON object."""
        if not self.raw.strip():
            raise WxError(44002)
        parsed = self.parsed()
        if not isinstance(parsed, dict):
            raise WxError(47001)
        return parsed

    def authenticate(self) -> None:
        token = self.params.get("access_token")
        if not token:
            raise WxError(41001)
        info, errcode = self.state.tokens.check(token, self.now)
        if info is not None:
            self.appid = info.appid
        self.token = token
        if errcode:
            raise WxError(errcode)


def json_response(payload: dict[str, Any], status: int = 200) -> web.Response:
    """JSON the way WeChat writes it: UTF-8, Chinese unescaped."""
    return web.Response(
        body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/json",
        charset="utf-8",
    )


def _openid_of(params: dict[str, str], body: Any) -> str | None:
    if isinstance(body, dict):
        for key in ("touser", "openid"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    return params.get("openid") or None


def _redacted(params: dict[str, str], body: Any, raw: bytes) -> tuple[dict[str, str], bytes]:
    """Keep tokens and secrets out of records (they are served over HTTP)."""
    params = {k: v for k, v in params.items() if k != "access_token"}
    for key in _REDACTED_KEYS:
        secrets = [params.get(key)]
        if isinstance(body, dict):
            secrets.append(body.get(key))
        for secret in secrets:
            if isinstance(secret, str) and secret:
                raw = raw.replace(secret.encode("utf-8"), b"***")
                if key in params:
                    params[key] = "***"
    return params, raw


def _record(call: Call, *, method: str, errcode: int | None, http_status: int, fault: Fault | None) -> dict[str, Any]:
    body = call.parsed()
    params, raw = _redacted(call.params, body, call.raw)
    return call.state.recorder.record(
        {
            "time": call.now,
            "api": call.api,
            "method": method,
            "appid": call.appid,
            "openid": _openid_of(params, body),
            "params": params,
            "raw": raw,
            "errcode": errcode,
            "http_status": http_status,
            "fault": fault.kind if fault else None,
        }
    )


def _errcode_of(result: dict[str, Any] | web.StreamResponse) -> int:
    if isinstance(result, dict):
        try:
            return int(result.get("errcode", 0))
        except (TypeError, ValueError):
            return 0
    return 0


async def _run(route: Route, call: Call) -> dict[str, Any] | web.StreamResponse:
    try:
        return await route.handler(call)
    except WxError as exc:
        return exc.payload()


def make_handler(state: SimulatorState, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler for `route`."""

    async def handle(request: web.Request) -> web.StreamResponse:
        state.recorder.calls[route.path] += 1
        raw = await request.read() if request.body_exists else b""
        call = Call(state, request, route.path, raw)
        if state.latency_ms > 0:
            await asyncio.sleep(state.latency_ms / 1000)
        fault: Fault | None = None
        try:
            if route.post_only and request.method != "POST":
                raise WxError(43002)
            if route.protected:
                call.authenticate()
            fault = state.faults.take(route.path, protected=route.protected)
            if fault is not None:
                if fault.kind == "timeout":
                    return await _held(route, call, fault)
                if fault.kind == "http":
                    return _http_fault(call, fault)
                if fault.kind == "invalidate_token" and call.token:
                    state.tokens.revoke(call.token)
                raise WxError(fault.errcode)
            result = await route.handler(call)
        except WxError as exc:
            result = exc.payload()
        errcode = _errcode_of(result)
        status = result.status if isinstance(result, web.StreamResponse) else 200
        _record(call, method=request.method, errcode=errcode, http_status=status, fault=fault)
        if errcode:
            state.recorder.count_error(errcode)
        if isinstance(result, web.StreamResponse):
            return result
        return json_response(result)

    async def _held(route: Route, call: Call, fault: Fault) -> web.StreamResponse:
        # The client's own timeout must fire first. With `process`, WeChat did the
        # work and only the answer is lost -- the case client_msg_id exists for.
        entry = _record(call, method=call.request.method, errcode=None, http_status=0, fault=fault)
        state.recorder.count_error("timeout")
        result: dict[str, Any] | web.StreamResponse = error_payload(-1)
        if fault.process:
            result = await _run(route, call)
            entry["errcode"] = _errcode_of(result)
        await state.hold(state.config.timeout_hold_s)
        if isinstance(result, web.StreamResponse):
            return result
        return json_response(result)

    def _http_fault(call: Call, fault: Fault) -> web.Response:
        status = fault.http_status
        _record(call, method=call.request.method, errcode=None, http_status=status, fault=fault)
        state.recorder.count_error(f"http_{status}")
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        return web.Response(
            text=_HTTP_FAULT_BODY.format(status=status, reason=reason), status=status, content_type="text/html"
        )

    return handle


def not_implemented_handler(state: SimulatorState) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Unknown WeChat paths: recorded, answered 404 so a missing simulator
    endpoint is obvious rather than silently successful."""

    async def handle(request: web.Request) -> web.StreamResponse:
        state.recorder.calls[request.path] += 1
        raw = await request.read() if request.body_exists else b""
        call = Call(state, request, request.path, raw)
        _record(call, method=request.method, errcode=None, http_status=404, fault=None)
        return web.Response(status=404, text=f"the WeChat simulator does not implement {request.path}\n")

    return handle
