"""Followers of the official account as XLSX: the admin's follower list with its search and
tag filter (`app.identity.directory.search_followers`, the page's own query), newest first.

Phone numbers are masked unless `app.exports.may_unmask` (export.unmasked). Deliberately not
`follower.phone`: seeing one number on screen while helping someone is not taking every
number out in a file, which is the city administrator's decision alone (both are the city
administrator's today; a role given `follower.phone` later does not widen exports).
"""

from __future__ import annotations

from collections.abc import Mapping

from app.exports import ROW_CAP, Column, Export, export_list, register_export, today_text
from app.identity.directory import search_followers
from app.staff.models import Staff

__all__ = ["COLUMNS", "export_followers"]

register_export("followers", "公众号粉丝列表")

COLUMNS: tuple[Column, ...] = (
    Column("openid", 32), Column("备注", 16), Column("手机号", 15, "phone"), Column("关注状态", 10),
    Column("标签", 24), Column("关注时间", 17, "datetime"), Column("最近互动", 17, "datetime"),
)


async def export_followers(*, staff: Staff, search: str = "", tag_id: int | None = None,
                           tag_names: Mapping[int, str] | None = None, chunk: int = 2000) -> Export:
    """The followers the list shows for this search and tag; tags by name where WeChat
    told us (`tag_names`), else by id."""
    query = await search_followers(viewer=staff, search=search, tag_id=tag_id)
    names = tag_names or {}

    async def rows():
        for start in range(0, ROW_CAP + 1, chunk):
            part = await query.offset(start).limit(chunk)
            for f in part:
                user = f.user if f.user_id is not None else None
                yield [f.openid, f.remark, user.phone if user else "", "已关注" if f.subscribed else "已取消关注",
                       [names.get(t, str(t)) for t in f.wechat_tag_ids or []], f.subscribed_at, f.last_interaction_at]
            if len(part) < chunk:
                return

    return await export_list(
        staff=staff, kind="followers", filters={"q": search, "tag": tag_id}, filename=f"公众号粉丝-{today_text()}.xlsx",
        fallback="followers.xlsx", sheet_title="公众号粉丝", columns=COLUMNS, rows=rows(),
    )
