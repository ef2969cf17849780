"""`/cgi-bin/stable_token` and `/cgi-bin/token`: credentials in, access_token out."""

from __future__ import annotations

from typing import Any

from app.simulator.errors import WxError
from app.simulator.pipeline import Call, Route
from app.simulator.tokens import TokenInfo

__all__ = ["ROUTES"]


def _check_credentials(call: Call, grant_type: Any, appid: Any, secret: Any) -> str:
    if grant_type != "client_credential":
        raise WxError(40002)
    if not appid:
        raise WxError(41002)
    if not secret:
        raise WxError(41004)
    apps = call.state.config.apps
    if appid not in apps:
        raise WxError(40013)
    call.appid = appid
    if apps[appid] != secret:
        raise WxError(40125)
    return str(appid)


def _answer(call: Call, info: TokenInfo) -> dict[str, Any]:
    call.state.recorder.token_fetches[info.appid] += 1
    return {"access_token": info.token, "expires_in": max(0, round(info.expires_at - call.now))}


async def stable_token(call: Call) -> dict[str, Any]:
    body = call.body()
    appid = _check_credentials(call, body.get("grant_type"), body.get("appid"), body.get("secret"))
    force = body.get("force_refresh", False)
    if not isinstance(force, bool):
        raise WxError(47001, "force_refresh must be a boolean")
    result = call.state.tokens.stable(appid, force_refresh=force, now=call.now)
    if isinstance(result, int):
        raise WxError(result, "force_refresh is limited to 20 calls a day")
    return _answer(call, result)


async def legacy_token(call: Call) -> dict[str, Any]:
    params = call.params
    appid = _check_credentials(call, params.get("grant_type"), params.get("appid"), params.get("secret"))
    return _answer(call, call.state.tokens.legacy(appid, now=call.now))


ROUTES = [
    Route("/cgi-bin/stable_token", stable_token, protected=False, post_only=True),
    Route("/cgi-bin/token", legacy_token, protected=False),
]
