"""营商环境调查提醒: a sampled enterprise has not answered yet.

Official-account template message, like the invitation (survey_invitation).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.survey.models import Survey
from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["SurveyReminderContext", "values_for"]


def _reminder(context: SurveyReminderContext) -> str:
    if context.days_left is None:
        return "问卷尚未完成，期待您的参与"
    if context.days_left <= 0:
        return "问卷今天截止，期待您的参与"
    return f"问卷尚未完成，还剩{context.days_left}天截止"


@template_message(
    name="survey_reminder",
    title="问卷填写提醒",
    kind=MessageKind.template,
    channel=Channel.official_account,
    fields=(
        Field("thing1", "调查名称", "title"),
        Field("date2", "截止日期", "closes_at"),
        Field("thing3", "提醒事项", _reminder),
    ),
    url=lambda c: f"/h5/surveys/{c.survey_id}",
    page=lambda c: f"pages/survey/answer?id={c.survey_id}",
    example={
        "survey_id": 1,
        "title": "2024年度上海市营商环境企业满意度调查",
        "closes_at": "2024-06-30",
        "days_left": 5,
    },
)
class SurveyReminderContext(BaseModel):
    """A reminder to a sampled enterprise that has not answered."""

    survey_id: int
    title: str
    closes_at: datetime
    days_left: int | None = None


def values_for(survey: Survey, *, days_left: int | None = None) -> dict[str, Any]:
    return {"survey_id": survey.id, "title": survey.title, "closes_at": survey.closes_at, "days_left": days_left}
