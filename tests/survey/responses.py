"""Submitted responses for results and export tests, made the way respondents make them:
a bound follower of a sampled enterprise answers through `app.survey.answering`."""

from __future__ import annotations

from typing import Any

from app.config import Settings
from app.enterprise.reference import District, Ownership, SizeClass
from app.survey import answering
from app.survey.models import Survey, SurveyResponse
from tests.survey.factories import make_respondent, sample

__all__ = ["respond"]


async def respond(
    survey: Survey, answers: dict[str, Any], *, settings: Settings, probability: float = 0.01,
    district: District = District.pudong, size_class: SizeClass = SizeClass.small,
    ownership: Ownership = Ownership.private, channel: str = "h5", submit: bool = True,
) -> SurveyResponse:
    """One sampled enterprise's response (submitted, or a draft with `submit=False`)."""
    user, enterprise = await make_respondent(district=district, size_class=size_class, ownership=ownership)
    await sample(survey, enterprise, probability=probability)
    if submit:
        await answering.submit(survey_id=survey.id, user=user, settings=settings, channel=channel, answers=answers)
    else:
        await answering.save_answers(survey_id=survey.id, user=user, settings=settings, answers=answers,
                                     channel=channel)
    return await SurveyResponse.filter(survey_id=survey.id).order_by("-id").first()
