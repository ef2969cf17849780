"""Delivering invitations and reminders through the simulated WeChat: one person per
enterprise (the most recently active follower bound to it), once each however often the
outbox runs, the result kept on the sample, moot notices skipped, transient failures retried."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from app.identity.models import EnterpriseBinding, Follower, MiniProgramUser, WeChatUser
from app.messagelog.models import MessageLog
from app.notification.ledger import record_miniprogram_grants
from app.outbox.delivery import deliver_pending
from app.outbox.models import OutboxMessage, OutboxStatus
from app.survey.invitations import finalise_dispositions, invite, queue_reminders
from app.survey.models import Disposition, SurveySample, SurveyStatus
from app.survey.notices import recipient
from tests.identity.factories import make_enterprise
from tests.survey.factories import make_open_survey, make_respondent, sample

TEMPLATE_API = "/cgi-bin/message/template/send"


async def _open_survey(**kwargs):
    """An open survey that opened a month ago (so contacts can be dated in the past)."""
    survey = await make_open_survey(**kwargs)
    survey.opens_at = datetime.now(UTC) - timedelta(days=30)
    await survey.save(update_fields=["opens_at"])
    return survey


@pytest.fixture
def configured(resources):
    """The test resources with the survey templates' ids set."""
    settings = resources.settings.model_copy(update={
        "template_survey_invitation": "tpl-survey-invitation", "template_survey_reminder": "tpl-survey-reminder"})
    return dataclasses.replace(resources, settings=settings)


async def _sim(http, wechat, path: str, **params) -> dict:
    async with http.get(f"{wechat.url}{path}", params=params) as response:
        assert response.status == 200
        return await response.json()


async def _templates_to(http, wechat, openid: str) -> list[dict]:
    return (await _sim(http, wechat, "/_sim/messages", openid=openid, kind="template"))["messages"]


async def test_each_invitation_reaches_the_most_recently_active_follower_once(configured, http, wechat):
    survey = await _open_survey(estimated_minutes=8)
    user, enterprise = await make_respondent(openid="o-survey-quiet01")
    colleague = await WeChatUser.create()
    await Follower.create(openid="o-survey-active1", user=colleague, last_interaction_at=datetime.now(UTC))
    await EnterpriseBinding.create(user=colleague, enterprise=enterprise, role="legal_representative", verified_by="test")
    row = await sample(survey, enterprise)

    await invite(staff=None, survey_id=survey.id)
    await invite(staff=None, survey_id=survey.id)
    await deliver_pending(configured)
    await deliver_pending(configured)

    sent = await _templates_to(http, wechat, "o-survey-active1")
    assert len(sent) == 1
    payload = sent[0]["payload"]
    assert payload["template_id"] == "tpl-survey-invitation"
    assert payload["url"].endswith(f"/h5/surveys/{survey.id}")
    assert survey.title in str(payload["data"]) and "约需8分钟" in str(payload["data"])
    assert await _templates_to(http, wechat, "o-survey-quiet01") == []
    fresh = await SurveySample.get(id=row.id)
    assert fresh.invite_result == "sent:template:survey_invitation"
    log = await MessageLog.get(related_type="survey", related_id=survey.id)
    assert log.openid == "o-survey-active1" and log.status == "sent"


async def test_a_revoked_binding_or_an_unsubscribed_follower_is_not_a_recipient(db):
    user, enterprise = await make_respondent(openid="o-survey-gone001")
    await Follower.filter(user_id=user.id).update(subscribed=False)
    assert await recipient(enterprise_id=enterprise.id) is None
    other, _ = await make_respondent(enterprise=enterprise, openid="o-survey-revoked")
    await EnterpriseBinding.filter(user_id=other.id).update(revoked_at=datetime.now(UTC))
    assert await recipient(enterprise_id=enterprise.id) is None


async def test_an_enterprise_nobody_follows_for_is_recorded_and_becomes_non_contact_at_close(configured, http, wechat):
    survey = await _open_survey()
    lonely = await sample(survey, await make_enterprise(name="上海无人关注有限公司"))
    await invite(staff=None, survey_id=survey.id)
    stats = await deliver_pending(configured)
    assert stats.skipped == 1
    assert (await SurveySample.get(id=lonely.id)).invite_result == "skipped:no_channel"
    assert (await _sim(http, wechat, "/_sim/records", api=TEMPLATE_API))["count"] == 0
    await finalise_dispositions(survey_id=survey.id)
    assert (await SurveySample.get(id=lonely.id)).disposition == Disposition.non_contact


async def test_an_invitation_whose_point_has_gone_is_skipped(configured, http, wechat):
    survey = await _open_survey()
    _, answered = await make_respondent(openid="o-survey-done001")
    _, closed_survey = await make_respondent(openid="o-survey-done002")
    done = await sample(survey, answered)
    await invite(staff=None, survey_id=survey.id)
    await SurveySample.filter(id=done.id).update(disposition=Disposition.complete)
    assert (await deliver_pending(configured)).skipped == 1
    assert (await SurveySample.get(id=done.id)).invite_result == "skipped:moot"

    other = await _open_survey(title="第二项调查")
    late = await sample(other, closed_survey)
    await invite(staff=None, survey_id=other.id)
    other.status = SurveyStatus.closed
    await other.save(update_fields=["status"])
    await deliver_pending(configured)
    assert (await SurveySample.get(id=late.id)).invite_result == "skipped:moot:closed"
    assert (await _sim(http, wechat, "/_sim/records", api=TEMPLATE_API))["count"] == 0


async def test_without_a_configured_template_nothing_is_sent_and_the_sample_says_why(resources):
    survey = await _open_survey()
    _, enterprise = await make_respondent()
    row = await sample(survey, enterprise)
    await invite(staff=None, survey_id=survey.id)
    await deliver_pending(resources)
    assert (await SurveySample.get(id=row.id)).invite_result == "skipped:not_configured:survey_invitation"


async def test_a_quota_refusal_is_retried_later_not_lost(configured, http, wechat):
    survey = await _open_survey()
    _, enterprise = await make_respondent(openid="o-survey-quota01")
    row = await sample(survey, enterprise)
    async with http.post(f"{wechat.url}/_sim/faults",
                         json={"api": TEMPLATE_API, "kind": "errcode", "errcode": 45009}) as response:
        assert response.status == 200
    await invite(staff=None, survey_id=survey.id)
    stats = await deliver_pending(configured)
    assert stats.retried == 1
    message = await OutboxMessage.get(topic="survey.invite")
    assert message.status == OutboxStatus.pending and message.result.startswith("retry:")
    assert (await SurveySample.get(id=row.id)).invite_result == "queued"

    await deliver_pending(configured, now=datetime.now(UTC) + timedelta(hours=2))
    assert (await SurveySample.get(id=row.id)).invite_result == "sent:template:survey_invitation"
    assert len(await _templates_to(http, wechat, "o-survey-quota01")) == 1


async def test_a_reminder_goes_out_with_the_days_left_and_once_per_number(configured, http, wechat):
    survey = await _open_survey(reminder_interval_days=2, max_reminders=2, closes_in_days=10)
    _, enterprise = await make_respondent(openid="o-survey-remind1")
    await sample(survey, enterprise)
    start = datetime.now(UTC) - timedelta(days=3)
    await invite(staff=None, survey_id=survey.id, at=start)
    await deliver_pending(configured)
    assert await queue_reminders() == 1
    await deliver_pending(configured)
    await deliver_pending(configured)
    sent = await _templates_to(http, wechat, "o-survey-remind1")
    assert [m["payload"]["template_id"] for m in sent] == ["tpl-survey-invitation", "tpl-survey-reminder"]
    assert "还剩" in str(sent[1]["payload"]["data"])


async def test_a_reminder_that_reaches_someone_the_invitation_missed_counts_as_contact(configured, http, wechat):
    survey = await _open_survey(reminder_interval_days=1, max_reminders=1)
    enterprise = await make_enterprise(name="上海后来关注有限公司")
    row = await sample(survey, enterprise)
    await invite(staff=None, survey_id=survey.id, at=datetime.now(UTC) - timedelta(days=2))
    await deliver_pending(configured)
    assert (await SurveySample.get(id=row.id)).invite_result == "skipped:no_channel"
    await make_respondent(enterprise=enterprise, openid="o-survey-later01")  # bound and followed since
    assert await queue_reminders() == 1
    await deliver_pending(configured)
    assert (await SurveySample.get(id=row.id)).invite_result == "sent:template:survey_reminder"
    await finalise_dispositions(survey_id=survey.id)
    assert (await SurveySample.get(id=row.id)).disposition == Disposition.unknown



async def test_without_a_follower_a_granted_mini_program_subscribe_message_is_used(configured, http, wechat):
    resources = dataclasses.replace(configured, settings=configured.settings.model_copy(
        update={"template_survey_notice": "tpl-survey-notice"}))
    survey = await _open_survey(estimated_minutes=5)
    granted, ungranted = (await make_enterprise(name="上海小程序用户有限公司"),
                          await make_enterprise(name="上海未授权有限公司"))
    for enterprise, openid in ((granted, "mp-survey-granted"), (ungranted, "mp-survey-nogrant")):
        user = await WeChatUser.create()
        await MiniProgramUser.create(openid=openid, user=user)
        await EnterpriseBinding.create(user=user, enterprise=enterprise, role="legal_representative",
                                       verified_by="test")
    await record_miniprogram_grants(openid="mp-survey-granted", results={"tpl-survey-notice": "accept"},
                                    settings=resources.settings)
    first, second = await sample(survey, granted), await sample(survey, ungranted)
    await invite(staff=None, survey_id=survey.id)
    await deliver_pending(resources)
    assert (await SurveySample.get(id=first.id)).invite_result == "sent:subscribe:survey_notice"
    assert (await SurveySample.get(id=second.id)).invite_result == "skipped:no_channel"
    sent = (await _sim(http, wechat, "/_sim/messages", openid="mp-survey-granted", kind="subscribe"))["messages"]
    assert len(sent) == 1 and sent[0]["payload"]["page"] == f"pages/survey/answer?id={survey.id}"
    assert "约需5分钟" in str(sent[0]["payload"]["data"])
