"""问卷调查提醒 (mini-program): a sampled enterprise's invitation or reminder, for people who
use the mini-program but do not follow the official account.

Mini-program subscribe message, one-time: used only when one of the enterprise's people
granted it in the mini-program (`app.survey.notices`: the official-account template
messages survey_invitation / survey_reminder come first; without a follower and without a
grant the enterprise is not reached). Opens the mini-program's questionnaire page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.survey.models import Survey
from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["SurveyNoticeContext", "values_for"]


@template_message(
    name="survey_notice",
    title="问卷调查提醒",
    kind=MessageKind.subscribe,
    channel=Channel.miniprogram,
    fields=(
        Field("thing1", "调查名称", "title"),
        Field("thing2", "组织单位", "organiser", fallback="企业服务云"),
        Field("date3", "截止日期", "closes_at"),
        Field("thing4", "温馨提示", "note", fallback="期待您的参与，意见仅用于统计分析"),
    ),
    page=lambda c: f"pages/survey/answer?id={c.survey_id}",
    example={
        "survey_id": 1,
        "title": "2024年度上海市营商环境企业满意度调查",
        "organiser": "上海市营商环境建设办公室",
        "closes_at": "2024-06-30",
        "note": "问卷尚未完成，还剩5天截止",
    },
)
class SurveyNoticeContext(BaseModel):
    """An invitation or a reminder to a sampled enterprise, in the mini-program."""

    survey_id: int
    title: str
    organiser: str = ""
    closes_at: datetime
    note: str = ""


def values_for(survey: Survey, *, note: str = "") -> dict[str, Any]:
    return {
        "survey_id": survey.id,
        "title": survey.title,
        "organiser": survey.organiser,
        "closes_at": survey.closes_at,
        "note": note,
    }
