"""营商环境调查邀请: a sampled enterprise is invited to answer the business-environment survey.

Official-account template message to the sampled enterprises' bound followers: they were
chosen by the sample, not by asking, so no subscribe grant can exist. Opens the H5
questionnaire (or the mini-program's).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.survey.models import Survey
from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["SurveyInvitationContext", "values_for"]


def _note(context: SurveyInvitationContext) -> str | None:
    if context.estimated_minutes:
        return f"约需{context.estimated_minutes}分钟，仅用于统计分析"
    return None


@template_message(
    name="survey_invitation",
    title="问卷调查邀请",
    kind=MessageKind.template,
    channel=Channel.official_account,
    fields=(
        Field("thing1", "调查名称", "title"),
        Field("thing2", "组织单位", "organiser", fallback="企业服务云"),
        Field("date3", "截止日期", "closes_at"),
        Field("thing4", "说明", _note, fallback="您的意见仅用于统计分析"),
    ),
    url=lambda c: f"/h5/surveys/{c.survey_id}",
    page=lambda c: f"pages/survey/answer?id={c.survey_id}",
    example={
        "survey_id": 1,
        "title": "2024年度上海市营商环境企业满意度调查",
        "organiser": "上海市营商环境建设办公室",
        "closes_at": "2024-06-30",
        "estimated_minutes": 10,
    },
)
class SurveyInvitationContext(BaseModel):
    """An invitation to a sampled enterprise."""

    survey_id: int
    title: str
    organiser: str = ""
    closes_at: datetime
    estimated_minutes: int | None = None


def values_for(survey: Survey, *, organiser: str = "", estimated_minutes: int | None = None) -> dict[str, Any]:
    return {
        "survey_id": survey.id,
        "title": survey.title,
        "organiser": organiser,
        "closes_at": survey.closes_at,
        "estimated_minutes": estimated_minutes,
    }
