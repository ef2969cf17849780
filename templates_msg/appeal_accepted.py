"""诉求受理: the enterprise's appeal was accepted (受理).

Mini-program subscribe message, long-term: appeals are submitted in the mini-program,
which asks for appeal_accepted, appeal_dispatched and appeal_replied in one
`wx.requestSubscribeMessage` (at most 3 templates per request). Government services
(政务民生) may use long-term subscription templates, so one grant covers every update of
every appeal; the ledger does not use it up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.appeal.models import Appeal
from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["AppealAcceptedContext", "values_for"]


@template_message(
    name="appeal_accepted",
    title="诉求受理通知",
    kind=MessageKind.subscribe,
    channel=Channel.miniprogram,
    long_term=True,
    fields=(
        Field("character_string1", "诉求编号", "number"),
        Field("thing2", "诉求事项", "title"),
        Field("phrase3", "办理状态", lambda c: "已受理"),
        Field("time4", "受理时间", "accepted_at"),
    ),
    page=lambda c: f"pages/appeal/detail?id={c.appeal_id}",
    example={
        "appeal_id": 1,
        "number": "SQ20240501000123",
        "title": "厂房租金补贴申请进度咨询",
        "accepted_at": "2024-05-01T09:30:00+08:00",
    },
)
class AppealAcceptedContext(BaseModel):
    """An appeal accepted by the service centre."""

    appeal_id: int
    number: str
    title: str
    accepted_at: datetime


def values_for(appeal: Appeal) -> dict[str, Any]:
    return {
        "appeal_id": appeal.id,
        "number": appeal.number,
        "title": appeal.title,
        "accepted_at": appeal.accepted_at,
    }
