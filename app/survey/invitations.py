"""Contacting the sample: invitations, reminders, and each sampled enterprise's disposition.

Sampling and contact status live on `SurveySample`, never on the answers (an anonymous
survey stays anonymous: nothing here reads `SurveyResponse`).

* **Invitations, once.** `invite` claims every invitable sample with a conditional update
  of `invited_at` (only while it is still null) and, in the same transaction, puts its
  `survey.invite` outbox row (dedupe key `survey:<sid>:sample:<id>:invite`). A second click,
  or two staff clicking at the same moment, claims nothing twice, so no enterprise is
  invited twice for one survey. The outbox worker sends the message
  (`app.survey.notices`) and writes its result on `invite_result`.
* **Reminders** (LimeSurvey's `remind_participants` semantics: a minimum interval and a
  maximum count): `queue_reminders` (the cron in `app.survey.jobs`) and `remind_now`
  (staff) take samples that were invited, have not completed, refused or been found
  ineligible, have not opted out, got fewer than `survey.max_reminders` reminders and were
  last contacted at least `survey.reminder_interval_days` ago. Each is claimed by a
  conditional update on its old `reminders_sent` (so two workers send reminder n once) with
  its `survey.remind` row (dedupe key carries the reminder number).
* **Dispositions** (AAPOR): the answering service moves pending → partial → complete and
  a refusal; staff mark ineligible (closed, moved) or refusal (by phone) with a note
  (`set_disposition`, `MANUAL_DISPOSITIONS`); at close `finalise_dispositions` turns what is
  still pending into non-contact (the invitation never reached anyone) or unknown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.config import Settings
from app.db import db_time
from app.enterprise.models import Enterprise
from app.outbox.service import put as outbox_put
from app.outbox.wake import wake
from app.staff.models import Staff
from app.survey.errors import SurveyError
from app.survey.models import Disposition, Survey, SurveySample, SurveyStatus
from app.survey.questionnaires import get_survey

__all__ = [
    "BATCH",
    "INVITABLE",
    "MANUAL_DISPOSITIONS",
    "NOTE_LIMIT",
    "REMINDABLE",
    "InviteReport",
    "SampleRow",
    "SamplePage",
    "ContactSummary",
    "contact_refusal",
    "contact_summary",
    "finalise_dispositions",
    "get_survey",
    "invite",
    "invite_dedupe_key",
    "queue_reminders",
    "reached",
    "remind_dedupe_key",
    "remind_now",
    "result_label",
    "reminders_due",
    "sample_page",
    "set_disposition",
    "unconfigured_templates",
]

logger = logging.getLogger("qiyun.survey.invitations")

_SHANGHAI = ZoneInfo("Asia/Shanghai")

BATCH = 200
"""Samples claimed per transaction: short transactions, and a 1,000-enterprise sample in a few."""
NOTE_LIMIT = 200
PAGE_SIZE = 50

INVITABLE = (Disposition.pending, Disposition.partial)
"""Dispositions that may still be invited (a partial one started through a public link)."""
REMINDABLE = (Disposition.pending, Disposition.partial, Disposition.unknown, Disposition.non_contact)
"""Dispositions that may still be reminded: not complete, refused or ineligible."""


@dataclass(frozen=True)
class ManualStep:
    """A disposition staff may set by hand, from which dispositions, and why it exists."""

    target: Disposition
    sources: frozenset[Disposition]
    label: str
    opts_out: bool
    """A refusal also stops reminders (opt-out honoured)."""


MANUAL_DISPOSITIONS: dict[Disposition, ManualStep] = {
    step.target: step
    for step in (
        ManualStep(Disposition.ineligible,
                   frozenset({Disposition.pending, Disposition.partial, Disposition.unknown, Disposition.non_contact,
                              Disposition.refusal}),
                   "不符合条件（已注销、迁出等）", opts_out=False),
        ManualStep(Disposition.refusal,
                   frozenset({Disposition.pending, Disposition.partial, Disposition.unknown, Disposition.non_contact,
                              Disposition.ineligible}),
                   "拒绝（如电话中明确拒绝）", opts_out=True),
    )
}
"""The only dispositions staff set by hand; a complete response is never overwritten."""


def now() -> datetime:
    return datetime.now(UTC)


def invite_dedupe_key(survey_id: int, sample_id: int) -> str:
    return f"survey:{survey_id}:sample:{sample_id}:invite"


def remind_dedupe_key(survey_id: int, sample_id: int, number: int) -> str:
    return f"survey:{survey_id}:sample:{sample_id}:remind:{number}"


def contact_refusal(survey: Survey, *, what: str = "邀请", at: datetime | None = None) -> str | None:
    """Why `what` (邀请 / 提醒) cannot go out now (Chinese), or None (the page shows it
    instead of the buttons)."""
    return _contact_refusal(survey, at or now(), what=what)


def _contact_refusal(survey: Survey, at: datetime, *, what: str) -> str | None:
    status = SurveyStatus(survey.status)
    if status is SurveyStatus.draft:
        return f"调查尚未开始，不能发出{what}。请先在“概览”中开始调查。"
    if status is SurveyStatus.closed or (survey.closes_at is not None and survey.closes_at <= at):
        return f"调查已结束，不能再发出{what}。"
    if survey.opens_at is not None and survey.opens_at > at:
        local = survey.opens_at.astimezone(_SHANGHAI).strftime("%Y-%m-%d %H:%M")
        return f"调查将于{local}开放填写，届时再发出{what}。"
    return None


# -- invitations -----------------------------------------------------------------------


@dataclass(frozen=True)
class InviteReport:
    """What an invitation round did (or, from `contact_summary`, would do)."""

    queued: int
    """Invitations queued now (sent by the outbox worker)."""
    already_invited: int
    """Samples invited before: never invited twice."""
    opted_out: int
    finished: int
    """Complete, refused or ineligible: nobody to ask."""
    sampled: int


def _invitable() -> Q:
    return Q(invited_at__isnull=True, opted_out=False, disposition__in=list(INVITABLE))


async def _invite_counts(survey_id: int) -> dict[str, int]:
    rows = await SurveySample.filter(survey_id=survey_id).values_list("invited_at", "opted_out", "disposition")
    counts = {"invitable": 0, "already_invited": 0, "opted_out": 0, "finished": 0, "sampled": len(rows)}
    for invited_at, opted_out, disposition in rows:
        if invited_at is not None:
            counts["already_invited"] += 1
        elif opted_out:
            counts["opted_out"] += 1
        elif Disposition(disposition) in INVITABLE:
            counts["invitable"] += 1
        else:
            counts["finished"] += 1
    return counts


async def invite(*, staff: Staff | None, survey_id: int, at: datetime | None = None) -> InviteReport:
    """Invite every sampled enterprise not invited yet, once each; returns what was queued.

    Refused (Chinese `SurveyError`) unless the survey is open and not past its closing date,
    since the invitation's link must lead to a questionnaire that can be answered. A public
    survey without a sample has nobody to invite (followers find it themselves)."""
    at = at or now()
    survey = await get_survey(survey_id=survey_id)
    refusal = _contact_refusal(survey, at, what="邀请")
    if refusal:
        raise SurveyError(refusal, code="survey_not_open")
    candidates = list(
        await SurveySample.filter(_invitable(), survey_id=survey_id).order_by("id").values_list("id", flat=True)
    )
    if not candidates and survey.is_public and not await SurveySample.filter(survey_id=survey_id).exists():
        raise SurveyError("公开问卷没有抽样名单，无需发出邀请：关注公众号的用户可在“我的问卷”中直接填写。",
                          code="nothing_to_invite")
    queued = 0
    for start in range(0, len(candidates), BATCH):
        async with in_transaction() as connection:
            for sample_id in candidates[start:start + BATCH]:
                claimed = await SurveySample.filter(_invitable(), id=sample_id).using_db(connection).update(
                    invited_at=at, invite_result="queued")
                if not claimed:
                    continue  # someone else invited it meanwhile
                await outbox_put(topic="survey.invite", dedupe_key=invite_dedupe_key(survey_id, sample_id),
                                 payload={"survey_id": survey_id, "sample_id": sample_id}, connection=connection)
                queued += 1
    counts = await _invite_counts(survey_id)
    report = InviteReport(queued=queued, already_invited=counts["already_invited"] - queued,
                          opted_out=counts["opted_out"], finished=counts["finished"], sampled=counts["sampled"])
    if staff is not None:
        await audit.record(staff=staff, action="survey.invite", target_type="survey", target_id=survey_id,
                           detail={"queued": queued, "already_invited": report.already_invited})
    if queued:
        await wake()
    return report


# -- reminders -------------------------------------------------------------------------


def _remindable(survey: Survey, at: datetime) -> Q:
    """Samples due a reminder: invited, still open to answer, under the maximum, and last
    contacted (invitation or reminder) at least the interval ago."""
    cutoff = db_time(at - timedelta(days=max(0, survey.reminder_interval_days)))
    return Q(
        Q(invited_at__isnull=False, invited_at__lte=cutoff, opted_out=False, disposition__in=list(REMINDABLE),
          reminders_sent__lt=max(0, survey.max_reminders)),
        Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=cutoff),
    )


def _days_left(survey: Survey, at: datetime) -> int | None:
    if survey.closes_at is None:
        return None
    return (survey.closes_at.astimezone(_SHANGHAI).date() - at.astimezone(_SHANGHAI).date()).days


async def reminders_due(*, survey_id: int, at: datetime | None = None) -> int:
    """How many samples a reminder would go to now (the admin's 立即提醒 button says it)."""
    at = at or now()
    survey = await get_survey(survey_id=survey_id)
    if _contact_refusal(survey, at, what="提醒"):
        return 0
    return await SurveySample.filter(_remindable(survey, at), survey_id=survey_id).count()


async def _queue_for(survey: Survey, at: datetime) -> int:
    due = await SurveySample.filter(_remindable(survey, at), survey_id=survey.id).order_by("id").values_list(
        "id", "reminders_sent")
    queued = 0
    days_left = _days_left(survey, at)
    for start in range(0, len(due), BATCH):
        async with in_transaction() as connection:
            for sample_id, sent in due[start:start + BATCH]:
                claimed = await SurveySample.filter(_remindable(survey, at), id=sample_id,
                                                    reminders_sent=sent).using_db(connection).update(
                    reminders_sent=sent + 1, last_reminded_at=at)
                if not claimed:
                    continue  # another worker (or staff) reminded it meanwhile
                number = sent + 1
                await outbox_put(topic="survey.remind", dedupe_key=remind_dedupe_key(survey.id, sample_id, number),
                                 payload={"survey_id": survey.id, "sample_id": sample_id, "number": number,
                                          "days_left": days_left},
                                 connection=connection)
                queued += 1
    return queued


async def queue_reminders(*, at: datetime | None = None) -> int:
    """Queue the reminders due in every open survey (the cron); returns how many."""
    at = at or now()
    queued = 0
    for survey in await Survey.filter(status=SurveyStatus.open, is_public=False).order_by("id"):
        if _contact_refusal(survey, at, what="提醒") or survey.max_reminders <= 0:
            continue
        queued += await _queue_for(survey, at)
    if queued:
        await wake()
    return queued


async def remind_now(*, staff: Staff | None, survey_id: int, at: datetime | None = None) -> int:
    """Staff's 立即提醒: the same interval and maximum as the cron (no one is reminded
    more often or more times by clicking); returns how many reminders were queued."""
    at = at or now()
    survey = await get_survey(survey_id=survey_id)
    refusal = _contact_refusal(survey, at, what="提醒")
    if refusal:
        raise SurveyError(refusal, code="survey_not_open")
    queued = await _queue_for(survey, at) if survey.max_reminders > 0 else 0
    if staff is not None:
        await audit.record(staff=staff, action="survey.remind", target_type="survey", target_id=survey_id,
                           detail={"queued": queued})
    if queued:
        await wake()
    return queued


# -- dispositions ----------------------------------------------------------------------


def reached(invite_result: str) -> bool:
    """Whether a contact reached someone (a message was accepted by WeChat)."""
    return (invite_result or "").startswith("sent")


async def finalise_dispositions(*, survey_id: int, connection: BaseDBAsyncClient | None = None,
                                at: datetime | None = None) -> dict[str, int]:
    """At close: each sample still pending becomes `non_contact` when no invitation or
    reminder reached anyone (never invited, skipped for want of a channel, failed), else
    `unknown` (reached, but silent: eligibility unknown). Partial stays partial.

    Called by `app.survey.workflow` inside the closing transaction (`connection`)."""
    at = at or now()
    pending = SurveySample.filter(survey_id=survey_id, disposition=Disposition.pending)
    unknown = await pending.filter(invite_result__startswith="sent").using_db(connection).update(
        disposition=Disposition.unknown, disposition_at=at)
    non_contact = await SurveySample.filter(survey_id=survey_id, disposition=Disposition.pending).using_db(
        connection).update(disposition=Disposition.non_contact, disposition_at=at)
    return {"unknown": unknown, "non_contact": non_contact}


async def set_disposition(*, staff: Staff | None, sample_id: int, disposition: Disposition | str, note: str,
                          survey_id: int | None = None, at: datetime | None = None) -> SurveySample:
    """Staff mark a sampled enterprise ineligible (closed, moved) or a refusal (by phone),
    with the reason; audited. A complete response is never overwritten, and a refusal opts
    the enterprise out of reminders. `survey_id`, when given, must be the sample's survey."""
    at = at or now()
    try:
        target = Disposition(disposition)
    except ValueError:
        raise SurveyError("请选择回复状态", code="disposition_invalid", field="disposition") from None
    step = MANUAL_DISPOSITIONS.get(target)
    if step is None:
        allowed = "、".join(d.label for d in MANUAL_DISPOSITIONS)
        raise SurveyError(f"只能手工标记为：{allowed}", code="disposition_invalid", field="disposition")
    note = " ".join((note or "").split())
    if not note:
        raise SurveyError("请填写原因（如：企业已注销、电话中明确拒绝）", code="note_required", field="note")
    if len(note) > NOTE_LIMIT:
        raise SurveyError(f"原因不能超过{NOTE_LIMIT}字", code="note_too_long", field="note")
    sample = await SurveySample.get_or_none(id=sample_id)
    if sample is None or (survey_id is not None and sample.survey_id != survey_id):
        raise SurveyError("未找到该样本企业", code="sample_not_found")
    old = Disposition(sample.disposition)
    if old is Disposition.complete:
        raise SurveyError("该企业已完成问卷，不能修改回复状态", code="already_complete")
    if old is target:
        raise SurveyError(f"该企业已是“{target.label}”", code="unchanged")
    if old not in step.sources:
        raise SurveyError(f"“{old.label}”的企业不能标记为“{target.label}”", code="wrong_state")
    values: dict[str, Any] = {"disposition": target, "disposition_at": at, "disposition_note": note}
    if step.opts_out:
        values.update(opted_out=True, opted_out_at=at)
    async with in_transaction() as connection:
        changed = await SurveySample.filter(id=sample_id, disposition=old).using_db(connection).update(**values)
        if not changed:  # answered or marked meanwhile
            raise SurveyError("该企业的回复状态刚刚发生变化，请刷新后重试", code="conflict")
        if staff is not None:
            await audit.record(staff=staff, action="survey.disposition", target_type="survey_sample",
                               target_id=sample_id, detail={"survey_id": sample.survey_id, "from": old.value,
                                                            "to": target.value, "note": note})
    return await SurveySample.get(id=sample_id)


# -- what the tracking page shows --------------------------------------------------------


def unconfigured_templates(*, settings: Settings) -> list[str]:
    """The environment variables of survey notices whose WeChat template id is not set:
    invitations would be recorded as not sent, so the page warns before staff press 发出邀请."""
    import templates_msg

    names = ("survey_invitation", "survey_reminder")
    return [templates_msg.get(name).setting_variable for name in names
            if not templates_msg.get(name).is_configured(settings)]


@dataclass(frozen=True)
class ContactSummary:
    """The tracking page's head: how many would be invited or reminded now, and counts."""

    sampled: int
    invitable: int
    invited: int
    opted_out: int
    reminders_due: int
    reminders_sent: int
    reached: int
    by_disposition: dict[Disposition, int] = field(default_factory=dict)


async def contact_summary(*, survey_id: int, at: datetime | None = None) -> ContactSummary:
    """Counts for the tracking page (no answers are read)."""
    at = at or now()
    rows = await SurveySample.filter(survey_id=survey_id).values_list(
        "invited_at", "opted_out", "disposition", "reminders_sent", "invite_result")
    counts = await _invite_counts(survey_id)
    by_disposition = {d: 0 for d in Disposition}
    for _, _, disposition, _, _ in rows:
        by_disposition[Disposition(disposition)] += 1
    return ContactSummary(
        sampled=len(rows), invitable=counts["invitable"], invited=sum(1 for r in rows if r[0] is not None),
        opted_out=sum(1 for r in rows if r[1]), reminders_due=await reminders_due(survey_id=survey_id, at=at),
        reminders_sent=sum(r[3] for r in rows), reached=sum(1 for r in rows if reached(r[4])),
        by_disposition=by_disposition,
    )


@dataclass(frozen=True)
class SampleRow:
    sample: SurveySample
    enterprise: Enterprise


@dataclass(frozen=True)
class SamplePage:
    rows: list[SampleRow]
    total: int
    page: int
    per_page: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def number(self) -> int:
        return self.page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


async def sample_page(*, survey_id: int, disposition: Disposition | None = None, page: int = 1,
                      per_page: int = PAGE_SIZE, search: str = "") -> SamplePage:
    """One page of the sample with contact status and disposition (never answers)."""
    query = SurveySample.filter(survey_id=survey_id)
    if disposition is not None:
        query = query.filter(disposition=disposition)
    search = search.strip()
    if search:
        query = query.filter(Q(enterprise__name__icontains=search) | Q(enterprise__credit_code__icontains=search))
    total = await query.count()
    page = max(1, page)
    samples = await query.order_by("id").offset((page - 1) * per_page).limit(per_page)
    enterprises = {e.id: e for e in await Enterprise.filter(id__in=[s.enterprise_id for s in samples] or [-1])}
    return SamplePage([SampleRow(s, enterprises[s.enterprise_id]) for s in samples], total, page, per_page)


def result_label(invite_result: str) -> str:
    """The outcome of the invitation in Chinese (the outbox result's code)."""
    text = invite_result or ""
    if not text:
        return "未邀请"
    if text == "queued":
        return "排队发送中"
    if text.startswith("sent:subscribe"):
        return "已发送（小程序订阅消息）"
    if text.startswith("sent"):
        return "已发送（公众号模板消息）"
    if text.startswith("skipped:no_channel"):
        return "无法送达（未关注公众号）"
    if text.startswith("skipped:not_configured"):
        return "未发送（消息模板未配置）"
    if text.startswith("skipped"):
        return "未发送（已无需邀请）"
    return "发送失败"

