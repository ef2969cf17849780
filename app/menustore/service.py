"""Saving, choosing and uploading the official account's menu.

Staff edit the menu as JSON in the panel; a version is saved only when it passes
`app.menu.validate_menu` with this deployment's placeholders filled in, so whatever is
saved can be uploaded. The newest saved version is the menu; until one exists, the
repository's `handlers/menu.json` is. `qiyun sync-menu` and the panel's "publish" both
upload `menu_for_upload()`, so they can never disagree about which menu is live.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.menu import MENU_FILE, MenuError, fill_placeholders, load_menu, validate_menu
from app.menustore.models import MenuVersion
from app.staff.models import Staff
from app.wechat import WeChatClient
from app.wechat.errors import WeChatAPIError, WeChatValidationError

__all__ = [
    "MenuStoreError",
    "current_source",
    "latest_version",
    "list_versions",
    "menu_for_upload",
    "save_version",
    "upload_menu",
]

MAX_MENU_TEXT = 20_000


class MenuStoreError(ValueError):
    """A menu was refused or could not be published; the message is meant for staff."""


async def latest_version() -> MenuVersion | None:
    return await MenuVersion.all().order_by("-id").first()


def list_versions() -> QuerySet[MenuVersion]:
    return MenuVersion.all().select_related("created_by").order_by("-id")


async def current_source() -> tuple[dict[str, Any], MenuVersion | None]:
    """The menu as written (placeholders unfilled) and the version it comes from (None: the file)."""
    version = await latest_version()
    if version is not None:
        return version.menu, version
    return load_menu(MENU_FILE), None


async def menu_for_upload(*, substitutions: dict[str, str]) -> tuple[dict[str, Any], MenuVersion | None]:
    """The menu to send to WeChat, placeholders filled and validated (`MenuError` if not valid)."""
    source, version = await current_source()
    menu = fill_placeholders(source, substitutions)
    validate_menu(menu)
    return menu, version


async def save_version(*, actor: Staff, text: str, note: str = "", substitutions: dict[str, str]) -> MenuVersion:
    """Save the JSON staff typed as the newest version, if it is a menu WeChat would accept."""
    if len(text) > MAX_MENU_TEXT:
        raise MenuStoreError(f"菜单 JSON 过长（最多 {MAX_MENU_TEXT} 个字符）。")
    try:
        menu = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MenuStoreError(f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列附近（{exc.msg}）。") from None
    if not isinstance(menu, dict):
        raise MenuStoreError("菜单须为一个 JSON 对象，形如 {\"button\": [...]}。")
    try:
        validate_menu(fill_placeholders(menu, substitutions))
    except MenuError as exc:
        raise MenuStoreError(f"菜单未通过校验：{exc.zh}") from None
    note = note.strip()
    if len(note) > 200:
        raise MenuStoreError("版本说明最多 200 个字。")
    async with in_transaction():
        version = await MenuVersion.create(menu=menu, note=note, created_by_id=actor.id)
        await audit.record(
            staff=actor, action="menu.save", target_type="menu_version", target_id=version.id,
            detail={"note": note, "buttons": [b.get("name") for b in menu.get("button", []) if isinstance(b, dict)]},
        )
    return version


async def upload_menu(*, actor: Staff, client: WeChatClient, substitutions: dict[str, str]) -> MenuVersion | None:
    """Publish the current menu to WeChat; returns the version published (None: the repository file)."""
    try:
        menu, version = await menu_for_upload(substitutions=substitutions)
    except MenuError as exc:
        raise MenuStoreError(f"当前菜单未通过校验，未发布：{exc.zh}") from None
    try:
        await client.menu.create(menu)
    except WeChatValidationError as exc:
        raise MenuStoreError(f"菜单不符合微信的要求，未发布：{exc}") from None
    except WeChatAPIError as exc:
        raise MenuStoreError(f"微信拒绝了菜单（错误码 {getattr(exc, 'errcode', '?')}），未发布。") from None
    now = datetime.now(UTC)
    async with in_transaction():
        if version is not None:
            await MenuVersion.filter(id=version.id).update(uploaded_at=now)
            version.uploaded_at = now
        await audit.record(
            staff=actor, action="menu.upload", target_type="menu_version",
            target_id=version.id if version is not None else "file",
            detail={"buttons": [b.get("name") for b in menu["button"]]},
        )
    return version
