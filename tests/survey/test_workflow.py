"""A survey's lifecycle: one transition table; opening needs a published questionnaire, a
future closing date and a sample (unless public); closing settles the dispositions;
reopening needs a later closing date; every step audited, and a step is taken once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.audit.models import AuditLog
from app.survey import questionnaires, workflow
from app.survey.errors import SurveyError
from app.survey.models import Disposition, Questionnaire, Survey, SurveyKind, SurveySample, SurveyStatus
from app.survey.questionnaires import SurveyInput
from tests.admin.support import seed_accounts
from tests.survey.factories import make_open_survey, make_respondent, sample

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
async def staff(db):
    return (await seed_accounts())["fuwu"]


async def _draft(staff, **overrides) -> Survey:
    values = {"title": "2026年度营商环境企业满意度调查", "kind": SurveyKind.annual, "year": 2026,
              "closes_at": datetime.now(UTC) + timedelta(days=30)}
    values.update(overrides)
    return await questionnaires.create_survey(staff=staff, data=SurveyInput(**values), template="annual")


def test_the_table_offers_each_status_its_steps():
    assert [t.action for t in workflow.steps_from(SurveyStatus.draft)] == ["open"]
    assert [t.action for t in workflow.steps_from(SurveyStatus.open)] == ["close"]
    assert [t.action for t in workflow.steps_from(SurveyStatus.closed)] == ["reopen"]
    with pytest.raises(SurveyError, match="未知的调查操作"):
        workflow.get_transition("delete")


async def test_opening_needs_a_published_questionnaire_a_closing_date_and_a_sample(staff):
    survey = await _draft(staff, closes_at=None)
    with pytest.raises(SurveyError, match="请先在“题目”页发布问卷"):
        await workflow.transition(staff=staff, survey_id=survey.id, action="open")
    await questionnaires.publish_questionnaire(staff=staff, survey_id=survey.id)
    with pytest.raises(SurveyError) as refused:
        await workflow.transition(staff=staff, survey_id=survey.id, action="open")
    assert refused.value.field == "closes_at"
    await Survey.filter(id=survey.id).update(closes_at=datetime.now(UTC) + timedelta(days=20))
    with pytest.raises(SurveyError, match="抽取样本"):
        await workflow.transition(staff=staff, survey_id=survey.id, action="open")
    assert (await Survey.get(id=survey.id)).status == SurveyStatus.draft

    _, enterprise = await make_respondent()
    await sample(survey, enterprise)
    opened = await workflow.transition(staff=staff, survey_id=survey.id, action="open")
    assert opened.status == SurveyStatus.open and opened.opened_at is not None
    entry = await AuditLog.get(action="survey.open")
    assert entry.staff_id == staff.id and entry.detail["to"] == "open"
    with pytest.raises(SurveyError, match="不能开始") as again:
        await workflow.transition(staff=staff, survey_id=survey.id, action="open")
    assert again.value.code == "wrong_state"
    assert await AuditLog.filter(action="survey.open").count() == 1


async def test_a_public_survey_opens_without_a_sample(staff):
    survey = await _draft(staff, is_public=True, kind=SurveyKind.adhoc, year=None)
    await questionnaires.publish_questionnaire(staff=staff, survey_id=survey.id)
    opened = await workflow.transition(staff=staff, survey_id=survey.id, action="open")
    assert opened.status == SurveyStatus.open


async def test_the_closing_job_leaves_a_survey_staff_extended(staff):
    survey = await make_open_survey(closes_in_days=3)
    with pytest.raises(SurveyError) as refused:
        await workflow.transition(staff=None, survey_id=survey.id, action="close")
    assert refused.value.code == "not_due"
    assert (await Survey.get(id=survey.id)).status == SurveyStatus.open


async def test_closing_settles_who_never_answered_and_the_closing_job_is_audited_too(staff):
    survey = await make_open_survey()
    await Survey.filter(id=survey.id).update(closes_at=datetime.now(UTC) - timedelta(minutes=1))
    _, silent = await make_respondent()
    _, halfway = await make_respondent()
    never = await sample(survey, silent)
    started = await sample(survey, halfway, disposition=Disposition.partial)
    closed = await workflow.transition(staff=None, survey_id=survey.id, action="close")
    assert closed.status == SurveyStatus.closed and closed.closed_at is not None
    assert (await SurveySample.get(id=never.id)).disposition == Disposition.non_contact  # never invited
    assert (await SurveySample.get(id=started.id)).disposition == Disposition.partial
    entry = await AuditLog.get(action="survey.close")
    assert entry.staff_id is None and entry.username == "system" and entry.detail["by"] == "closing job"


async def test_reopening_needs_a_later_closing_date(staff):
    survey = await make_open_survey(closes_in_days=1)
    await workflow.transition(staff=staff, survey_id=survey.id, action="close")
    later = datetime.now(UTC) + timedelta(hours=1)
    with pytest.raises(SurveyError, match="截止时间改到现在之后"):
        await workflow.transition(staff=staff, survey_id=survey.id, action="reopen", now=later + timedelta(days=1))
    reopened = await workflow.transition(staff=staff, survey_id=survey.id, action="reopen")
    assert reopened.status == SurveyStatus.open and reopened.closed_at is None
    assert await AuditLog.filter(action="survey.reopen").count() == 1


async def test_a_missing_survey_is_not_found(staff):
    with pytest.raises(SurveyError) as missing:
        await workflow.transition(staff=staff, survey_id=999, action="open")
    assert missing.value.status == 404
    assert await Questionnaire.all().count() == 0
