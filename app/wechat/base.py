"""Common base of the per-area API classes (message, menu, qrcode, ...).

Mirrors wechatpy's `client/api/base.py`: each area is a small class holding the
shared transport, so areas stay independent modules and one client composes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.wechat.http import WeChatHTTP

__all__ = ["BaseWeChatAPI", "compact"]


class BaseWeChatAPI:
    """Holds the transport; subclasses add one method per WeChat endpoint."""

    def __init__(self, http: WeChatHTTP) -> None:
        self._http = http

    async def _get(self, path: str, **kwargs: Any) -> Any:
        return await self._http.request("GET", path, **kwargs)

    async def _post(self, path: str, **kwargs: Any) -> Any:
        return await self._http.request("POST", path, **kwargs)


def compact(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Drop None values: WeChat treats an explicit null differently from absence
    for several optional fields (url, miniprogram, page)."""
    return {k: v for k, v in fields.items() if v is not None}
