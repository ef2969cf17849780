"""活动报名通知: tells a follower what happened to their activity sign-up — signed up, on the
waiting list, moved up from it, cancelled by staff, the activity cancelled — and reminds
them the day before.

Official-account template message (no grant needed) to the person's follower account: the
channel for people who signed up in the chat, and the fallback of the day-before reminder
for mini-program users without an 活动开始提醒 grant (see `app.activity.notices`). Opens the
ticket's H5 page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["NOTICE_PHRASES", "ActivityNoticeContext", "Notice"]

Notice = Literal["confirmed", "waitlisted", "promoted", "cancelled_by_staff", "activity_cancelled", "reminder"]

NOTICE_PHRASES: dict[str, str] = {
    "confirmed": "报名成功",
    "waitlisted": "候补中",
    "promoted": "候补成功",
    "cancelled_by_staff": "报名已取消",
    "activity_cancelled": "活动取消",
    "reminder": "明天开始",
}
"""The notice -> the word in 报名状态 (a phrase: at most 5 Chinese characters)."""


@template_message(
    name="activity_notice",
    title="活动报名通知",
    kind=MessageKind.template,
    channel=Channel.official_account,
    fields=(
        Field("thing1", "活动名称", "title"),
        Field("time2", "活动时间", "starts_at"),
        Field("thing3", "活动地点", "place"),
        Field("phrase4", "报名状态", "notice", phrases=NOTICE_PHRASES),
        Field("thing5", "说明", "note", fallback="详情请点击查看"),
    ),
    url=lambda c: f"/h5/activities/tickets/{c.ticket_code}",
    example={
        "ticket_code": "A7K3M9Q2X4",
        "title": "专精特新企业培育政策宣讲会",
        "starts_at": "2024-05-20T14:00:00+08:00",
        "place": "市中小企业服务中心三楼报告厅",
        "notice": "promoted",
        "note": "有人取消报名，您已由候补转为报名成功",
    },
)
class ActivityNoticeContext(BaseModel):
    """One change of a person's activity sign-up, or the day-before reminder."""

    ticket_code: str
    title: str
    starts_at: datetime
    place: str
    notice: Notice
    note: str = ""
