"""Official-account custom menu.

The structure is checked locally (3 top-level buttons, 1-5 sub-buttons, byte
limits) so an admin's typo is reported with a clear message instead of WeChat's
generic 40016-40018.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.wechat.base import BaseWeChatAPI
from app.wechat.errors import WeChatValidationError

__all__ = ["MenuAPI", "validate_menu"]

_MAX_BUTTONS = 3
_MAX_SUB_BUTTONS = 5
_MAX_NAME_BYTES = 16
_MAX_SUB_NAME_BYTES = 60  # documented 40, measured 60
_MAX_KEY_BYTES = 128
_MAX_URL_BYTES = 1024


def _utf8_len(value: Any) -> int:
    return len(str(value).encode("utf-8"))


def validate_menu(menu: Mapping[str, Any]) -> None:
    """Raise `WeChatValidationError` for menus WeChat would reject."""
    buttons = menu.get("button") if isinstance(menu, Mapping) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= _MAX_BUTTONS:
        raise WeChatValidationError(f"menu needs 1-{_MAX_BUTTONS} top-level buttons under 'button'")
    for i, button in enumerate(buttons):
        if not isinstance(button, Mapping) or not button.get("name"):
            raise WeChatValidationError(f"button {i} needs a name")
        if _utf8_len(button["name"]) > _MAX_NAME_BYTES:
            raise WeChatValidationError(f"button {i} name exceeds {_MAX_NAME_BYTES} bytes")
        subs = button.get("sub_button")
        if subs:
            if not isinstance(subs, list) or len(subs) > _MAX_SUB_BUTTONS:
                raise WeChatValidationError(f"button {i} may have 1-{_MAX_SUB_BUTTONS} sub-buttons")
            for j, sub in enumerate(subs):
                if not isinstance(sub, Mapping) or not sub.get("name"):
                    raise WeChatValidationError(f"sub-button {i}.{j} needs a name")
                if _utf8_len(sub["name"]) > _MAX_SUB_NAME_BYTES:
                    raise WeChatValidationError(f"sub-button {i}.{j} name exceeds {_MAX_SUB_NAME_BYTES} bytes")
                _validate_action(sub, f"sub-button {i}.{j}")
        else:
            _validate_action(button, f"button {i}")


def _validate_action(button: Mapping[str, Any], where: str) -> None:
    if not button.get("type"):
        raise WeChatValidationError(f"{where} needs a type")
    if "key" in button and _utf8_len(button["key"]) > _MAX_KEY_BYTES:
        raise WeChatValidationError(f"{where} key exceeds {_MAX_KEY_BYTES} bytes")
    if "url" in button and _utf8_len(button["url"]) > _MAX_URL_BYTES:
        raise WeChatValidationError(f"{where} url exceeds {_MAX_URL_BYTES} bytes")


class MenuAPI(BaseWeChatAPI):
    """`/cgi-bin/menu/*`."""

    async def create(self, menu_dict: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the account's menu (takes effect for users within minutes)."""
        validate_menu(menu_dict)
        return await self._post("/cgi-bin/menu/create", json=dict(menu_dict))

    async def get(self) -> dict[str, Any]:
        """The menu as configured through the API."""
        return await self._get("/cgi-bin/menu/get")

    async def delete(self) -> dict[str, Any]:
        """Remove the menu (and any conditional menus)."""
        return await self._get("/cgi-bin/menu/delete")
