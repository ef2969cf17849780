"""Answering a survey: drafts anywhere, submitted once, dispositions kept apart from answers."""

from __future__ import annotations

import pytest

from app.survey import answering
from app.survey.errors import AnswersInvalid, SurveyError
from app.survey.models import Disposition, SurveyResponse, SurveySample
from tests.survey.factories import full_answers, make_open_survey, make_respondent, sample

pytestmark = pytest.mark.usefixtures("db")


async def test_a_draft_saved_in_chat_is_finished_in_the_mini_program(settings):
    survey = await make_open_survey()
    user, enterprise = await make_respondent()
    await sample(survey, enterprise, probability=0.02)
    answers = full_answers()
    half = {key: answers[key] for key in ("q1", "q2", "q3", "q4", "q5", "q6")}
    view = await answering.save_answers(survey_id=survey.id, user=user, settings=settings, answers=half, channel="chat")
    assert view.progress == (6, 12) and view.next_question.key == "q7"
    assert (await SurveySample.get(survey_id=survey.id)).disposition == Disposition.partial

    again = await answering.open_response(survey_id=survey.id, user=user, settings=settings)
    assert again.answers == half
    rest = {key: value for key, value in answers.items() if key not in half}
    done = await answering.submit(survey_id=survey.id, user=user, settings=settings, channel="miniprogram", answers=rest)
    assert done.submitted and done.percent == 100
    assert (await SurveySample.get(survey_id=survey.id)).disposition == Disposition.complete
    response = await SurveyResponse.get(survey_id=survey.id)
    assert response.weight == pytest.approx(50) and response.enterprise_id is None  # anonymous
    assert response.district == enterprise.district

    with pytest.raises(SurveyError) as refused:
        await answering.save_answers(survey_id=survey.id, user=user, settings=settings, answers={"q1": 1}, channel="h5")
    assert refused.value.code == "already_submitted"
    repeat = await answering.submit(survey_id=survey.id, user=user, settings=settings, channel="h5")
    assert repeat.already_submitted and await SurveyResponse.filter(survey_id=survey.id).count() == 1


async def test_submission_needs_every_visible_required_answer_and_saves_nothing_bad(settings):
    survey = await make_open_survey()
    user, enterprise = await make_respondent()
    await sample(survey, enterprise)
    with pytest.raises(AnswersInvalid) as invalid:
        await answering.save_answers(survey_id=survey.id, user=user, settings=settings,
                                     answers={"q1": 9, "q2": "yes"}, channel="h5")
    assert list(invalid.value.errors) == ["q1"]
    assert not await SurveyResponse.exists()
    with pytest.raises(AnswersInvalid) as missing:
        await answering.submit(survey_id=survey.id, user=user, settings=settings, channel="h5", answers={"q1": 3})
    assert "q2" in missing.value.errors and "q12" not in missing.value.errors  # q12 is optional


async def test_only_sampled_enterprises_answer_unless_the_survey_is_public(settings):
    survey = await make_open_survey()
    outsider, _ = await make_respondent()
    with pytest.raises(SurveyError) as refused:
        await answering.open_response(survey_id=survey.id, user=outsider, settings=settings)
    assert refused.value.code == "not_invited"
    public = await make_open_survey(is_public=True, title="公开问卷")
    view = await answering.open_response(survey_id=public.id, user=outsider, settings=settings)
    assert view.answers == {} and not view.submitted


async def test_declining_is_a_refusal_and_ends_the_invitation(settings):
    survey = await make_open_survey()
    user, enterprise = await make_respondent()
    await sample(survey, enterprise)
    declined = await answering.decline(survey_id=survey.id, user=user)
    assert declined.disposition == Disposition.refusal and declined.opted_out
    with pytest.raises(SurveyError) as refused:
        await answering.open_response(survey_id=survey.id, user=user, settings=settings)
    assert refused.value.code == "opted_out"


async def test_my_surveys_lists_invitations_with_their_progress(settings):
    survey = await make_open_survey()
    user, enterprise = await make_respondent()
    await sample(survey, enterprise)
    cards = await answering.my_surveys(user=user, settings=settings)
    assert [(c.survey.id, c.state) for c in cards] == [(survey.id, "new")]
    await answering.save_answers(survey_id=survey.id, user=user, settings=settings, answers={"q1": 5}, channel="h5")
    (card,) = await answering.my_surveys(user=user, settings=settings)
    assert card.state == "draft" and card.percent == 10  # 1 of the 10 asked until q2 shows q3 and q4
