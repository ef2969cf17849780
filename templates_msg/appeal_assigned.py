"""诉求分派: tells the staff of the organisation an appeal was (re)dispatched or escalated
to that it is theirs now, as lead (主办) or co-handler (协办).

Official-account template message to the staff member's own WeChat (`Staff.follower`),
like appeal_overdue: staff must be reached without asking for grants. Opens the appeal in
the admin panel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["ROLE_PHRASES", "AppealAssignedContext"]

ROLE_PHRASES = {"lead": "主办", "co_handler": "协办"}


@template_message(
    name="appeal_assigned",
    title="诉求分派通知",
    kind=MessageKind.template,
    channel=Channel.official_account,
    fields=(
        Field("character_string1", "诉求编号", "number"),
        Field("thing2", "诉求事项", "title"),
        Field("phrase3", "承办方式", "role", phrases=ROLE_PHRASES),
        Field("thing4", "分派说明", "note", fallback="请及时签收办理"),
        Field("time5", "办结时限", "resolve_due_at"),
    ),
    url=lambda c: f"/admin/appeals/{c.appeal_id}",
    example={
        "appeal_id": 1,
        "number": "SQ20240501000123",
        "title": "厂房租金补贴申请进度咨询",
        "role": "lead",
        "note": "市协调办分派，请及时签收办理",
        "resolve_due_at": "2024-05-22T23:59:00+08:00",
    },
)
class AppealAssignedContext(BaseModel):
    """An appeal handed to the staff member's organisation."""

    appeal_id: int
    number: str
    title: str
    role: Literal["lead", "co_handler"]
    note: str = ""
    resolve_due_at: datetime
