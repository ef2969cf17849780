"""The follower directory staff browse: search, one follower, their messages, their phone.

Phone numbers are personal data: staff see them masked (`138****1234`) unless their
role holds `follower.phone`; the decision is `phone_for`, so no page shows a number
any other way.
"""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from app.identity.models import Follower
from app.identity.service import mask_phone
from app.messagelog.models import MessageLog
from app.staff.models import Staff
from app.staff.scope import can, scope_queryset

__all__ = ["get_follower", "message_log", "phone_for", "search_followers"]


async def search_followers(*, viewer: Staff, search: str = "", tag_id: int | None = None) -> QuerySet[Follower]:
    """Followers matching `search` (part of an openid or remark), newest first."""
    query = Follower.all().select_related("user")
    search = search.strip()
    if search:
        query = query.filter(Q(openid__contains=search) | Q(remark__icontains=search))
    query = await scope_queryset(viewer, query, "follower")
    if tag_id is not None:
        # The JSON column is read back to filter: portable across SQLite and PostgreSQL.
        ids = [row["id"] for row in await query.values("id", "wechat_tag_ids") if tag_id in (row["wechat_tag_ids"] or [])]
        query = Follower.filter(id__in=ids).select_related("user")
    return query.order_by("-id")


async def get_follower(*, viewer: Staff, follower_id: int) -> Follower | None:
    query = await scope_queryset(viewer, Follower.filter(id=follower_id).select_related("user"), "follower")
    return await query.first()


def message_log(*, follower: Follower) -> QuerySet[MessageLog]:
    """Everything the follower sent and was sent, newest first."""
    return MessageLog.filter(openid=follower.openid).order_by("-id")


def phone_for(viewer: Staff, follower: Follower) -> str:
    """The follower's verified phone number as this viewer may see it."""
    user = follower.user if follower.user_id is not None else None
    phone = getattr(user, "phone", "") or ""
    return phone if can(viewer, "follower.phone") else mask_phone(phone)
