"""What a person was sent: the notifications in "我的消息" of the mini-program.

The message log already records every outbound message with the openid it went to. A
person (WeChatUser) has one openid per app — the official account's follower and the
mini-program account — so their messages are the delivered notifications to any of those
openids. Chat replies (passive replies) are conversation, not notifications, and stay out;
so do sends WeChat refused, which the person never saw.
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

__all__ = ["NOTIFICATION_KINDS", "ReceivedMessage", "describe_message", "received_messages"]

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


def describe_message(entry: MessageLog) -> ReceivedMessage:
    """A log row as the person sees it: the template's title (or the kind) and the summary."""
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
    )
