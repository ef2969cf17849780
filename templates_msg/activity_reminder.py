"""活动提醒: an activity the user signed up for starts soon.

Mini-program subscribe message, one-time: sign-up happens in the mini-program, which asks
for this template at the same tap; the reminder uses that grant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.activity.models import Activity
from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["ActivityReminderContext", "values_for"]


@template_message(
    name="activity_reminder",
    title="活动开始提醒",
    kind=MessageKind.subscribe,
    channel=Channel.miniprogram,
    fields=(
        Field("thing1", "活动名称", "title"),
        Field("time2", "活动时间", "starts_at"),
        Field("thing3", "活动地点", "place"),
        Field("thing4", "温馨提示", "note", fallback="请准时到场，凭签到码入场"),
    ),
    page=lambda c: f"pages/activity/detail?id={c.activity_id}",
    example={
        "activity_id": 1,
        "title": "专精特新企业政策宣讲会",
        "starts_at": "2024-05-20T14:00:00+08:00",
        "place": "浦东新区企业服务中心三楼报告厅",
    },
)
class ActivityReminderContext(BaseModel):
    """An upcoming activity of a signed-up user."""

    activity_id: int
    title: str
    starts_at: datetime
    place: str
    note: str = ""


def values_for(activity: Activity, *, note: str = "") -> dict[str, Any]:
    return {
        "activity_id": activity.id,
        "title": activity.title,
        "starts_at": activity.starts_at,
        "place": activity.place,
        "note": note,
    }
