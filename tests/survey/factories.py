"""Small factories for survey tests: a 12-question questionnaire over the five dimensions,
an open survey, a sampled enterprise, and a person bound to it who follows the account."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from app.enterprise.models import Enterprise
from app.enterprise.reference import District, Ownership, SizeClass
from app.identity.models import EnterpriseBinding, Follower, MiniProgramUser, WeChatUser
from app.survey.models import Questionnaire, SampleFrame, Survey, SurveySample, SurveyStatus
from tests.identity.factories import make_enterprise

__all__ = ["make_open_survey", "make_respondent", "sample", "twelve_question_definition"]

_numbers = itertools.count(1)

SATISFACTION = [
    {"value": "5", "label": "非常满意", "score": 100},
    {"value": "4", "label": "满意", "score": 75},
    {"value": "3", "label": "一般", "score": 50},
    {"value": "2", "label": "不满意", "score": 25},
    {"value": "1", "label": "非常不满意", "score": 0},
]


def twelve_question_definition() -> dict[str, Any]:
    """The done-criteria questionnaire: 12 questions across the five dimensions, every type,
    a skip rule (q4 only for enterprises that started a business recently) and optional ones."""
    scale5 = {"min": 1, "max": 5, "min_label": "很不满意", "max_label": "很满意"}
    return {
        "sections": [
            {"key": "gov", "title": "政务环境", "dimension": "government"},
            {"key": "market", "title": "市场环境", "dimension": "market"},
            {"key": "social", "title": "社会环境", "dimension": "social"},
            {"key": "legal", "title": "法治环境", "dimension": "legal"},
            {"key": "industry", "title": "产业环境", "dimension": "industry"},
        ],
        "questions": [
            {"key": "q1", "section": "gov", "type": "rating", "title": "您对本区政务服务的总体满意度", "scale": scale5},
            {"key": "q2", "section": "gov", "type": "single", "title": "近一年是否办理过开办企业业务",
             "options": [{"value": "yes", "label": "办理过"}, {"value": "no", "label": "没有办理"}]},
            {"key": "q3", "section": "gov", "type": "number", "title": "开办企业实际用了几个工作日",
             "min": 0, "max": 60, "integer": True, "unit": "天", "show_if": {"question": "q2", "values": ["yes"]}},
            {"key": "q4", "section": "gov", "type": "single", "title": "您对开办企业服务的评价", "options": SATISFACTION,
             "show_if": {"question": "q2", "values": ["yes"]}},
            {"key": "q5", "section": "market", "type": "rating", "title": "市场准入的公平程度（0–10分）",
             "scale": {"min": 0, "max": 10}},
            {"key": "q6", "section": "market", "type": "multiple", "title": "贵企业遇到的主要困难（可多选）",
             "options": [{"value": "finance", "label": "融资难"}, {"value": "talent", "label": "招工难"},
                         {"value": "cost", "label": "成本高"}, {"value": "orders", "label": "订单少"}],
             "max_choices": 3},
            {"key": "q7", "section": "social", "type": "matrix", "title": "请对以下公共服务评分", "scale": scale5,
             "rows": [{"key": "power", "label": "获得电力"}, {"key": "water", "label": "用水用气"},
                      {"key": "network", "label": "网络通信"}]},
            {"key": "q8", "section": "social", "type": "rating", "title": "人才住房与子女就学保障", "scale": scale5},
            {"key": "q9", "section": "legal", "type": "rating", "title": "执法检查的规范程度", "scale": scale5},
            {"key": "q10", "section": "legal", "type": "single", "title": "合同纠纷解决的效率", "options": SATISFACTION},
            {"key": "q11", "section": "industry", "type": "rating", "title": "产业配套与上下游协作", "scale": scale5},
            {"key": "q12", "section": "industry", "type": "textarea", "title": "您对改善营商环境的意见建议",
             "required": False, "max_length": 500},
        ],
    }


def full_answers() -> dict[str, Any]:
    """Answers to every question of `twelve_question_definition` (q2 = yes shows q3 and q4)."""
    return {"q1": 4, "q2": "yes", "q3": 3, "q4": "5", "q5": 8, "q6": ["finance", "cost"],
            "q7": {"power": 5, "water": 4, "network": 4}, "q8": 3, "q9": 5, "q10": "4", "q11": 4,
            "q12": "希望进一步简化审批材料，推行一网通办"}


async def make_open_survey(
    *, definition: dict[str, Any] | None = None, is_public: bool = False, is_anonymous: bool = True,
    closes_in_days: float = 14, title: str = "2026年度营商环境企业满意度调查", **overrides: Any,
) -> Survey:
    """An open survey with its first questionnaire version published."""
    now = datetime.now(UTC)
    survey = await Survey.create(
        title=title, year=2026, organiser="市营商环境建设办公室", status=SurveyStatus.open, is_public=is_public,
        is_anonymous=is_anonymous, opens_at=now - timedelta(days=1), opened_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=closes_in_days), **overrides,
    )
    await Questionnaire.create(survey=survey, version=1, definition=definition or twelve_question_definition(),
                               published_at=now - timedelta(days=1))
    return survey


async def make_respondent(
    *, enterprise: Enterprise | None = None, openid: str | None = None, miniprogram_openid: str | None = None,
    district: District = District.pudong, size_class: SizeClass = SizeClass.small,
    ownership: Ownership = Ownership.private,
) -> tuple[WeChatUser, Enterprise]:
    """A person who follows the account (and, with `miniprogram_openid`, uses the mini-program),
    bound to an enterprise (a new one unless given)."""
    n = next(_numbers)
    if enterprise is None:
        enterprise = await make_enterprise(name=f"上海调查测试{n}科技有限公司")
        enterprise.district, enterprise.size_class, enterprise.ownership = district, size_class, ownership
        await enterprise.save(update_fields=["district", "size_class", "ownership"])
    user = await WeChatUser.create(phone="13912345678")
    await Follower.create(openid=openid or f"o-survey-{n:06d}", user=user)
    if miniprogram_openid:
        await MiniProgramUser.create(openid=miniprogram_openid, user=user)
    await EnterpriseBinding.create(user=user, enterprise=enterprise, role="legal_representative", verified_by="test")
    return user, enterprise


async def sample(survey: Survey, enterprise: Enterprise, *, probability: float = 0.01,
                 **overrides: Any) -> SurveySample:
    """Put an enterprise in the survey's sample, in its register stratum."""
    stratum = f"{enterprise.district.value}|{enterprise.size_class.value}|{enterprise.ownership.value}"
    return await SurveySample.create(survey=survey, enterprise=enterprise, frame=SampleFrame.register,
                                     stratum=stratum, inclusion_probability=probability, **overrides)
