"""答复提醒: the answer to a follower's message was ready after the customer-service window
(48 hours) closed, so it goes as a template message (handlers/delivery.py's fallback).

Official-account template message: the only message WeChat still accepts then. It shows
the start of the answer and opens the article the answer pointed to, or the H5 home page.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["ReplyReadyContext"]


@template_message(
    name="reply_ready",
    title="咨询答复通知",
    kind=MessageKind.template,
    channel=Channel.official_account,
    fields=(
        Field("thing1", "答复内容", "summary", fallback="您咨询的问题已有答复"),
        Field("time2", "答复时间", "replied_at"),
    ),
    url=lambda c: c.link or "/h5/",
    example={"summary": "为您找到3条研发补贴相关政策，点击查看", "replied_at": "2024-05-01T10:00:00+08:00"},
)
class ReplyReadyContext(BaseModel):
    """A late answer to a follower."""

    summary: str = ""
    replied_at: datetime
    link: str | None = None
    """An absolute URL (the answer's article) or an H5 path."""
