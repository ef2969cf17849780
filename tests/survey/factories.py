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
from app.survey.questionnaires import annual_definition
from tests.identity.factories import make_enterprise

__all__ = ["make_open_survey", "make_respondent", "sample", "twelve_question_definition"]

_numbers = itertools.count(1)


def twelve_question_definition() -> dict[str, Any]:
    """The done-criteria questionnaire, which is the builder's built-in annual template: 12
    questions across the five dimensions, every type, a skip rule (q3 and q4 only for
    enterprises that started a business recently) and an optional question."""
    return annual_definition()


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
