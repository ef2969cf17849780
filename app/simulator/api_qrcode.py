"""Parametric QR codes: `/cgi-bin/qrcode/create` and the ticket exchange
`/cgi-bin/showqrcode` (on WeChat served by mp.weixin.qq.com, here by the same server).

Temporary codes: scene_id a non-zero 32-bit integer or scene_str 1-64 chars,
expire_seconds at most 2,592,000 (30 days; 60 s when omitted). Permanent codes:
scene_id 1-100000 or scene_str 1-64 chars.
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from app.simulator.errors import WxError
from app.simulator.images import qr_png
from app.simulator.pipeline import Call, Route

__all__ = ["ROUTES"]

MAX_EXPIRE_SECONDS = 2_592_000
DEFAULT_EXPIRE_SECONDS = 60
MAX_SCENE_STR = 64
_ACTIONS = {
    "QR_SCENE": (False, "scene_id"),
    "QR_STR_SCENE": (False, "scene_str"),
    "QR_LIMIT_SCENE": (True, "scene_id"),
    "QR_LIMIT_STR_SCENE": (True, "scene_str"),
}


def _scene(action: str, body: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    if action not in _ACTIONS:
        raise WxError(40097, "action_name must be QR_SCENE, QR_STR_SCENE, QR_LIMIT_SCENE or QR_LIMIT_STR_SCENE")
    permanent, field = _ACTIONS[action]
    info = body.get("action_info")
    scene = info.get("scene") if isinstance(info, dict) else None
    if not isinstance(scene, dict):
        raise WxError(40053)
    value = scene.get(field)
    if field == "scene_id":
        upper = 100_000 if permanent else 2**32 - 1
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
            raise WxError(40053, f"scene_id must be 1-{upper}")
    elif not isinstance(value, str) or not 1 <= len(value) <= MAX_SCENE_STR:
        raise WxError(40053, f"scene_str must be 1-{MAX_SCENE_STR} characters")
    return permanent, {field: value}


async def qrcode_create(call: Call) -> dict[str, Any]:
    state = call.state
    body = call.body()
    permanent, scene = _scene(str(body.get("action_name")), body)
    expire_seconds: int | None = None
    if not permanent:
        requested = body.get("expire_seconds", DEFAULT_EXPIRE_SECONDS)
        if isinstance(requested, bool) or not isinstance(requested, int) or not 1 <= requested <= MAX_EXPIRE_SECONDS:
            raise WxError(40097, f"expire_seconds must be 1-{MAX_EXPIRE_SECONDS}")
        expire_seconds = requested
    short = base64.urlsafe_b64encode(bytes.fromhex(state.random_hex(32))).decode().rstrip("=")[:22]
    url = f"http://weixin.qq.com/q/{short}"
    raw_ticket = f"gQ{state.random_hex(16)}".encode() + url.encode()
    ticket = base64.b64encode(raw_ticket).decode()
    state.qrcodes[ticket] = {
        "appid": call.appid,
        "url": url,
        "scene": scene,
        "permanent": permanent,
        "expires_at": None if expire_seconds is None else call.now + expire_seconds,
    }
    out: dict[str, Any] = {"ticket": ticket, "url": url}
    if expire_seconds is not None:
        out["expire_seconds"] = expire_seconds
    return out


async def showqrcode(call: Call) -> web.Response:
    """The QR image for a ticket (no access_token, like mp.weixin.qq.com)."""
    code = call.state.qrcodes.get(call.params.get("ticket", ""))
    if code is None or (code["expires_at"] is not None and call.now >= code["expires_at"]):
        return web.Response(status=404, text="ticket not found or expired\n")
    return web.Response(body=qr_png(code["url"]), content_type="image/png")


ROUTES = [
    Route("/cgi-bin/qrcode/create", qrcode_create, post_only=True),
    Route("/cgi-bin/showqrcode", showqrcode, protected=False),
]
