"""诉求分派: the enterprise's appeal was handed to the department that handles it.

Mini-program subscribe message, long-term (see appeal_accepted for why).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.appeal.models import Appeal
from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["AppealDispatchedContext", "values_for"]


@template_message(
    name="appeal_dispatched",
    title="诉求办理进度通知",
    kind=MessageKind.subscribe,
    channel=Channel.miniprogram,
    long_term=True,
    fields=(
        Field("character_string1", "诉求编号", "number"),
        Field("thing2", "诉求事项", "title"),
        Field("thing3", "承办单位", "department"),
        Field("time4", "分派时间", "dispatched_at"),
    ),
    page=lambda c: f"pages/appeal/detail?id={c.appeal_id}",
    example={
        "appeal_id": 1,
        "number": "SQ20240501000123",
        "title": "厂房租金补贴申请进度咨询",
        "department": "浦东新区科技和经济委员会",
        "dispatched_at": "2024-05-01T14:05:00+08:00",
    },
)
class AppealDispatchedContext(BaseModel):
    """An appeal dispatched to its lead department."""

    appeal_id: int
    number: str
    title: str
    department: str
    dispatched_at: datetime


def values_for(appeal: Appeal, *, department: str, dispatched_at: datetime) -> dict[str, Any]:
    return {
        "appeal_id": appeal.id,
        "number": appeal.number,
        "title": appeal.title,
        "department": department,
        "dispatched_at": dispatched_at,
    }
