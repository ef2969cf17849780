"""Telling people about appeals: the outbox handlers of the appeal topics.

Topics (queued by `app.appeal.service` and `app.appeal.deadlines`, delivered by
`app.outbox.delivery`):

* `appeal.notify_enterprise` — a step the enterprise cares about (`ENTERPRISE_NOTICES`:
  accepted, declined, dispatched, redispatched, escalated, replied, more information asked
  for, closed unrated, merged, and the reminder to confirm a reply). Sent to the person who
  filed the appeal, on the first channel that can reach them:
  1. the mini-program subscribe message for that step (appeal_accepted / _dispatched /
     _replied) if one of their mini-program accounts holds a grant for it — the channel they
     asked for when filing;
  2. otherwise the official-account template message `appeal_progress`, if they follow the
     account (no grant needed);
  3. otherwise nothing: `skipped:no_channel` (hotline callers are told by the hotline).
* `appeal.notify_handlers` — dispatched, redispatched or escalated: one `appeal.notify_staff`
  row per staff member of the lead and co-handling organisations (template `appeal_assigned`).
* `appeal.supervision` — a reminder or 督办 (`app.appeal.deadlines`): one
  `appeal.notify_staff` row per staff member of the organisation it names (template
  `appeal_overdue`), unless the deadline no longer stands.
* `appeal.notify_staff` — one template message to one staff member's own WeChat
  (`Staff.follower`), opening the appeal in the admin panel.

Idempotent per row, as the outbox requires: a row that runs again after a crash resends its
template message with the same `client_msg_id` (`outbox-<row id>`, de-duplicated by WeChat),
and a fan-out puts its children with stable dedupe keys (`put` adds nothing twice). Every
message goes through `app.notification.service.send_rendered` with context `appeal:<id>`,
so it is in the message log next to the appeal.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

import templates_msg
from app.appeal import deadlines
from app.appeal.models import Appeal, AppealAssignment, AppealEvent, AppealStatus
from app.identity.models import Follower, MiniProgramUser
from app.notification.models import GrantChannel
from app.notification.outcomes import outcome_result, raise_if_transient
from app.notification.service import available_grants, send_rendered
from app.organisation.models import Organisation
from app.outbox.delivery import outbox_handler
from app.outbox.models import OutboxMessage
from app.outbox.service import put as outbox_put
from app.staff.models import Staff
from app.staff.scope import can
from templates_msg import TemplateError
from templates_msg.appeal_accepted import values_for as accepted_values
from templates_msg.appeal_dispatched import values_for as dispatched_values
from templates_msg.appeal_replied import values_for as replied_values
from templates_msg.fields import format_date

__all__ = [
    "ENTERPRISE_NOTICES",
    "STAFF_TEMPLATES",
    "EnterpriseNotice",
    "enterprise_notice",
    "notify_enterprise",
    "notify_handlers",
    "notify_staff",
    "notify_supervision",
]

logger = logging.getLogger("qiyun.appeal.notices")



@dataclass(frozen=True)
class EnterpriseNotice:
    """What one step tells the enterprise: the official-account wording, and the
    mini-program subscribe message for it if there is one."""

    progress: str
    """A key of templates_msg.appeal_progress.PROGRESS_PHRASES (已受理, 已分派 ...)."""
    note: str
    updated_at: datetime
    miniprogram: tuple[str, dict[str, Any]] | None = None
    """(definition name, values) of the matching mini-program subscribe message."""


NoticeBuilder = Callable[[Appeal, AppealEvent | None], Awaitable[EnterpriseNotice | None]]
ENTERPRISE_NOTICES: dict[str, NoticeBuilder] = {}
"""action -> builder; a builder returning None means nothing is worth saying any more."""


def enterprise_notice(*actions: str) -> Callable[[NoticeBuilder], NoticeBuilder]:
    def register(builder: NoticeBuilder) -> NoticeBuilder:
        for action in actions:
            ENTERPRISE_NOTICES[action] = builder
        return builder

    return register


def _when(event: AppealEvent | None, fallback: datetime | None) -> datetime:
    if event is not None:
        return event.created_at
    return fallback or datetime.now(UTC)


def _lead_name(event: AppealEvent | None) -> str:
    return str((event.payload or {}).get("lead") or "") if event is not None else ""


@enterprise_notice("accept")
async def _accepted(appeal: Appeal, event: AppealEvent | None) -> EnterpriseNotice:
    when = _when(event, appeal.accepted_at)
    values = accepted_values(appeal)
    values["accepted_at"] = appeal.accepted_at or when
    return EnterpriseNotice("accepted", "已受理，正在确定承办单位", when, ("appeal_accepted", values))


@enterprise_notice("decline")
async def _declined(appeal: Appeal, event: AppealEvent | None) -> EnterpriseNotice:
    reason = (event.text if event is not None else "") or appeal.decline_reason
    return EnterpriseNotice("declined", reason, _when(event, appeal.closed_at))


@enterprise_notice("dispatch", "redispatch", "escalate")
async def _dispatched(appeal: Appeal, event: AppealEvent | None) -> EnterpriseNotice:
    action = event.action if event is not None else "dispatch"
    department = _lead_name(event)
    if not department and appeal.lead_organisation_id:
        department = (await Organisation.get(id=appeal.lead_organisation_id)).name
    when = _when(event, appeal.dispatched_at)
    progress, note = {
        "dispatch": ("dispatched", f"由{department}办理"),
        "redispatch": ("redispatched", f"改由{department}办理"),
        "escalate": ("escalated", f"由{department}牵头协调办理"),
    }[action]
    mp = ("appeal_dispatched", dispatched_values(appeal, department=department or "承办单位", dispatched_at=when))
    return EnterpriseNotice(progress, note, when, mp)


@enterprise_notice("reply")
async def _replied(appeal: Appeal, event: AppealEvent | None) -> EnterpriseNotice:
    text = event.text if event is not None else ""
    when = _when(event, appeal.replied_at)
    values = replied_values(appeal, reply=text or "请查看答复内容")
    values["replied_at"] = when
    return EnterpriseNotice("replied", text, when, ("appeal_replied", values))


@enterprise_notice("request_info")
async def _info_requested(appeal: Appeal, event: AppealEvent | None) -> EnterpriseNotice:
    question = event.text if event is not None else ""
    return EnterpriseNotice("info_requested", f"请补充：{question}" if question else "", _when(event, None))


@enterprise_notice("close_unrated")
async def _closed_unrated(appeal: Appeal, event: AppealEvent | None) -> EnterpriseNotice:
    return EnterpriseNotice("closed", "逾期未评价，已自动办结", _when(event, appeal.closed_at))


@enterprise_notice("merge")
async def _merged(appeal: Appeal, event: AppealEvent | None) -> EnterpriseNotice:
    into = str((event.payload or {}).get("into") or "") if event is not None else ""
    return EnterpriseNotice("merged", f"已合并至{into}" if into else "与同类诉求合并办理", _when(event, appeal.closed_at))


@enterprise_notice("confirm_reminder")
async def _confirm_reminder(appeal: Appeal, event: AppealEvent | None) -> EnterpriseNotice | None:
    if AppealStatus(appeal.status) is not AppealStatus.replied or appeal.confirm_due_at is None:
        return None  # confirmed (or closed) since the reminder was queued
    reply = await AppealEvent.filter(appeal_id=appeal.id, action="reply").order_by("-id").first()
    note = f"请于{format_date(appeal.confirm_due_at)}前确认并评价"
    values = replied_values(appeal, reply=(reply.text if reply else "") or "请确认办理结果并评价")
    values["replied_at"] = appeal.replied_at or (reply.created_at if reply else appeal.updated_at)
    return EnterpriseNotice("to_confirm", note, datetime.now(UTC), ("appeal_replied", values))


# -- sending ----------------------------------------------------------------------------


async def _send_miniprogram(appeal: Appeal, notice: EnterpriseNotice, resources: Any) -> str | None:
    """The subscribe message, if the user granted it in the mini-program; None to fall back."""
    if notice.miniprogram is None:
        return None
    name, values = notice.miniprogram
    definition = templates_msg.get(name)
    settings = resources.settings
    if not definition.is_configured(settings) or not settings.miniprogram_appid:
        return None
    template_id = definition.template_id(settings)
    accounts = await MiniProgramUser.filter(user_id=appeal.submitter_id).order_by("-id")
    for account in accounts:
        balance = await available_grants(channel=GrantChannel.miniprogram, openid=account.openid, template_id=template_id)
        if not balance.can_send:
            continue
        outcome = await send_rendered(
            wechat=resources.miniprogram, openid=account.openid, message=definition.render(values, settings=settings),
            follower=None, context=f"appeal:{appeal.id}",
        )
        if outcome.ok:
            return f"sent:subscribe:{name}"
        if outcome.refused_locally:
            continue  # the grant was used up meanwhile
        raise_if_transient(outcome)
        logger.info("mini-program notice refused, trying the official account",
                    extra={"appeal_id": appeal.id, "errcode": outcome.errcode})
    return None


async def _send_official_account(
    appeal: Appeal, notice: EnterpriseNotice, message: OutboxMessage, resources: Any
) -> str | None:
    follower = await Follower.filter(user_id=appeal.submitter_id, subscribed=True).order_by("-id").first()
    if follower is None:
        return None
    settings = resources.settings
    definition = templates_msg.get("appeal_progress")
    if not definition.is_configured(settings):
        return "skipped:not_configured:appeal_progress"
    rendered = definition.render(
        {"appeal_id": appeal.id, "number": appeal.number, "title": appeal.title, "progress": notice.progress,
         "note": notice.note, "updated_at": notice.updated_at},
        settings=settings,
    )
    outcome = await send_rendered(
        wechat=resources.official_account, openid=follower.openid, message=rendered, follower=follower,
        context=f"appeal:{appeal.id}", client_msg_id=f"outbox-{message.id}",
    )
    return outcome_result(outcome, "template:appeal_progress")


@outbox_handler("appeal.notify_enterprise")
async def notify_enterprise(message: OutboxMessage, resources: Any) -> str:
    payload = message.payload or {}
    appeal = await Appeal.get_or_none(id=payload.get("appeal_id"))
    if appeal is None:
        return "skipped:appeal_gone"
    action = str(payload.get("action") or "")
    builder = ENTERPRISE_NOTICES.get(action)
    if builder is None:
        return f"skipped:no_notice:{action}"
    if appeal.submitter_id is None:
        return "skipped:no_submitter"
    event = await AppealEvent.get_or_none(id=payload["event_id"]) if payload.get("event_id") else None
    notice = await builder(appeal, event)
    if notice is None:
        return "skipped:moot"
    try:
        sent = await _send_miniprogram(appeal, notice, resources)
        if sent is None:
            sent = await _send_official_account(appeal, notice, message, resources)
    except TemplateError as exc:
        return f"failed:template:{exc}"
    return sent or "skipped:no_channel"


# -- staff ------------------------------------------------------------------------------

StaffValues = Callable[[Appeal, dict[str, Any]], dict[str, Any]]
STAFF_TEMPLATES: dict[str, StaffValues] = {}
"""Template name -> the values of a staff notice from the appeal and the row's payload."""


def _staff_template(name: str) -> Callable[[StaffValues], StaffValues]:
    def register(builder: StaffValues) -> StaffValues:
        STAFF_TEMPLATES[name] = builder
        return builder

    return register


@_staff_template("appeal_assigned")
def _assigned_values(appeal: Appeal, payload: dict[str, Any]) -> dict[str, Any]:
    return {"appeal_id": appeal.id, "number": appeal.number, "title": appeal.title, "role": payload["role"],
            "note": payload.get("note", ""), "resolve_due_at": appeal.resolve_due_at or appeal.updated_at}


@_staff_template("appeal_overdue")
def _overdue_values(appeal: Appeal, payload: dict[str, Any]) -> dict[str, Any]:
    return {"appeal_id": appeal.id, "number": appeal.number, "title": appeal.title, "stage": payload["stage"],
            "due_at": payload["due_at"], "level": payload["level"]}


@outbox_handler("appeal.notify_staff")
async def notify_staff(message: OutboxMessage, resources: Any) -> str:
    payload = message.payload or {}
    appeal = await Appeal.get_or_none(id=payload.get("appeal_id"))
    if appeal is None:
        return "skipped:appeal_gone"
    staff = await Staff.get_or_none(id=payload.get("staff_id"), is_active=True)
    if staff is None or staff.follower_id is None:
        return "skipped:no_follower"
    follower = await Follower.get_or_none(id=staff.follower_id, subscribed=True)
    if follower is None:
        return "skipped:not_subscribed"
    name = str(payload.get("template") or "")
    builder = STAFF_TEMPLATES.get(name)
    if builder is None:
        return f"failed:unknown_template:{name}"
    definition = templates_msg.get(name)
    if not definition.is_configured(resources.settings):
        return f"skipped:not_configured:{name}"
    try:
        rendered = definition.render(builder(appeal, payload), settings=resources.settings)
    except TemplateError as exc:
        return f"failed:template:{exc}"
    outcome = await send_rendered(
        wechat=resources.official_account, openid=follower.openid, message=rendered, follower=follower,
        context=f"appeal:{appeal.id}", client_msg_id=f"outbox-{message.id}",
    )
    return outcome_result(outcome, f"template:{name}")


async def _fan_out(message: OutboxMessage, staff: list[tuple[Staff, dict[str, Any]]]) -> str:
    """One `appeal.notify_staff` row per staff member (idempotent: stable dedupe keys)."""
    if not staff:
        return "skipped:no_recipients"
    for member, payload in staff:
        try:
            await outbox_put(
                topic="appeal.notify_staff",
                dedupe_key=f"outbox:{message.id}:staff:{member.id}",
                payload={**payload, "staff_id": member.id},
            )
        except IntegrityError:
            continue  # put by an earlier run of this row at the same moment: queued once all the same
    return f"sent:fanout:{len(staff)}"


_ASSIGN_NOTES = {"dispatch": "新分派，请及时签收办理", "redispatch": "改派至本单位，请及时签收办理",
                 "escalate": "提请市级协调，请牵头办理"}


@outbox_handler("appeal.notify_handlers")
async def notify_handlers(message: OutboxMessage, resources: Any) -> str:
    payload = message.payload or {}
    appeal = await Appeal.get_or_none(id=payload.get("appeal_id"))
    event = await AppealEvent.get_or_none(id=payload.get("event_id")) if payload.get("event_id") else None
    if appeal is None or event is None:
        return "skipped:appeal_gone"
    if appeal.lead_organisation_id != event.organisation_id or AppealStatus(appeal.status) not in (
        AppealStatus.dispatched, AppealStatus.in_progress
    ):
        return "skipped:superseded"  # handed on again since: that step has its own notice
    assignments = await AppealAssignment.filter(appeal_id=appeal.id, released_at__isnull=True).order_by("-is_lead", "id")
    note = _ASSIGN_NOTES.get(event.action, "")
    chosen: list[tuple[Staff, dict[str, Any]]] = []
    seen: set[int] = set()
    for assignment in assignments:
        members = await Staff.filter(organisation_id=assignment.organisation_id, is_active=True,
                                     follower_id__isnull=False).order_by("id")
        role = "lead" if assignment.is_lead else "co_handler"
        for member in members:
            if member.id in seen or not can(member, "appeal.handle"):
                continue
            seen.add(member.id)
            chosen.append((member, {"appeal_id": appeal.id, "template": "appeal_assigned", "role": role,
                                    "note": note if assignment.is_lead else "请配合主办单位办理"}))
    return await _fan_out(message, chosen)


@outbox_handler("appeal.supervision")
async def notify_supervision(message: OutboxMessage, resources: Any) -> str:
    payload = message.payload or {}
    appeal = await Appeal.get_or_none(id=payload.get("appeal_id"))
    if appeal is None:
        return "skipped:appeal_gone"
    stage, level = str(payload["stage"]), int(payload["level"])
    due_at = datetime.fromisoformat(payload["due_at"]) if payload.get("due_at") else None
    if not deadlines.stage_is_pending(appeal, stage=stage, round=int(payload.get("round", 0)), due_at=due_at):
        return "skipped:stage_done"
    members = await deadlines.recipients(organisation_id=payload.get("organisation_id"), stage=stage, level=level)
    chosen = [
        (member, {"appeal_id": appeal.id, "template": "appeal_overdue", "stage": stage, "level": level,
                  "due_at": payload.get("due_at")})
        for member in members
    ]
    return await _fan_out(message, chosen)
