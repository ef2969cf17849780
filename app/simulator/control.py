"""The control API under `/_sim/`: set up followers, grants and codes, inject
faults and latency, move the clock, read records and stats, and make followers
talk to the project (push, URL verification).

Plain JSON in and out; a bad request is HTTP 400 `{"error": "..."}`. These calls
are not WeChat API calls: they are neither counted nor recorded.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from app.simulator.events import EventDispatcher
from app.simulator.faults import parse_fault
from app.simulator.pipeline import json_response
from app.simulator.push import (
    CallbackClient,
    PushError,
    miniprogram_target,
    push_as_follower,
    push_to_miniprogram,
    verify_url,
)
from app.simulator.records import MESSAGE_KINDS
from app.simulator.state import SimulatorState
from app.simulator.users import OPENID_RE

__all__ = ["ControlAPI"]

ControlHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(Exception):
    """A control request that cannot be carried out."""


def _int_param(request: web.Request, name: str, default: int) -> int:
    value = request.query.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes")


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise BadRequest("body must be JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def _guard(handler: ControlHandler) -> ControlHandler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (BadRequest, PushError, ValueError) as exc:
            return json_response({"error": str(exc)}, status=400)

    return guarded


class ControlAPI:
    """Handlers of `/_sim/*`, bound to one simulator."""

    def __init__(self, state: SimulatorState, client: CallbackClient, events: EventDispatcher) -> None:
        self.state = state
        self.client = client
        self.events = events

    def routes(self) -> list[tuple[str, str, ControlHandler]]:
        """(method, path, handler) for every control endpoint."""
        table = [
            ("GET", "/_sim", self.index),
            ("POST", "/_sim/reset", self.reset),
            ("GET", "/_sim/config", self.get_config),
            ("POST", "/_sim/config", self.set_config),
            ("GET", "/_sim/faults", self.list_faults),
            ("POST", "/_sim/faults", self.add_fault),
            ("DELETE", "/_sim/faults", self.clear_faults),
            ("POST", "/_sim/latency", self.set_latency),
            ("GET", "/_sim/clock", self.get_clock),
            ("POST", "/_sim/clock", self.advance_clock),
            ("GET", "/_sim/records", self.records),
            ("GET", "/_sim/stats", self.stats),
            ("GET", "/_sim/messages", self.messages),
            ("GET", "/_sim/conversation", self.conversation),
            ("GET", "/_sim/followers", self.list_followers),
            ("POST", "/_sim/followers", self.add_followers),
            ("GET", "/_sim/grants", self.list_grants),
            ("POST", "/_sim/grants", self.add_grants),
            ("POST", "/_sim/login_codes", self.login_code),
            ("POST", "/_sim/oauth_codes", self.oauth_code),
            ("POST", "/_sim/phone_codes", self.phone_code),
            ("POST", "/_sim/invalid_templates", self.add_invalid_templates),
            ("DELETE", "/_sim/invalid_templates", self.clear_invalid_templates),
            ("GET", "/_sim/menu", self.menu),
            ("POST", "/_sim/push", self.push),
            ("POST", "/_sim/miniprogram/push", self.miniprogram_push),
            ("POST", "/_sim/verify_url", self.verify_url),
            ("POST", "/_sim/events/drain", self.drain_events),
        ]
        return [(method, path, _guard(handler)) for method, path, handler in table]

    # -- helpers ----------------------------------------------------------------

    def _appid(self, value: Any) -> str:
        """The named app, else the official account, else the only app."""
        apps = self.state.config.apps
        if value:
            if value not in apps:
                raise BadRequest(f"unknown appid {value!r}")
            return str(value)
        if self.state.config.callback_appid:
            return self.state.config.callback_appid
        if len(apps) == 1:
            return next(iter(apps))
        raise BadRequest("appid is required")

    @staticmethod
    def _openid(value: Any) -> str:
        if not isinstance(value, str) or not OPENID_RE.match(value):
            raise BadRequest("openid must match ^[A-Za-z0-9_-]{6,64}$")
        return value

    # -- settings ----------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        paths = sorted({f"{m} {p}" for m, p, _ in self.routes()})
        return json_response({"simulator": "WeChat", "control": paths})

    async def reset(self, request: web.Request) -> web.StreamResponse:
        self.events.discard_pending()
        self.state.reset()
        return json_response({"ok": True})

    async def get_config(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.state.describe_config())

    async def set_config(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.state.apply_config(await _body(request)))

    async def list_faults(self, request: web.Request) -> web.StreamResponse:
        return json_response({"faults": [f.describe() for f in self.state.faults.active]})

    async def add_fault(self, request: web.Request) -> web.StreamResponse:
        fault = parse_fault(await _body(request))
        self.state.faults.add(fault)
        return json_response({"ok": True, "fault": fault.describe()})

    async def clear_faults(self, request: web.Request) -> web.StreamResponse:
        self.state.faults.clear()
        return json_response({"ok": True})

    async def set_latency(self, request: web.Request) -> web.StreamResponse:
        ms = (await _body(request)).get("ms", 0)
        if not isinstance(ms, (int, float)) or ms < 0:
            raise BadRequest("ms must be a non-negative number")
        self.state.latency_ms = ms
        return json_response({"ok": True, "latency_ms": ms})

    async def get_clock(self, request: web.Request) -> web.StreamResponse:
        return json_response({"now": self.state.now(), "offset": self.state.clock.offset})

    async def advance_clock(self, request: web.Request) -> web.StreamResponse:
        seconds = (await _body(request)).get("advance", 0)
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise BadRequest("advance must be a non-negative number of seconds")
        self.state.clock.advance(seconds)
        return json_response({"now": self.state.now(), "offset": self.state.clock.offset})

    # -- what happened -------------------------------------------------------------

    async def records(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        found = self.state.recorder.find_records(
            api=q.get("api") or None,
            openid=q.get("openid") or None,
            appid=q.get("appid") or None,
            limit=_int_param(request, "limit", 1000),
        )
        return json_response({"records": found, "count": len(found)})

    async def stats(self, request: web.Request) -> web.StreamResponse:
        openid = request.query.get("openid") or None
        return json_response(self.state.recorder.stats(openid=openid, summary=_flag(request, "summary")))

    async def messages(self, request: web.Request) -> web.StreamResponse:
        kind = request.query.get("kind") or None
        if kind is not None and kind not in MESSAGE_KINDS:
            raise BadRequest(f"kind must be one of {MESSAGE_KINDS}")
        found = self.state.recorder.find_messages(
            openid=request.query.get("openid") or None, kind=kind, limit=_int_param(request, "limit", 1000)
        )
        return json_response({"messages": found, "count": len(found)})

    async def conversation(self, request: web.Request) -> web.StreamResponse:
        openid = self._openid(request.query.get("openid"))
        entries = self.state.recorder.conversation(
            openid, after=_int_param(request, "after", 0), limit=_int_param(request, "limit", 500)
        )
        appid = self.state.config.callback_appid
        follower = self.state.followers.find(appid, openid)
        return json_response(
            {
                "openid": openid,
                "subscribed": bool(follower and follower.subscribed),
                "entries": entries,
                "last_seq": entries[-1]["seq"] if entries else _int_param(request, "after", 0),
            }
        )

    # -- setting up the world ------------------------------------------------------

    async def list_followers(self, request: web.Request) -> web.StreamResponse:
        appid = self._appid(request.query.get("appid"))
        stored = self.state.followers.stored(appid).values()
        return json_response(
            {
                "appid": appid,
                "followers": [
                    {"openid": f.openid, "unionid": f.unionid, "subscribed": f.subscribed, "blocked": f.blocked,
                     "tags": sorted(f.tags), "last_interaction": f.last_interaction}
                    for f in stored
                ],
            }
        )

    async def add_followers(self, request: web.Request) -> web.StreamResponse:
        """Register followers: `openid` or `openids` or `followers: [{openid, unionid,
        subscribed, blocked}]`; top-level unionid/subscribed/blocked are defaults."""
        body = await _body(request)
        appid = self._appid(body.get("appid"))
        specs: list[dict[str, Any]] = []
        if body.get("openid"):
            specs.append({"openid": body["openid"], "unionid": body.get("unionid")})
        specs += [{"openid": o} for o in body.get("openids") or []]
        specs += [dict(f) for f in body.get("followers") or [] if isinstance(f, dict)]
        if not specs:
            raise BadRequest("give openid, openids or followers")
        now = int(self.state.now())
        for spec in specs:
            follower = self.state.followers.ensure(appid, self._openid(spec.get("openid")))
            follower.unionid = spec.get("unionid") or follower.unionid
            follower.subscribed = bool(spec.get("subscribed", body.get("subscribed", True)))
            follower.blocked = bool(spec.get("blocked", body.get("blocked", False)))
            follower.subscribe_time = now
            if spec.get("interacted", body.get("interacted")):
                follower.last_interaction = self.state.now()
                follower.custom_since_interaction = 0
        return json_response({"ok": True, "appid": appid, "count": len(specs)})

    async def add_grants(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        appid = self._appid(body.get("appid"))
        openid = self._openid(body.get("openid"))
        template_id = body.get("template_id")
        if not isinstance(template_id, str) or not template_id:
            raise BadRequest("template_id is required")
        count = body.get("count", 1)
        if count is not None and (not isinstance(count, int) or count < 0):
            raise BadRequest("count must be a non-negative integer, or null for a long-term grant")
        remaining = self.state.grants.add(appid, openid, template_id, count)
        return json_response({"ok": True, "remaining": remaining})

    async def list_grants(self, request: web.Request) -> web.StreamResponse:
        """One user's subscribe grants: template_id -> remaining (null = long-term)."""
        appid = self._appid(request.query.get("appid"))
        openid = self._openid(request.query.get("openid"))
        return json_response({"appid": appid, "openid": openid, "grants": self.state.grants.of(appid, openid)})

    async def login_code(self, request: web.Request) -> web.StreamResponse:
        """A wx.login code for jscode2session (single-use, 5 minutes)."""
        body = await _body(request)
        appid = self._appid(body.get("appid"))
        openid = self._openid(body.get("openid"))
        unionid = body.get("unionid")
        follower = self.state.followers.ensure(appid, openid)
        follower.unionid = unionid or follower.unionid
        code = self.state.login_codes.issue(appid, self.state.now(), openid=openid, unionid=unionid)
        return json_response({"code": code})

    async def oauth_code(self, request: web.Request) -> web.StreamResponse:
        """A web-page OAuth2 code for /sns/oauth2/access_token (single-use, 5 minutes)."""
        body = await _body(request)
        appid = self._appid(body.get("appid"))
        openid = self._openid(body.get("openid"))
        scope = body.get("scope") or "snsapi_base"
        if scope not in ("snsapi_base", "snsapi_userinfo"):
            raise BadRequest("scope must be snsapi_base or snsapi_userinfo")
        code = self.state.oauth_codes.issue(appid, self.state.now(), openid=openid, scope=scope)
        return json_response({"code": code})

    async def phone_code(self, request: web.Request) -> web.StreamResponse:
        """A getPhoneNumber code (single-use, 5 minutes)."""
        body = await _body(request)
        appid = self._appid(body.get("appid"))
        phone = str(body.get("phone") or "")
        if not phone.isdigit():
            raise BadRequest("phone must be digits")
        code = self.state.phone_codes.issue(
            appid, self.state.now(), phone=phone, country_code=str(body.get("country_code") or "86")
        )
        return json_response({"code": code})

    async def add_invalid_templates(self, request: web.Request) -> web.StreamResponse:
        ids = (await _body(request)).get("template_ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise BadRequest("template_ids must be a list of strings")
        self.state.invalid_templates.update(ids)
        return json_response({"ok": True, "invalid_templates": sorted(self.state.invalid_templates)})

    async def clear_invalid_templates(self, request: web.Request) -> web.StreamResponse:
        self.state.invalid_templates.clear()
        return json_response({"ok": True})

    async def menu(self, request: web.Request) -> web.StreamResponse:
        """The menu the follower page shows: the official account's, else the last uploaded."""
        appid = request.query.get("appid") or self.state.config.callback_appid or self.state.last_menu_appid
        if appid not in self.state.menus:
            appid = self.state.last_menu_appid
        menu = self.state.menus.get(appid or "")
        return json_response({"appid": appid, "menu": menu})

    # -- acting as WeChat ----------------------------------------------------------

    async def push(self, request: web.Request) -> web.StreamResponse:
        return json_response(await push_as_follower(self.state, self.client, await _body(request)))

    async def miniprogram_push(self, request: web.Request) -> web.StreamResponse:
        """An event for the mini-program's message push (e.g. WeChat repeating a wxa_media_check)."""
        return json_response(await push_to_miniprogram(self.state, self.client, await _body(request)))

    async def verify_url(self, request: web.Request) -> web.StreamResponse:
        """The server-address check of the official account's callback, or with
        `{"target": "miniprogram"}` of the mini-program's message push."""
        body = await _body(request)
        target_name = body.get("target") or "callback"
        if target_name not in ("callback", "miniprogram"):
            raise BadRequest("target must be 'callback' or 'miniprogram'")
        if target_name == "miniprogram":
            target = miniprogram_target(self.state.config)
            return json_response(await verify_url(self.state, self.client, body.get("url"), target))
        return json_response(await verify_url(self.state, self.client, body.get("callback_url")))

    async def drain_events(self, request: web.Request) -> web.StreamResponse:
        await self.events.drain()
        return json_response({"ok": True, "callback_events": dict(self.state.recorder.callback_events)})
