"""The official account's custom menu: create (with WeChat's limits), get, delete.

Limits: 1-3 top-level buttons, 1-5 sub-buttons; names at most 16 bytes (top) and
60 bytes (sub, documented 40 but measured 60); key at most 128 bytes; url at most
1024 bytes. Errcodes follow WeChat's global return codes 40016-40027.
"""

from __future__ import annotations

import copy
from typing import Any

from app.simulator.errors import WxError
from app.simulator.pipeline import Call, Route

__all__ = ["BUTTON_TYPES", "ROUTES", "validate_menu"]

BUTTON_TYPES = frozenset(
    {
        "click", "view", "miniprogram", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
        "pic_photo_or_album", "pic_weixin", "location_select", "media_id", "view_limited",
        "article_id", "article_view_limited",
    }
)
_KEY_TYPES = frozenset(
    {
        "click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin",
        "location_select",
    }
)
MAX_BUTTONS, MAX_SUB_BUTTONS = 3, 5
MAX_NAME_BYTES, MAX_SUB_NAME_BYTES = 16, 60
MAX_KEY_BYTES, MAX_URL_BYTES = 128, 1024

# (top-level code, sub-button code) for each kind of violation.
_CODES = {"type": (40017, 40024), "name": (40018, 40025), "key": (40019, 40026), "url": (40020, 40027)}


def _size(value: Any) -> int:
    return len(str(value).encode("utf-8"))


def _check_action(button: dict[str, Any], sub: bool, where: str) -> None:
    index = 1 if sub else 0
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise WxError(_CODES["type"][index], f"{where}: type {kind!r}")
    if kind in _KEY_TYPES:
        key = button.get("key")
        if not isinstance(key, str) or not key or _size(key) > MAX_KEY_BYTES:
            raise WxError(_CODES["key"][index], f"{where}: key must be 1-{MAX_KEY_BYTES} bytes")
    if kind in ("view", "miniprogram"):
        url = button.get("url")
        if not isinstance(url, str) or not url or _size(url) > MAX_URL_BYTES:
            raise WxError(_CODES["url"][index], f"{where}: url must be 1-{MAX_URL_BYTES} bytes")
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        raise WxError(40097, f"{where}: miniprogram needs appid and pagepath")
    if kind in ("media_id", "view_limited") and not button.get("media_id"):
        raise WxError(40007, f"{where}: media_id required")
    if kind in ("article_id", "article_view_limited") and not button.get("article_id"):
        raise WxError(40097, f"{where}: article_id required")


def _check_name(button: dict[str, Any], sub: bool, where: str) -> None:
    limit = MAX_SUB_NAME_BYTES if sub else MAX_NAME_BYTES
    name = button.get("name")
    if not isinstance(name, str) or not name or _size(name) > limit:
        raise WxError(_CODES["name"][1 if sub else 0], f"{where}: name must be 1-{limit} bytes")


def validate_menu(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The top-level buttons of a valid menu, or WxError with WeChat's errcode."""
    buttons = body.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise WxError(40016)
    for i, button in enumerate(buttons):
        if not isinstance(button, dict):
            raise WxError(47001)
        _check_name(button, False, f"button[{i}]")
        subs = button.get("sub_button")
        if subs:
            if not isinstance(subs, list) or len(subs) > MAX_SUB_BUTTONS:
                raise WxError(40023)
            for j, sub in enumerate(subs):
                if not isinstance(sub, dict):
                    raise WxError(47001)
                if sub.get("sub_button"):
                    raise WxError(40022)
                _check_name(sub, True, f"button[{i}].sub_button[{j}]")
                _check_action(sub, True, f"button[{i}].sub_button[{j}]")
        else:
            _check_action(button, False, f"button[{i}]")
    return buttons


async def menu_create(call: Call) -> dict[str, Any]:
    state = call.state
    body = call.body()
    buttons = validate_menu(body)
    appid = call.appid or ""
    state.menus[appid] = {"button": copy.deepcopy(buttons), "menuid": state.next_msgid()}
    state.last_menu_appid = appid
    return {"errcode": 0, "errmsg": "ok"}


def _stored(call: Call) -> dict[str, Any]:
    menu = call.state.menus.get(call.appid or "")
    if menu is None:
        raise WxError(46003)
    return menu


async def menu_get(call: Call) -> dict[str, Any]:
    return {"menu": copy.deepcopy(_stored(call))}


def _selfmenu_button(button: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in button.items() if k != "sub_button"}
    subs = button.get("sub_button")
    if subs:
        out["sub_button"] = {"list": [dict(s) for s in subs]}
    return out


async def selfmenu_info(call: Call) -> dict[str, Any]:
    """`get_current_selfmenu_info`: the menu as shown, sub-buttons under `list`."""
    menu = call.state.menus.get(call.appid or "")
    if menu is None:
        return {"is_menu_open": 0}
    return {"is_menu_open": 1, "selfmenu_info": {"button": [_selfmenu_button(b) for b in menu["button"]]}}


async def menu_delete(call: Call) -> dict[str, Any]:
    state = call.state
    state.menus.pop(call.appid or "", None)
    if state.last_menu_appid == call.appid:
        state.last_menu_appid = next(iter(state.menus), None)
    return {"errcode": 0, "errmsg": "ok"}


ROUTES = [
    Route("/cgi-bin/menu/create", menu_create, post_only=True),
    Route("/cgi-bin/menu/get", menu_get),
    Route("/cgi-bin/get_current_selfmenu_info", selfmenu_info),
    Route("/cgi-bin/menu/delete", menu_delete),
]
