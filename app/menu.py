"""The official account's menu: kept as data in the repository, validated, then uploaded.

WeChat rejects a bad menu with a terse errcode; checking its limits here first gives
the person running `qiyun sync-menu` (or the staff editing it in the panel, who get the
message in Chinese) a precise message instead. Staff-saved versions live in
`app.menustore`; the repository file is the menu until the first version is saved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MENU_FILE = Path(__file__).resolve().parent.parent / "handlers" / "menu.json"

MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
TOP_NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024
BUTTON_TYPES = {
    "click": ("key",),
    "view": ("url",),
    "miniprogram": ("url", "appid", "pagepath"),
    "scancode_push": ("key",),
    "scancode_waitmsg": ("key",),
    "pic_sysphoto": ("key",),
    "pic_photo_or_album": ("key",),
    "pic_weixin": ("key",),
    "location_select": ("key",),
}


class MenuError(ValueError):
    """The menu breaks one of WeChat's limits; the message names the button.

    `str(error)` is English (for the command line and logs); `error.zh` says the same in
    Chinese for the staff panel.
    """

    def __init__(self, message: str, zh: str = "") -> None:
        super().__init__(message)
        self.zh = zh or message


def menu_substitutions(*, public_base_url: str, miniprogram_appid: str) -> dict[str, str]:
    """The placeholders a menu may use, with this deployment's values."""
    return {"public_base_url": public_base_url.rstrip("/"), "miniprogram_appid": miniprogram_appid}


def load_menu(path: Path = MENU_FILE, *, substitutions: dict[str, str] | None = None) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    return json.loads(_substitute(text, substitutions))


def fill_placeholders(menu: dict[str, Any], substitutions: dict[str, str]) -> dict[str, Any]:
    """A copy of a stored menu (as staff wrote it) with the placeholders filled in."""
    return json.loads(_substitute(json.dumps(menu, ensure_ascii=False), substitutions))


def _substitute(text: str, substitutions: dict[str, str] | None) -> str:
    for name, value in (substitutions or {}).items():
        text = text.replace("{" + name + "}", value)
    return text


def validate_menu(menu: dict[str, Any]) -> None:
    buttons = menu.get("button") if isinstance(menu, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise MenuError(
            f"the menu needs 1 to {MAX_BUTTONS} top-level buttons", f"菜单须有 1 到 {MAX_BUTTONS} 个一级菜单（button）"
        )
    keys: set[str] = set()
    for position, button in enumerate(buttons, 1):
        if not isinstance(button, dict):
            raise MenuError(f"button {position}: must be an object", f"第 {position} 个一级菜单：格式不正确，须为对象")
        where = f"button {position} ({button.get('name', '?')})"
        where_zh = f"第 {position} 个一级菜单（{button.get('name', '?')}）"
        _check_name(button, where, where_zh, TOP_NAME_BYTES)
        subs = button.get("sub_button")
        if subs is None:
            _check_action(button, where, where_zh, keys)
            continue
        if not isinstance(subs, list) or not 1 <= len(subs) <= MAX_SUB_BUTTONS:
            raise MenuError(
                f"{where}: needs 1 to {MAX_SUB_BUTTONS} sub-buttons", f"{where_zh}：须有 1 到 {MAX_SUB_BUTTONS} 个子菜单"
            )
        for sub_position, sub in enumerate(subs, 1):
            if not isinstance(sub, dict):
                raise MenuError(
                    f"{where} / sub-button {sub_position}: must be an object",
                    f"{where_zh}的第 {sub_position} 个子菜单：格式不正确，须为对象",
                )
            sub_where = f"{where} / sub-button {sub_position} ({sub.get('name', '?')})"
            sub_where_zh = f"{where_zh}的第 {sub_position} 个子菜单（{sub.get('name', '?')}）"
            _check_name(sub, sub_where, sub_where_zh, SUB_NAME_BYTES)
            _check_action(sub, sub_where, sub_where_zh, keys)


def _check_name(button: dict[str, Any], where: str, where_zh: str, limit: int) -> None:
    name = button.get("name")
    if not isinstance(name, str) or not name.strip():
        raise MenuError(f"{where}: name is required", f"{where_zh}：名称（name）为必填项")
    size = len(name.encode("utf-8"))
    if size > limit:
        raise MenuError(
            f"{where}: name is {size} bytes, at most {limit}",
            f"{where_zh}：名称 {size} 字节，最多 {limit} 字节（约 {limit // 3} 个汉字）",
        )


def _check_action(button: dict[str, Any], where: str, where_zh: str, keys: set[str]) -> None:
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise MenuError(
            f"{where}: unknown type {kind!r}",
            f"{where_zh}：类型（type）{kind!r} 不是微信支持的菜单类型（{'、'.join(BUTTON_TYPES)}）",
        )
    for field in BUTTON_TYPES[kind]:
        value = button.get(field)
        if not isinstance(value, str) or not value or "{" in value:
            raise MenuError(
                f"{where}: {field} is required (is a placeholder left unfilled?)",
                f"{where_zh}：{field} 为必填项（或其中有未知的占位符）",
            )
    if "key" in button:
        if not isinstance(button["key"], str):
            raise MenuError(f"{where}: key must be a string", f"{where_zh}：key 须为字符串")
        if len(button["key"].encode("utf-8")) > KEY_BYTES:
            raise MenuError(f"{where}: key longer than {KEY_BYTES} bytes", f"{where_zh}：key 超过 {KEY_BYTES} 字节")
        if button["key"] in keys:
            raise MenuError(f"{where}: key {button['key']!r} is used twice", f"{where_zh}：key {button['key']!r} 重复使用")
        keys.add(button["key"])
    if "url" in button:
        if not isinstance(button["url"], str):
            raise MenuError(f"{where}: url must be a string", f"{where_zh}：url 须为字符串")
        if len(button["url"].encode("utf-8")) > URL_BYTES:
            raise MenuError(f"{where}: url longer than {URL_BYTES} bytes", f"{where_zh}：url 超过 {URL_BYTES} 字节")
        if not button["url"].startswith(("http://", "https://")):
            raise MenuError(f"{where}: url must be absolute http(s)", f"{where_zh}：url 须为以 http:// 或 https:// 开头的完整网址")
