"""诉求办理进度: tells the enterprise what happened to its appeal (accepted, declined,
dispatched, answered, more information asked for, closed, merged, a reply waiting for its
rating) when it cannot be reached in the mini-program.

Official-account template message to the submitter's follower: the fallback for people who
filed by chat or H5, or who did not grant the mini-program's subscribe messages (see
`app.appeal.notices` for the choice). One template for every step, so the operator applies
for one template instead of one per step; the status is a short word, the explanation the
department, the start of the reply or the reason. Opens the appeal's H5 page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["PROGRESS_PHRASES", "AppealProgressContext", "Progress"]

Progress = Literal[
    "accepted", "declined", "dispatched", "redispatched", "escalated", "replied", "info_requested",
    "closed", "merged", "to_confirm",
]

PROGRESS_PHRASES: dict[str, str] = {
    "accepted": "已受理",
    "declined": "未受理",
    "dispatched": "已分派",
    "redispatched": "已改派",
    "escalated": "市级协调",
    "replied": "已答复",
    "info_requested": "待补充",
    "closed": "已办结",
    "merged": "合并办理",
    "to_confirm": "待评价",
}
"""The step -> the word in 办理状态 (a phrase: at most 5 Chinese characters)."""


@template_message(
    name="appeal_progress",
    title="诉求办理进度通知",
    kind=MessageKind.template,
    channel=Channel.official_account,
    fields=(
        Field("character_string1", "诉求编号", "number"),
        Field("thing2", "诉求事项", "title"),
        Field("phrase3", "办理状态", "progress", phrases=PROGRESS_PHRASES),
        Field("thing4", "办理说明", "note", fallback="详情请点击查看"),
        Field("time5", "更新时间", "updated_at"),
    ),
    url=lambda c: f"/h5/appeals/{c.appeal_id}",
    example={
        "appeal_id": 1,
        "number": "SQ20240501000123",
        "title": "厂房租金补贴申请进度咨询",
        "progress": "dispatched",
        "note": "由浦东新区科技和经济委员会办理",
        "updated_at": "2024-05-01T14:05:00+08:00",
    },
)
class AppealProgressContext(BaseModel):
    """A step of an appeal, told to the enterprise that filed it (official-account fallback)."""

    appeal_id: int
    number: str
    title: str
    progress: Progress
    note: str = ""
    """The department, the start of the reply, the reason or the question (cut to 20)."""
    updated_at: datetime
