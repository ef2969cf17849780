"""诉求答复: the department answered the enterprise's appeal; the enterprise can read the
full answer, confirm it and rate the handling.

Mini-program subscribe message, long-term (see appeal_accepted for why). The answer is
cut to 20 characters; the page shows it in full.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.appeal.models import Appeal
from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["AppealRepliedContext", "values_for"]


@template_message(
    name="appeal_replied",
    title="诉求答复通知",
    kind=MessageKind.subscribe,
    channel=Channel.miniprogram,
    long_term=True,
    fields=(
        Field("character_string1", "诉求编号", "number"),
        Field("thing2", "诉求事项", "title"),
        Field("thing3", "答复内容", "reply"),
        Field("time4", "答复时间", "replied_at"),
    ),
    page=lambda c: f"pages/appeal/detail?id={c.appeal_id}",
    example={
        "appeal_id": 1,
        "number": "SQ20240501000123",
        "title": "厂房租金补贴申请进度咨询",
        "reply": "您好，贵公司的租金补贴申请已通过初审，\n预计6月底前拨付，请留意银行到账信息。",
        "replied_at": "2024-05-06T16:20:00+08:00",
    },
)
class AppealRepliedContext(BaseModel):
    """A department's answer to an appeal."""

    appeal_id: int
    number: str
    title: str
    reply: str
    replied_at: datetime


def values_for(appeal: Appeal, *, reply: str) -> dict[str, Any]:
    return {
        "appeal_id": appeal.id,
        "number": appeal.number,
        "title": appeal.title,
        "reply": reply,
        "replied_at": appeal.replied_at,
    }
