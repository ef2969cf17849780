"""Official-account followers and tags."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from app.wechat.base import BaseWeChatAPI, compact
from app.wechat.errors import WeChatValidationError

__all__ = ["UserAPI"]

MAX_BATCH_GET = 100
MAX_TAG_USERS = 50


class UserAPI(BaseWeChatAPI):
    """`/cgi-bin/user/*` and `/cgi-bin/tags/*`."""

    async def get(self, openid: str, *, lang: str = "zh_CN") -> dict[str, Any]:
        """A follower's profile (`subscribe`, `unionid`, `tagid_list`, ...)."""
        return await self._get("/cgi-bin/user/info", params={"openid": openid, "lang": lang})

    async def list(self, next_openid: str | None = None) -> dict[str, Any]:
        """One page (up to 10,000) of follower openids; pass `next_openid` to continue."""
        return await self._get("/cgi-bin/user/get", params=compact({"next_openid": next_openid}))

    async def batch_get(self, openids: Sequence[str], *, lang: str = "zh_CN") -> builtins.list[dict[str, Any]]:
        """Profiles of up to 100 followers in one call."""
        if not openids or len(openids) > MAX_BATCH_GET:
            raise WeChatValidationError(f"batch_get takes 1-{MAX_BATCH_GET} openids")
        result = await self._post(
            "/cgi-bin/user/info/batchget",
            json={"user_list": [{"openid": o, "lang": lang} for o in openids]},
        )
        return builtins.list(result.get("user_info_list", []))

    async def create_tag(self, name: str) -> dict[str, Any]:
        """Create a tag; returns `{"id", "name"}`."""
        if not name or len(name) > 30:
            raise WeChatValidationError("tag name must be 1-30 characters")
        result = await self._post("/cgi-bin/tags/create", json={"tag": {"name": name}})
        return dict(result["tag"])

    async def update_tag(self, tag_id: int, name: str) -> dict[str, Any]:
        """Rename a tag (system tags 0-99 cannot be changed: 45058)."""
        if not name or len(name) > 30:
            raise WeChatValidationError("tag name must be 1-30 characters")
        return await self._post("/cgi-bin/tags/update", json={"tag": {"id": tag_id, "name": name}})

    async def delete_tag(self, tag_id: int) -> dict[str, Any]:
        """Delete a tag (its followers simply lose it)."""
        return await self._post("/cgi-bin/tags/delete", json={"tag": {"id": tag_id}})

    async def get_tag_users(self, tag_id: int, next_openid: str | None = None) -> dict[str, Any]:
        """One page of a tag's followers: `{"count", "data": {"openid": [...]}, "next_openid"}`."""
        return await self._post("/cgi-bin/user/tag/get", json=compact({"tagid": tag_id, "next_openid": next_openid}))

    async def get_tags(self) -> builtins.list[dict[str, Any]]:
        """All tags of the account with follower counts."""
        result = await self._get("/cgi-bin/tags/get")
        return builtins.list(result.get("tags", []))

    async def tag_users(self, tag_id: int, openids: Sequence[str]) -> dict[str, Any]:
        """Add up to 50 followers to a tag."""
        return await self._post(
            "/cgi-bin/tags/members/batchtagging", json={"tagid": tag_id, "openid_list": _openid_list(openids)}
        )

    async def untag_users(self, tag_id: int, openids: Sequence[str]) -> dict[str, Any]:
        """Remove up to 50 followers from a tag."""
        return await self._post(
            "/cgi-bin/tags/members/batchuntagging", json={"tagid": tag_id, "openid_list": _openid_list(openids)}
        )

    async def get_user_tags(self, openid: str) -> builtins.list[int]:
        """Tag ids of one follower."""
        result = await self._post("/cgi-bin/tags/getidlist", json={"openid": openid})
        return [int(t) for t in result.get("tagid_list", [])]


def _openid_list(openids: Sequence[str]) -> builtins.list[str]:
    if isinstance(openids, str) or not openids or len(openids) > MAX_TAG_USERS:
        raise WeChatValidationError(f"tagging takes 1-{MAX_TAG_USERS} openids")
    return builtins.list(openids)
