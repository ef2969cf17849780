"""诉求超期: supervision (督办) tells the staff member responsible that an appeal passed a
deadline (accept, first response or resolution), or (level 0, `app.appeal.deadlines`) that
one falls due soon.

Official-account template message to the staff member's own WeChat (`Staff.follower`):
staff follow the account and must be reached without asking for grants. Opens the
appeal in the admin panel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from app.appeal.models import Appeal
from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["DUE_SOON_PHRASES", "STAGE_PHRASES", "AppealOverdueContext", "values_for"]

STAGE_PHRASES = {"accept": "受理超期", "respond": "响应超期", "resolve": "办结超期"}
DUE_SOON_PHRASES = {"accept:soon": "受理将到期", "respond:soon": "响应将到期", "resolve:soon": "办结将到期"}
"""Level 0 (the reminder before the deadline) says the deadline is near, not passed."""


@template_message(
    name="appeal_overdue",
    title="诉求超期督办提醒",
    kind=MessageKind.template,
    channel=Channel.official_account,
    fields=(
        Field("character_string1", "诉求编号", "number"),
        Field("thing2", "诉求事项", "title"),
        Field("phrase3", "超期环节", lambda c: c.stage if c.level else f"{c.stage}:soon",
              phrases={**STAGE_PHRASES, **DUE_SOON_PHRASES}),
        Field("time4", "办理时限", "due_at"),
    ),
    url=lambda c: f"/admin/appeals/{c.appeal_id}",
    example={
        "appeal_id": 1,
        "number": "SQ20240501000123",
        "title": "厂房租金补贴申请进度咨询",
        "stage": "respond",
        "due_at": "2024-05-03T17:30:00+08:00",
    },
)
class AppealOverdueContext(BaseModel):
    """An appeal past one of its deadlines."""

    appeal_id: int
    number: str
    title: str
    stage: Literal["accept", "respond", "resolve"]
    due_at: datetime
    level: int = 1
    """0: the reminder before the deadline; 1-3: supervision (督办) at and after it."""


def values_for(appeal: Appeal, *, stage: str) -> dict[str, Any]:
    due = {"accept": appeal.accept_due_at, "respond": appeal.respond_due_at, "resolve": appeal.resolve_due_at}
    return {"appeal_id": appeal.id, "number": appeal.number, "title": appeal.title, "stage": stage,
            "due_at": due.get(stage)}
