"""Outbox handlers of survey invitations and reminders: `survey.invite` and `survey.remind`.

Rows are queued by `app.survey.invitations` (one per sample and invitation, one per sample
and reminder number) inside the transaction that claimed the sample, and delivered here
after commit. Each row reaches ONE person for the enterprise, on the first channel that
can reach them:

1. the official-account template message `survey_invitation` / `survey_reminder` to the
   most recently active subscribed follower among the people bound to the enterprise
   (binding not revoked): the sample chose them, so a template message (no grant needed)
   is the channel; it opens `/h5/surveys/<id>` or the mini-program's page;
2. otherwise the mini-program subscribe message `survey_notice`, only if one of those
   people's mini-program accounts holds a grant for it (`available_grants`; the
   mini-program asks for it on the questionnaire page);
3. otherwise nothing: `skipped:no_channel`.

The result is written on the sample (`invite_result`: the invitation's; a later reminder
that reaches someone replaces an unsuccessful one), so the tracking page and
`finalise_dispositions` know whether anyone was reached. A row whose point has gone —
the enterprise completed, refused, was found ineligible or opted out, or the survey
closed — is skipped as moot. Transient WeChat failures raise for a retry
(`raise_if_transient`), as in `app.activity.notices`.

Idempotent per row, as the outbox requires: a row run again after a crash resends its
template message with the same `client_msg_id` (`outbox-<row id>`, de-duplicated by
WeChat). Every message goes through `app.notification.service.send_rendered` with context
`survey:<id>`, so it is in the message log next to the survey.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import templates_msg
from app.identity.models import EnterpriseBinding, Follower, MiniProgramUser
from app.notification.models import GrantChannel
from app.notification.outcomes import outcome_result, raise_if_transient
from app.notification.service import available_grants, send_rendered
from app.outbox.delivery import outbox_handler
from app.outbox.models import OutboxMessage
from app.survey.invitations import now, reached
from app.survey.models import Disposition, Survey, SurveySample, SurveyStatus
from templates_msg import TemplateError
from templates_msg.survey_invitation import values_for as invitation_values
from templates_msg.survey_notice import values_for as notice_values
from templates_msg.survey_reminder import values_for as reminder_values

__all__ = ["SUBSCRIBE_DEFINITIONS", "TEMPLATES", "deliver_invitation", "deliver_reminder", "recipient"]

logger = logging.getLogger("qiyun.survey.notices")

TEMPLATES = {"invite": "survey_invitation", "remind": "survey_reminder"}
"""notice -> the official-account template message definition."""

SUBSCRIBE_DEFINITIONS: dict[str, str] = {"invite": "survey_notice", "remind": "survey_notice"}
"""notice -> the mini-program subscribe definition used when nobody follows the account and
one of the enterprise's people granted it in the mini-program."""

_MOOT = (Disposition.complete, Disposition.refusal, Disposition.ineligible)


async def _people(enterprise_id: int) -> list[int]:
    return list(await EnterpriseBinding.filter(enterprise_id=enterprise_id, revoked_at__isnull=True)
                .values_list("user_id", flat=True))


async def recipient(*, enterprise_id: int) -> Follower | None:
    """The one follower who receives the enterprise's survey messages: among the subscribed
    followers of people bound to it, the most recently active (then the newest)."""
    people = await _people(enterprise_id)
    if not people:
        return None
    followers = await Follower.filter(user_id__in=people, subscribed=True)
    if not followers:
        return None
    floor = datetime.min.replace(tzinfo=now().tzinfo)
    return max(followers, key=lambda f: (f.last_interaction_at or floor, f.id))


def _moot(survey: Survey, sample: SurveySample) -> str | None:
    if SurveyStatus(survey.status) is not SurveyStatus.open or (
            survey.closes_at is not None and survey.closes_at <= now()):
        return "skipped:moot:closed"
    if sample.opted_out or Disposition(sample.disposition) in _MOOT:
        return "skipped:moot"
    return None


def _values(notice: str, survey: Survey, payload: dict[str, Any]) -> dict[str, Any]:
    if notice == "invite":
        return invitation_values(survey, organiser=survey.organiser, estimated_minutes=survey.estimated_minutes)
    return reminder_values(survey, days_left=payload.get("days_left"))


def _subscribe_values(notice: str, survey: Survey, payload: dict[str, Any]) -> dict[str, Any]:
    """The mini-program message says in its note what the template message says in its fields."""
    if notice == "invite":
        note = f"约需{survey.estimated_minutes}分钟，诚邀您参与" if survey.estimated_minutes else "诚邀您参与本次调查"
    else:
        days_left = payload.get("days_left")
        note = "问卷尚未完成，期待您的参与" if days_left is None else (
            "问卷今天截止，期待您的参与" if days_left <= 0 else f"问卷尚未完成，还剩{days_left}天截止")
    return notice_values(survey, note=note)


async def _send_template(notice: str, survey: Survey, follower: Follower, payload: dict[str, Any],
                         message: OutboxMessage, resources: Any) -> str:
    name = TEMPLATES[notice]
    definition = templates_msg.get(name)
    if not definition.is_configured(resources.settings):
        return f"skipped:not_configured:{name}"
    rendered = definition.render(_values(notice, survey, payload), settings=resources.settings)
    outcome = await send_rendered(wechat=resources.official_account, openid=follower.openid, message=rendered,
                                  follower=follower, context=f"survey:{survey.id}", client_msg_id=f"outbox-{message.id}")
    return outcome_result(outcome, f"template:{name}")


async def _send_subscribe(notice: str, survey: Survey, enterprise_id: int, payload: dict[str, Any],
                          resources: Any) -> str | None:
    name = SUBSCRIBE_DEFINITIONS.get(notice)
    settings = resources.settings
    if name is None or not settings.miniprogram_appid:
        return None
    definition = templates_msg.get(name)
    if not definition.is_configured(settings):
        return None
    template_id = definition.template_id(settings)
    people = await _people(enterprise_id)
    accounts = await MiniProgramUser.filter(user_id__in=people or [-1])
    floor = datetime.min.replace(tzinfo=now().tzinfo)
    for account in sorted(accounts, key=lambda a: (a.last_login_at or floor, a.id), reverse=True):
        balance = await available_grants(channel=GrantChannel.miniprogram, openid=account.openid,
                                         template_id=template_id)
        if not balance.can_send:
            continue
        rendered = definition.render(_subscribe_values(notice, survey, payload), settings=settings)
        outcome = await send_rendered(wechat=resources.miniprogram, openid=account.openid, message=rendered,
                                      follower=None, context=f"survey:{survey.id}")
        if outcome.ok:
            return f"sent:subscribe:{name}"
        if outcome.refused_locally:
            continue
        raise_if_transient(outcome)
        return f"failed:{outcome.errcode}:subscribe:{name}"
    return None


async def _record(notice: str, sample: SurveySample, result: str) -> None:
    """Write the contact's result on the sample: the invitation's always; a reminder's only
    when it reached someone the invitation had not (so `finalise_dispositions` sees it)."""
    if notice == "invite":
        await SurveySample.filter(id=sample.id).update(invite_result=result[:64])
    elif reached(result):
        fresh = await SurveySample.get(id=sample.id)
        if not reached(fresh.invite_result):
            await SurveySample.filter(id=sample.id).update(invite_result=result[:64])


async def _deliver(notice: str, message: OutboxMessage, resources: Any) -> str:
    payload = message.payload or {}
    sample = await SurveySample.get_or_none(id=payload.get("sample_id"))
    if sample is None:
        return "skipped:sample_gone"
    survey = await Survey.get(id=sample.survey_id)
    moot = _moot(survey, sample)
    if moot is not None:
        if notice == "invite":
            await _record(notice, sample, moot)
        return moot
    try:
        follower = await recipient(enterprise_id=sample.enterprise_id)
        if follower is not None:
            result = await _send_template(notice, survey, follower, payload, message, resources)
        else:
            result = await _send_subscribe(notice, survey, sample.enterprise_id, payload, resources) \
                or "skipped:no_channel"
    except TemplateError as exc:
        result = f"failed:template:{exc}"
    await _record(notice, sample, result)
    return result


@outbox_handler("survey.invite")
async def deliver_invitation(message: OutboxMessage, resources: Any) -> str:
    """One sampled enterprise's invitation (`invitations.invite`)."""
    return await _deliver("invite", message, resources)


@outbox_handler("survey.remind")
async def deliver_reminder(message: OutboxMessage, resources: Any) -> str:
    """One reminder to a sampled enterprise that has not answered (`invitations.queue_reminders`)."""
    return await _deliver("remind", message, resources)
