"""Contacting the sample: each enterprise invited once however often or concurrently staff
press the button, reminders within the interval and the maximum, opt-outs honoured,
dispositions set by staff with a reason and finalised when the survey closes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.audit.models import AuditLog
from app.outbox.models import OutboxMessage
from app.survey import invitations
from app.survey.errors import SurveyError
from app.survey.invitations import finalise_dispositions, invite, queue_reminders, remind_now, set_disposition
from app.survey.models import Disposition, SurveySample, SurveyStatus
from tests.admin.support import make_staff, seed_organisations
from tests.identity.factories import make_enterprise
from tests.survey.factories import make_open_survey, sample


async def _open_survey(**kwargs):
    """An open survey that opened a month ago (so contacts can be dated in the past)."""
    survey = await make_open_survey(**kwargs)
    survey.opens_at = datetime.now(UTC) - timedelta(days=30)
    await survey.save(update_fields=["opens_at"])
    return survey


async def _sampled(survey, count: int) -> list[SurveySample]:
    rows = []
    for n in range(count):
        enterprise = await make_enterprise(name=f"上海邀请测试{survey.id}-{n}有限公司")
        rows.append(await sample(survey, enterprise))
    return rows


async def _staff():
    from app.staff.models import StaffRole

    await seed_organisations()
    return await make_staff("fuwu", StaffRole.service_manager, "city.coordination")


async def test_each_sampled_enterprise_is_invited_once_however_often_staff_press_the_button(db):
    survey = await _open_survey()
    samples = await _sampled(survey, 5)
    await SurveySample.filter(id=samples[0].id).update(opted_out=True, disposition=Disposition.refusal)
    await SurveySample.filter(id=samples[1].id).update(disposition=Disposition.complete)
    staff = await _staff()

    first = await invite(staff=staff, survey_id=survey.id)
    assert (first.queued, first.opted_out, first.finished, first.sampled) == (3, 1, 1, 5)
    second = await invite(staff=staff, survey_id=survey.id)
    assert second.queued == 0 and second.already_invited == 3

    rows = await OutboxMessage.filter(topic="survey.invite").order_by("id")
    assert [r.payload["sample_id"] for r in rows] == [s.id for s in samples[2:]]
    assert {r.dedupe_key for r in rows} == {f"survey:{survey.id}:sample:{s.id}:invite" for s in samples[2:]}
    invited = await SurveySample.filter(survey_id=survey.id, invited_at__isnull=False).values_list("id", flat=True)
    assert sorted(invited) == [s.id for s in samples[2:]]
    assert await AuditLog.filter(action="survey.invite", target_id=str(survey.id)).count() == 2


async def test_two_invitation_rounds_at_the_same_moment_queue_each_enterprise_once(db):
    survey = await _open_survey()
    await _sampled(survey, 12)
    reports = await asyncio.gather(*(invite(staff=None, survey_id=survey.id) for _ in range(3)))
    assert sum(r.queued for r in reports) == 12
    assert await OutboxMessage.filter(topic="survey.invite").count() == 12


async def test_an_enterprise_sampled_later_is_invited_in_the_next_round_only(db):
    survey = await _open_survey()
    await _sampled(survey, 2)
    assert (await invite(staff=None, survey_id=survey.id)).queued == 2
    late = (await _sampled(survey, 1))[0]
    report = await invite(staff=None, survey_id=survey.id)
    assert report.queued == 1 and report.already_invited == 2
    assert (await OutboxMessage.filter(topic="survey.invite").order_by("-id").first()).payload["sample_id"] == late.id


@pytest.mark.parametrize(("status", "closes_in_days", "message"), [
    (SurveyStatus.draft, 14, "调查尚未开始"),
    (SurveyStatus.closed, 14, "调查已结束"),
    (SurveyStatus.open, -1, "调查已结束"),
])
async def test_invitations_go_out_only_while_the_survey_can_be_answered(db, status, closes_in_days, message):
    survey = await _open_survey(closes_in_days=closes_in_days)
    await _sampled(survey, 1)
    survey.status = status
    await survey.save(update_fields=["status"])
    with pytest.raises(SurveyError) as refused:
        await invite(staff=None, survey_id=survey.id)
    assert message in refused.value.message
    assert not await OutboxMessage.exists()
    assert not await SurveySample.filter(invited_at__isnull=False).exists()


async def test_invitations_wait_for_the_opening_time(db):
    survey = await _open_survey()
    survey.opens_at = datetime.now(UTC) + timedelta(days=2)
    await survey.save(update_fields=["opens_at"])
    await _sampled(survey, 1)
    with pytest.raises(SurveyError) as refused:
        await invite(staff=None, survey_id=survey.id)
    assert "开放填写" in refused.value.message


async def test_a_public_survey_without_a_sample_has_nobody_to_invite(db):
    survey = await _open_survey(is_public=True)
    with pytest.raises(SurveyError) as refused:
        await invite(staff=None, survey_id=survey.id)
    assert refused.value.code == "nothing_to_invite" and "公开问卷" in refused.value.message


# -- reminders -------------------------------------------------------------------------------


async def test_reminders_keep_the_minimum_interval_and_the_maximum_count(db):
    survey = await _open_survey(reminder_interval_days=3, max_reminders=2, closes_in_days=30)
    answered, waiting, refused, opted = await _sampled(survey, 4)
    start = datetime.now(UTC)
    await invite(staff=None, survey_id=survey.id, at=start)
    await SurveySample.filter(id=answered.id).update(disposition=Disposition.complete)
    await SurveySample.filter(id=refused.id).update(disposition=Disposition.ineligible)
    await SurveySample.filter(id=opted.id).update(opted_out=True)

    assert await queue_reminders(at=start + timedelta(days=2)) == 0  # too soon after the invitation
    assert await queue_reminders(at=start + timedelta(days=3, minutes=1)) == 1
    assert await queue_reminders(at=start + timedelta(days=5)) == 0  # too soon after the first reminder
    assert await queue_reminders(at=start + timedelta(days=6, minutes=2)) == 1
    assert await queue_reminders(at=start + timedelta(days=20)) == 0  # the maximum is reached

    reminders = await OutboxMessage.filter(topic="survey.remind").order_by("id")
    assert [(r.payload["sample_id"], r.payload["number"]) for r in reminders] == [(waiting.id, 1), (waiting.id, 2)]
    assert reminders[0].dedupe_key == f"survey:{survey.id}:sample:{waiting.id}:remind:1"
    row = await SurveySample.get(id=waiting.id)
    assert row.reminders_sent == 2


async def test_a_partial_answer_is_reminded_and_a_never_invited_enterprise_is_not(db):
    survey = await _open_survey(reminder_interval_days=1, max_reminders=1)
    started, never = await _sampled(survey, 2)
    start = datetime.now(UTC)
    await SurveySample.filter(id=started.id).update(invited_at=start, disposition=Disposition.partial)
    assert await queue_reminders(at=start + timedelta(days=1, minutes=1)) == 1
    assert (await OutboxMessage.get(topic="survey.remind")).payload["sample_id"] == started.id
    assert (await SurveySample.get(id=never.id)).reminders_sent == 0


async def test_two_workers_queue_each_reminder_once(db):
    survey = await _open_survey(reminder_interval_days=1, max_reminders=3)
    await _sampled(survey, 6)
    start = datetime.now(UTC)
    await invite(staff=None, survey_id=survey.id, at=start)
    later = start + timedelta(days=1, minutes=5)
    counts = await asyncio.gather(queue_reminders(at=later), queue_reminders(at=later))
    assert sum(counts) == 6
    assert await OutboxMessage.filter(topic="survey.remind").count() == 6
    assert set(await SurveySample.filter(survey_id=survey.id).values_list("reminders_sent", flat=True)) == {1}


async def test_staff_remind_now_obeys_the_same_interval_and_is_audited(db):
    survey = await _open_survey(reminder_interval_days=2, max_reminders=2)
    await _sampled(survey, 2)
    staff = await _staff()
    start = datetime.now(UTC) - timedelta(days=3)
    await invite(staff=None, survey_id=survey.id, at=start)
    assert await invitations.reminders_due(survey_id=survey.id) == 2
    assert await remind_now(staff=staff, survey_id=survey.id) == 2
    assert await remind_now(staff=staff, survey_id=survey.id) == 0  # just reminded: the interval holds
    assert await invitations.reminders_due(survey_id=survey.id) == 0
    assert await AuditLog.filter(action="survey.remind").count() == 2


async def test_closed_surveys_get_no_reminders(db):
    survey = await _open_survey(reminder_interval_days=1)
    await _sampled(survey, 1)
    start = datetime.now(UTC) - timedelta(days=2)
    await invite(staff=None, survey_id=survey.id, at=start)
    survey.status = SurveyStatus.closed
    await survey.save(update_fields=["status"])
    assert await queue_reminders() == 0
    with pytest.raises(SurveyError):
        await remind_now(staff=None, survey_id=survey.id)


# -- dispositions ----------------------------------------------------------------------------


async def test_closing_turns_pending_into_non_contact_or_unknown_and_keeps_partials(db):
    survey = await _open_survey()
    reached, no_channel, failed, never, partial, complete = await _sampled(survey, 6)
    now = datetime.now(UTC)
    await SurveySample.filter(id=reached.id).update(invited_at=now, invite_result="sent:template:survey_invitation")
    await SurveySample.filter(id=no_channel.id).update(invited_at=now, invite_result="skipped:no_channel")
    await SurveySample.filter(id=failed.id).update(invited_at=now, invite_result="failed:43004:template")
    await SurveySample.filter(id=partial.id).update(invited_at=now, invite_result="sent:template:survey_invitation",
                                                     disposition=Disposition.partial)
    await SurveySample.filter(id=complete.id).update(disposition=Disposition.complete)

    assert await finalise_dispositions(survey_id=survey.id) == {"unknown": 1, "non_contact": 3}
    final = dict(await SurveySample.filter(survey_id=survey.id).values_list("id", "disposition"))
    assert final == {reached.id: Disposition.unknown, no_channel.id: Disposition.non_contact,
                     failed.id: Disposition.non_contact, never.id: Disposition.non_contact,
                     partial.id: Disposition.partial, complete.id: Disposition.complete}
    assert await finalise_dispositions(survey_id=survey.id) == {"unknown": 0, "non_contact": 0}


async def test_staff_mark_an_enterprise_ineligible_or_a_refusal_with_a_reason(db):
    survey = await _open_survey()
    closed_down, by_phone = await _sampled(survey, 2)
    staff = await _staff()
    marked = await set_disposition(staff=staff, sample_id=closed_down.id, disposition="ineligible",
                                   note="  企业已注销  ", survey_id=survey.id)
    assert marked.disposition == Disposition.ineligible and marked.disposition_note == "企业已注销"
    assert not marked.opted_out
    refused = await set_disposition(staff=staff, sample_id=by_phone.id, disposition=Disposition.refusal,
                                    note="电话回访时明确拒绝")
    assert refused.disposition == Disposition.refusal and refused.opted_out  # no more reminders
    entry = await AuditLog.get(action="survey.disposition", target_id=str(by_phone.id))
    assert entry.detail["from"] == "pending" and entry.detail["to"] == "refusal"


@pytest.mark.parametrize(("disposition", "note", "code"), [
    ("ineligible", "  ", "note_required"),
    ("complete", "本人说已填写", "disposition_invalid"),
    ("bogus", "原因", "disposition_invalid"),
    ("refusal", "长" * 201, "note_too_long"),
])
async def test_a_manual_disposition_needs_an_allowed_state_and_a_reason(db, disposition, note, code):
    survey = await _open_survey()
    (one,) = await _sampled(survey, 1)
    with pytest.raises(SurveyError) as refused:
        await set_disposition(staff=None, sample_id=one.id, disposition=disposition, note=note)
    assert refused.value.code == code
    assert (await SurveySample.get(id=one.id)).disposition == Disposition.pending


async def test_a_complete_response_is_never_overwritten_and_the_sample_must_be_the_surveys(db):
    survey = await _open_survey()
    other = await _open_survey(title="另一项调查")
    (done,) = await _sampled(survey, 1)
    await SurveySample.filter(id=done.id).update(disposition=Disposition.complete)
    with pytest.raises(SurveyError) as refused:
        await set_disposition(staff=None, sample_id=done.id, disposition="ineligible", note="已迁出")
    assert refused.value.code == "already_complete" and "已完成问卷" in refused.value.message
    with pytest.raises(SurveyError) as wrong:
        await set_disposition(staff=None, sample_id=done.id, disposition="ineligible", note="已迁出",
                              survey_id=other.id)
    assert wrong.value.code == "sample_not_found"
