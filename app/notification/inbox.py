"""What a person was sent: the notifications in "我的消息" of the mini-program.

The message log already records every outbound message with the openid it went to. A
person (WeChatUser) has one openid per app — the official account's follower and the
mini-program account — so their messages are the delivered notifications to any of those
openids. Chat replies (passive replies) are conversation, not notifications, and stay out;
so do sends WeChat refused, which the person never saw.

Read state is one number per person, `WeChatUser.messages_read_up_to`: the newest message id
they have seen. Message ids only grow, so "unread" is `id > messages_read_up_to`, with no row
per message and nothing to clean up when the log is purged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

import templates_msg
from app.identity.models import Follower, MiniProgramUser, WeChatUser
from app.messagelog.labels import kind_label
from app.messagelog.models import Direction, MessageLog
from templates_msg.base import TemplateError

__all__ = ["NOTIFICATION_KINDS", "ReceivedMessage", "describe_message", "mark_read", "received_messages", "unread_count"]

NOTIFICATION_KINDS = ("template", "bizsend", "subscribe", "custom")
"""Outbound kinds a person experiences as a notification (not `passive_reply`)."""


@dataclass(frozen=True)
class ReceivedMessage:
    id: int
    title: str
    summary: str
    channel: str
    channel_label: str
    related_type: str
    related_id: int | None
    sent_at: datetime
    unread: bool


async def received_messages(*, user: WeChatUser) -> QuerySet[MessageLog]:
    """The person's delivered notifications, newest first (a queryset, for keyset paging)."""
    openids = [
        *await Follower.filter(user_id=user.id).values_list("openid", flat=True),
        *await MiniProgramUser.filter(user_id=user.id).values_list("openid", flat=True),
    ]
    delivered = Q(errcode=0) | Q(errcode__isnull=True, status__in=("sent", "success"))
    return (
        MessageLog.filter(direction=Direction.outbound, kind__in=NOTIFICATION_KINDS, openid__in=openids or [""])
        .filter(delivered)
        .exclude(status__startswith="failed")
    )


def describe_message(entry: MessageLog, *, read_up_to: int) -> ReceivedMessage:
    """A log row as the person sees it: the template's title (or the kind), the summary, and
    whether it is newer than what they have read (`WeChatUser.messages_read_up_to`)."""
    payload = entry.payload or {}
    title = kind_label(entry.kind)
    name = payload.get("template")
    if isinstance(name, str) and name:
        try:
            title = templates_msg.get(name).title
        except TemplateError:
            pass  # a template since removed: keep the kind's label
    return ReceivedMessage(
        id=entry.id,
        title=title,
        summary=entry.summary,
        channel=entry.channel.value,
        channel_label=entry.channel.label,
        related_type=entry.related_type,
        related_id=entry.related_id,
        sent_at=entry.created_at,
        unread=entry.id > read_up_to,
    )


async def unread_count(*, user: WeChatUser) -> int:
    """How many of the person's notifications are newer than what they have read."""
    return await (await received_messages(user=user)).filter(id__gt=user.messages_read_up_to).count()


async def mark_read(*, user: WeChatUser, up_to_id: int | None = None) -> int:
    """Mark the person's notifications read up to `up_to_id` (all of them when None): the
    marker only moves forward, so a late request from an older page never un-reads newer
    messages. Returns how many stay unread."""
    messages = await received_messages(user=user)
    newest = await messages.order_by("-id").first()
    target = 0 if newest is None else newest.id if up_to_id is None else min(up_to_id, newest.id)
    if target > user.messages_read_up_to:
        await WeChatUser.filter(id=user.id, messages_read_up_to__lt=target).update(messages_read_up_to=target)
        user.messages_read_up_to = target
    return await messages.filter(id__gt=user.messages_read_up_to).count()
