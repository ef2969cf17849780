"""The survey cron: closes surveys past their closing date through the survey workflow and
queues due reminders once however many workers run it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.jobs.worker import worker_settings
from app.outbox.models import OutboxMessage
from app.survey import jobs, workflow
from app.survey.invitations import invite
from app.survey.models import Disposition, Survey, SurveySample, SurveyStatus
from tests.identity.factories import make_enterprise
from tests.survey.factories import make_open_survey, sample


async def _open_survey(**kwargs):
    """An open survey that opened a month ago (so contacts can be dated in the past)."""
    survey = await make_open_survey(**kwargs)
    survey.opens_at = datetime.now(UTC) - timedelta(days=30)
    await survey.save(update_fields=["opens_at"])
    return survey


def test_the_cron_runs_once_per_tick_in_the_worker(settings):
    crons = {c.name: c for c in worker_settings(settings)["cron_jobs"]}
    job = crons["cron:survey_contacts"]
    assert job.unique and not job.run_at_startup
    assert len(job.minute) == 4  # every fifteen minutes
    assert jobs.survey_contacts in worker_settings(settings)["functions"]


async def test_surveys_past_their_closing_date_are_closed_through_the_workflow(db, monkeypatch):
    calls = []

    async def transition(*, staff, survey_id, action, now=None):
        calls.append((staff, survey_id, action))

    monkeypatch.setattr(workflow, "transition", transition, raising=False)
    due = await _open_survey(closes_in_days=-0.1)
    await _open_survey(closes_in_days=3, title="仍在进行")
    closed = await _open_survey(closes_in_days=-2, title="已结束")
    closed.status = SurveyStatus.closed
    await closed.save(update_fields=["status"])

    assert await jobs.close_due() == 1
    assert calls == [(None, due.id, "close")]


async def test_a_survey_changed_meanwhile_does_not_stop_the_others(db, monkeypatch):
    async def transition(*, staff, survey_id, action, now=None):
        if survey_id == first.id:
            raise RuntimeError("extended by staff meanwhile")

    monkeypatch.setattr(workflow, "transition", transition, raising=False)
    first = await _open_survey(closes_in_days=-1)
    await _open_survey(closes_in_days=-1, title="第二项")
    assert await jobs.close_due() == 1


async def test_two_workers_running_the_cron_queue_each_reminder_once(resources, monkeypatch):
    async def transition(**_):
        return None

    monkeypatch.setattr(workflow, "transition", transition, raising=False)
    survey = await _open_survey(reminder_interval_days=1, max_reminders=2)
    for n in range(3):
        await sample(survey, await make_enterprise(name=f"上海定时提醒{n}有限公司"))
    await invite(staff=None, survey_id=survey.id, at=datetime.now(UTC) - timedelta(days=2))
    ctx = {"resources": resources}
    results = await asyncio.gather(jobs.survey_contacts(ctx), jobs.survey_contacts(ctx))
    assert sum(r["reminders"] for r in results) == 3
    assert await OutboxMessage.filter(topic="survey.remind").count() == 3


async def test_with_the_survey_workflow_a_closed_survey_settles_its_dispositions(db):
    if not hasattr(workflow, "TRANSITIONS") and not hasattr(workflow, "transition"):
        pytest.skip("the survey workflow is not there yet")
    survey = await _open_survey(closes_in_days=-0.01)
    silent = await sample(survey, await make_enterprise(name="上海到期未答有限公司"))
    reached = await sample(survey, await make_enterprise(name="上海到期已送达有限公司"))
    await SurveySample.filter(id=reached.id).update(invited_at=datetime.now(UTC) - timedelta(days=5),
                                                     invite_result="sent:template:survey_invitation")
    assert await jobs.close_due() == 1
    assert (await Survey.get(id=survey.id)).status == SurveyStatus.closed
    assert (await SurveySample.get(id=silent.id)).disposition == Disposition.non_contact
    assert (await SurveySample.get(id=reached.id)).disposition == Disposition.unknown
    assert await jobs.close_due() == 0
