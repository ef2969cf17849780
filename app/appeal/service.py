"""Appeals: intake from every channel and every step of the closed loop.

Every transport (the chat flow, the mini-program API, the 12345 and Open311 APIs, the
admin) calls these functions and nothing else changes an appeal. Each step:

1. loads the appeal and works out the caller's roles on it (`app.appeal.access`);
2. asks the transition table whether the step is allowed (`app.appeal.workflow.authorise`);
3. in one transaction, updates the appeal only if nobody changed it meanwhile (the
   `version` column: a concurrent second step gets `AppealConflict`, never a double
   transition), writes the timeline event, and queues its notices in the outbox
   (`app.outbox`), so a step and its notifications are stored together or not at all;
4. after commit, wakes the outbox worker (`notify_hook`), which is only a speed-up: the
   outbox sweep delivers anything a crashed process left behind.

Intake is idempotent per channel: the same `idempotency_key` (mini-program, chat) or the
same external ticket id (`channel`, `external_id`: 12345, Open311 clients) returns the
appeal already filed instead of filing another.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.appeal.access import enterprise_actor, staff_actor
from app.appeal.calendar import WorkingCalendar
from app.appeal.categories import CATEGORIES, deadlines_for
from app.appeal.errors import AppealConflict, AppealError, AppealNotFound, AppealPermissionError
from app.appeal.models import (
    Appeal,
    AppealAssignment,
    AppealAttachment,
    AppealChannel,
    AppealEvent,
    AppealStatus,
    CloseReason,
    ContactPreference,
    Satisfaction,
)
from app.appeal.workflow import OPEN_STATUSES, TRANSITIONS, Actor, Role, authorise, get_transition
from app.config import Settings
from app.enterprise.models import Enterprise
from app.enterprise.reference import District
from app.identity.models import WeChatUser
from app.organisation.models import Organisation, OrganisationKind
from app.outbox.wake import wake
from app.outbox.service import put as outbox_put
from app.staff.models import Staff

__all__ = [
    "ENTERPRISE_NOTICE_ACTIONS",
    "AppealDraft",
    "IncomingFile",
    "SubmitResult",
    "accept",
    "add_note",
    "close_overdue_confirmations",
    "confirm",
    "decline",
    "dispatch",
    "escalate",
    "get_appeal",
    "merge",
    "redispatch",
    "release",
    "reply",
    "request_info",
    "request_transfer",
    "return_to_dispatcher",
    "start",
    "submit_appeal",
    "supplement",
]

logger = logging.getLogger("qiyun.appeal")
_SHANGHAI = ZoneInfo("Asia/Shanghai")

TITLE_LIMIT = 60
DESCRIPTION_MIN = 5
DESCRIPTION_LIMIT = 4000
NOTE_LIMIT = 4000
MAX_ATTACHMENTS = 9

ENTERPRISE_NOTICE_ACTIONS = frozenset(
    {"accept", "decline", "dispatch", "redispatch", "escalate", "reply", "request_info", "close_unrated", "merge"}
)
"""Steps the enterprise is told about (by subscribe or template message, see app.appeal.notices)."""

HOTLINE_SYNC_ACTIONS = frozenset(
    {"accept", "decline", "dispatch", "redispatch", "escalate", "start", "reply", "request_info", "confirm",
     "reopen", "close_unrated", "merge", "supplement"}
)

async def _wake_outbox() -> None:
    await wake()


def _now() -> datetime:
    return datetime.now(_SHANGHAI)


def _clean(text: str | None) -> str:
    """Codes and numbers: NFKC folds full-width digits and letters (１２３ → 123)."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _text(text: str | None) -> str:
    """What a person wrote is kept as written (NFKC would turn "，" into ","), only trimmed."""
    return (text or "").strip()


# -- intake ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingFile:
    """A photo or document arriving with an appeal: bytes (mini-program, admin upload), or a
    reference WeChat keeps (a chat photo's PicUrl and MediaId)."""

    data: bytes | None = None
    filename: str = ""
    url: str = ""
    media_id: str = ""


@dataclass
class AppealDraft:
    channel: AppealChannel
    category: str
    description: str
    title: str = ""
    user: WeChatUser | None = None
    enterprise_id: int | None = None
    enterprise_name: str = ""
    credit_code: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_preference: ContactPreference = ContactPreference.wechat
    district: District | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    external_id: str | None = None
    idempotency_key: str | None = None
    source_client: str = ""
    forwarded_by: Organisation | None = None
    staff: Staff | None = None
    """The staff member entering it (walk-in) or forwarding it."""
    files: Sequence[IncomingFile] = field(default_factory=tuple)


@dataclass(frozen=True)
class SubmitResult:
    appeal: Appeal
    created: bool
    """False when the same submission was received before (the earlier appeal is returned)."""


TextChecker = Callable[..., Awaitable[Any]]
"""(user, text, subject_id) -> object with `.needs_review` and `.reason`; see app.appeal.checks."""


def _validate(draft: AppealDraft) -> None:
    draft.description = _text(draft.description)
    draft.title = _text(draft.title)
    if draft.category not in CATEGORIES:
        raise AppealError("请选择诉求类别", code="invalid_category", field="category")
    if len(draft.description) < DESCRIPTION_MIN:
        raise AppealError(f"请把诉求描述清楚（至少 {DESCRIPTION_MIN} 个字）", code="description_too_short", field="description")
    if len(draft.description) > DESCRIPTION_LIMIT:
        raise AppealError(f"诉求描述不能超过 {DESCRIPTION_LIMIT} 字", code="description_too_long", field="description")
    if not draft.title:
        first_line = draft.description.splitlines()[0]
        draft.title = first_line[:TITLE_LIMIT - 1] + "…" if len(first_line) > TITLE_LIMIT else first_line
    if len(draft.title) > TITLE_LIMIT:
        raise AppealError(f"诉求标题不能超过 {TITLE_LIMIT} 字", code="title_too_long", field="title")
    if len(draft.files) > MAX_ATTACHMENTS:
        raise AppealError(f"最多上传 {MAX_ATTACHMENTS} 张图片或文件", code="too_many_files", field="attachments")
    phone = _clean(draft.contact_phone).replace("-", "").replace(" ", "")
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 15):
        raise AppealError("联系电话格式不正确", code="invalid_phone", field="contact_phone")
    draft.contact_phone = phone
    draft.contact_name = _text(draft.contact_name)[:50]
    draft.enterprise_name = _text(draft.enterprise_name)[:200]
    draft.address = _text(draft.address)[:200]
    if draft.external_id is not None:
        draft.external_id = _clean(draft.external_id)
        if not draft.external_id or len(draft.external_id) > 64:
            raise AppealError("外部工单号必须是 1–64 个字符", code="invalid_external_id", field="external_id")
    if draft.idempotency_key is not None and not (1 <= len(draft.idempotency_key) <= 128):
        raise AppealError("idempotency key must be 1-128 characters", code="invalid_idempotency_key")


async def _existing(draft: AppealDraft) -> Appeal | None:
    if draft.external_id:
        found = await Appeal.filter(channel=draft.channel, external_id=draft.external_id).first()
        if found:
            return found
    if draft.idempotency_key:
        return await Appeal.filter(idempotency_key=draft.idempotency_key).first()
    return None


async def coordination_office() -> Organisation:
    office = await Organisation.filter(kind=OrganisationKind.coordination_office, is_active=True).order_by("id").first()
    if office is None:
        raise AppealError("尚未设置市企业服务协调办公室，无法受理诉求", code="no_coordination_office")
    return office


async def _owner_for(draft: AppealDraft) -> Organisation:
    """Who dispatches it: a district's own walk-in or forwarded intake stays with that
    district government; everything else goes to the coordination office."""
    source = draft.forwarded_by or (await draft.staff.organisation if draft.staff else None)
    if draft.channel in (AppealChannel.walk_in,) and source is not None:
        current: Organisation | None = source
        while current is not None:
            if current.kind is OrganisationKind.district_government:
                return current
            current = await current.parent if current.parent_id else None
    return await coordination_office()


async def submit_appeal(
    *,
    draft: AppealDraft,
    settings: Settings,
    check_text: TextChecker | None = None,
    now: datetime | None = None,
) -> SubmitResult:
    """File an appeal from any channel; returns the earlier appeal for a repeated submission.

    `check_text` runs WeChat's content check on the user's text before anything is written;
    a text that needs review (or could not be checked) is filed as `held`, visible to the
    enterprise as 待审核 and in the dispatcher's review queue, never dropped.
    """
    _validate(draft)
    earlier = await _existing(draft)
    if earlier is not None:
        return SubmitResult(earlier, created=False)
    enterprise = None
    if draft.enterprise_id is not None:
        enterprise = await Enterprise.filter(id=draft.enterprise_id).first()
        if enterprise is None:
            raise AppealError("所选企业不存在", code="enterprise_not_found", field="enterprise_id")
    elif draft.credit_code:
        enterprise = await Enterprise.filter(credit_code=_clean(draft.credit_code).upper()).first()
    district = draft.district or (District(enterprise.district) if enterprise and enterprise.district else None)
    owner = await _owner_for(draft)
    verdict = None
    if check_text is not None:
        verdict = await check_text(user=draft.user, text=f"{draft.title}\n{draft.description}")
    try:
        return await _file(draft, settings, enterprise, district, owner, verdict, now)
    finally:
        if verdict is not None and getattr(verdict, "discard_unused", None):
            await verdict.discard_unused()  # a check the appeal did not keep (refused, or a lost race)


async def _file(draft: AppealDraft, settings: Settings, enterprise: Enterprise | None, district: District | None,
                owner: Organisation, verdict: Any, now: datetime | None) -> SubmitResult:
    stored = _store_files(draft, settings)
    now = now or _now()
    calendar = WorkingCalendar.from_settings(settings)
    deadlines = deadlines_for(draft.category, settings)
    actor_label = _intake_label(draft)
    try:
        async with in_transaction() as connection:
            appeal = await Appeal.create(
                number=f"TMP{now.timestamp():.6f}{id(draft)}"[:32],
                channel=draft.channel,
                external_id=draft.external_id,
                idempotency_key=draft.idempotency_key,
                source_client=draft.source_client,
                enterprise=enterprise,
                enterprise_name=draft.enterprise_name or (enterprise.name if enterprise else ""),
                submitter=draft.user,
                contact_name=draft.contact_name,
                contact_phone=draft.contact_phone,
                contact_preference=draft.contact_preference,
                category=draft.category,
                title=draft.title,
                description=draft.description,
                district=district,
                address=draft.address,
                latitude=draft.latitude,
                longitude=draft.longitude,
                status=AppealStatus.submitted,
                owner_organisation=owner,
                accept_due_at=calendar.add_working_days(now, deadlines.accept),
                using_db=connection,
            )
            appeal.number = f"SQ{now.astimezone(_SHANGHAI):%Y%m%d}{appeal.id:06d}"
            await Appeal.filter(id=appeal.id).using_db(connection).update(number=appeal.number)
            event = await AppealEvent.create(
                appeal=appeal,
                action="submit",
                to_status=AppealStatus.submitted,
                staff=draft.staff,
                user=draft.user,
                organisation=draft.forwarded_by or (draft.staff and await draft.staff.organisation),
                text="",
                payload={"channel": draft.channel.value, "by": actor_label, "external_id": draft.external_id},
                using_db=connection,
            )
            for item, file in stored:
                await AppealAttachment.create(
                    appeal=appeal,
                    event=event,
                    filename=(item.filename or file.get("filename") or "photo")[:200],
                    content_type=file["content_type"],
                    size=file["size"],
                    storage_key=file["storage_key"],
                    sha256=file.get("sha256", ""),
                    check_result=file["check_result"],
                    using_db=connection,
                )
            if verdict is not None and getattr(verdict, "needs_review", False):
                reason = str(getattr(verdict, "reason", "") or "内容需人工审核")[:200]
                appeal.status = AppealStatus.held
                appeal.hold_reason = reason
                await Appeal.filter(id=appeal.id).using_db(connection).update(status=AppealStatus.held, hold_reason=reason)
                await AppealEvent.create(
                    appeal=appeal, action="hold", from_status=AppealStatus.submitted, to_status=AppealStatus.held,
                    text=reason, internal=True, payload={"check_id": getattr(verdict, "id", None)}, using_db=connection,
                )
            if verdict is not None and getattr(verdict, "attach", None):
                await verdict.attach(appeal.id, connection)
            await _queue_media_checks(appeal, event, stored, connection)
            await _queue_notices(appeal, event, "submit", connection)
    except IntegrityError:
        # A concurrent identical submission won the race: return its appeal.
        earlier = await _existing(draft)
        if earlier is None:
            raise
        return SubmitResult(earlier, created=False)
    await _wake_outbox()
    return SubmitResult(appeal, created=True)


def _intake_label(draft: AppealDraft) -> str:
    if draft.staff is not None:
        return f"{draft.staff.display_name}（代企业登记）" if draft.channel is AppealChannel.walk_in else draft.staff.display_name
    if draft.source_client:
        return draft.source_client
    return AppealChannel(draft.channel).label


def _store_files(draft: AppealDraft, settings: Settings) -> list[tuple[IncomingFile, dict[str, Any]]]:
    from app.appeal.storage import store

    stored = []
    for item in draft.files:
        if item.data is not None:
            file = store(item.data, settings=settings, images_only=draft.staff is None)
            stored.append(
                (item, {"content_type": file.content_type, "size": file.size, "storage_key": file.storage_key,
                        "sha256": file.sha256, "check_result": "pending" if draft.user else "pass"})
            )
        elif item.url or item.media_id:
            # A chat photo: WeChat checked it when the user sent it to the official account.
            # Its PicUrl is what pages can show (a MediaId is only fetchable for 3 days).
            key = f"url:{item.url}" if item.url else f"wechat:{item.media_id}"
            stored.append((item, {"content_type": "image/jpeg", "size": 0, "storage_key": key[:300],
                                  "check_result": "pass", "filename": "chat-photo.jpg"}))
    return stored


# -- the loop -------------------------------------------------------------------------




async def get_appeal(appeal_id: int) -> Appeal:
    appeal = await Appeal.filter(id=appeal_id).first()
    if appeal is None:
        raise AppealNotFound()
    return appeal


@dataclass
class _Step:
    """What one transition writes besides the status: column changes, the event's payload and
    organisation, and extra work inside the transaction."""

    changes: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    organisation_id: int | None = None
    within: Callable[[Appeal, Any], Awaitable[None]] | None = None
    action_override: str | None = None


async def _actor(appeal: Appeal, *, staff: Staff | None, user: WeChatUser | None) -> Actor:
    if staff is not None:
        return await staff_actor(staff, appeal)
    if user is not None:
        return await enterprise_actor(user, appeal)
    return Actor.system()


async def _apply(
    appeal: Appeal,
    action: str,
    *,
    actor: Actor,
    staff: Staff | None = None,
    user: WeChatUser | None = None,
    note: str = "",
    step: _Step | None = None,
) -> Appeal:
    transition = get_transition(action)
    note = _text(note)
    if len(note) > NOTE_LIMIT:
        raise AppealError(f"内容不能超过 {NOTE_LIMIT} 字", code="note_too_long", field="note")
    authorise(transition, status=appeal.status, actor=actor, note=note)
    step = step or _Step()
    recorded_action = step.action_override or action
    target = TRANSITIONS[recorded_action].target if step.action_override else transition.target
    changes = dict(step.changes)
    changes["updated_at"] = _now()
    guard: dict[str, Any] = {"id": appeal.id}
    if target is not None:
        # Only status changes race with each other; notes, supplements and supervision
        # notices are appended without making a concurrent reply fail.
        changes["status"] = target
        changes["version"] = appeal.version + 1
        guard["version"] = appeal.version
    async with in_transaction() as connection:
        updated = await Appeal.filter(**guard).using_db(connection).update(**changes)
        if updated != 1:
            raise AppealConflict()
        from_status = appeal.status
        for key, value in changes.items():
            setattr(appeal, key, value)
        event = await AppealEvent.create(
            appeal=appeal,
            action=recorded_action,
            from_status=from_status,
            to_status=target,
            staff=staff,
            user=user,
            organisation_id=step.organisation_id if step.organisation_id is not None else (staff.organisation_id if staff else None),
            text=note,
            internal=TRANSITIONS[recorded_action].internal,
            payload={"by": actor.label, **step.payload},
            using_db=connection,
        )
        if step.within is not None:
            await step.within(event, connection)
        queued = await _queue_notices(appeal, event, recorded_action, connection)
    if queued:
        await _wake_outbox()
    return appeal


async def _queue_media_checks(appeal: Appeal, event: AppealEvent, stored: Sequence[tuple[IncomingFile, dict[str, Any]]],
                              connection: Any) -> None:
    """Photos a person uploaded are checked by WeChat after commit (app.appeal.checks)."""
    if any(file["check_result"] == "pending" for _, file in stored):
        await outbox_put(topic="appeal.check_media", dedupe_key=f"appeal:{appeal.id}:event:{event.id}:media",
                         payload={"appeal_id": appeal.id, "event_id": event.id}, connection=connection)


async def _queue_notices(appeal: Appeal, event: AppealEvent, action: str, connection: Any) -> int:
    """The outbox rows a step causes, written in the step's transaction."""
    queued = 0
    base = {"appeal_id": appeal.id, "event_id": event.id, "action": action}
    if action in ENTERPRISE_NOTICE_ACTIONS and appeal.submitter_id is not None:
        if await outbox_put(topic="appeal.notify_enterprise", dedupe_key=f"appeal:{appeal.id}:event:{event.id}:enterprise",
                            payload=base, connection=connection):
            queued += 1
    if action in ("dispatch", "redispatch", "escalate"):
        if await outbox_put(topic="appeal.notify_handlers", dedupe_key=f"appeal:{appeal.id}:event:{event.id}:handlers",
                            payload=base, connection=connection):
            queued += 1
    if appeal.channel == AppealChannel.hotline_12345 and action in HOTLINE_SYNC_ACTIONS | {"submit"}:
        if action != "submit" and await outbox_put(
            topic="appeal.hotline_sync", dedupe_key=f"appeal:{appeal.id}:event:{event.id}:hotline",
            payload=base, connection=connection,
        ):
            queued += 1
    return queued


# Each step below: load, resolve the actor, describe the changes, `_apply`.


async def release(*, appeal_id: int, staff: Staff, note: str = "") -> Appeal:
    """The reviewer found the held content acceptable: back to the intake queue."""
    appeal = await get_appeal(appeal_id)
    actor = await staff_actor(staff, appeal)
    appeal = await _apply(appeal, "release", actor=actor, staff=staff, note=note, step=_Step(changes={"hold_reason": ""}))
    await _settle_reviews(appeal, staff, approved=True, note=note)
    return appeal


async def _settle_reviews(appeal: Appeal, staff: Staff, *, approved: bool, note: str) -> None:
    from app.appeal.checks import settle_reviews  # late: checks calls back into this module

    await settle_reviews(appeal=appeal, staff=staff, approved=approved, note=note)


async def hold(*, appeal_id: int, reason: str) -> Appeal | None:
    """The system holds an appeal still waiting for acceptance (a photo's late check verdict).
    Returns None (and changes nothing) if it is past intake: the photo alone is hidden then."""
    appeal = await get_appeal(appeal_id)
    if appeal.status != AppealStatus.submitted:
        return None
    return await _apply(appeal, "hold", actor=Actor.system(), note=reason,
                        step=_Step(changes={"hold_reason": reason[:200]}))


async def accept(*, appeal_id: int, staff: Staff, note: str = "") -> Appeal:
    appeal = await get_appeal(appeal_id)
    actor = await staff_actor(staff, appeal)
    return await _apply(appeal, "accept", actor=actor, staff=staff, note=note,
                        step=_Step(changes={"accepted_at": appeal.accepted_at or _now(), "flag": ""}))


async def decline(*, appeal_id: int, staff: Staff, reason: str) -> Appeal:
    """Not accepted, with a reason the enterprise sees."""
    appeal = await get_appeal(appeal_id)
    actor = await staff_actor(staff, appeal)
    was_held = appeal.status == AppealStatus.held
    appeal = await _apply(appeal, "decline", actor=actor, staff=staff, note=reason,
                          step=_Step(changes={"decline_reason": _text(reason), "closed_at": _now(), "flag": ""}))
    if was_held:
        await _settle_reviews(appeal, staff, approved=False, note=reason)
    return appeal


async def merge(*, appeal_id: int, into_appeal_id: int, staff: Staff, note: str) -> Appeal:
    """Close a duplicate into the appeal that carries on (both stay visible, linked)."""
    appeal = await get_appeal(appeal_id)
    target = await get_appeal(into_appeal_id)
    if target.id == appeal.id:
        raise AppealError("不能合并到自身", code="merge_into_self", field="into_appeal_id")
    if target.status not in OPEN_STATUSES or target.duplicate_of_id is not None:
        raise AppealError(f"诉求 {target.number} 已办结或已被合并，不能作为合并目标", code="merge_target_closed")
    actor = await staff_actor(staff, appeal)
    await staff_actor(staff, target)  # must be visible too
    return await _apply(
        appeal, "merge", actor=actor, staff=staff, note=note,
        step=_Step(changes={"duplicate_of_id": target.id, "close_reason": CloseReason.merged, "closed_at": _now()},
                   payload={"into": target.number}),
    )


async def _organisations(lead_id: int, co_ids: Sequence[int]) -> tuple[Organisation, list[Organisation]]:
    lead = await Organisation.filter(id=lead_id, is_active=True).first()
    if lead is None:
        raise AppealError("请选择有效的承办单位", code="invalid_organisation", field="lead_organisation_id")
    co = []
    for co_id in dict.fromkeys(co_ids):
        if co_id == lead_id:
            continue
        org = await Organisation.filter(id=co_id, is_active=True).first()
        if org is None:
            raise AppealError("协办单位无效", code="invalid_organisation", field="co_organisation_ids")
        co.append(org)
    return lead, co


def _assign(lead: Organisation, co: Sequence[Organisation]) -> Callable[[AppealEvent, Any], Awaitable[None]]:
    async def within(event: AppealEvent, connection: Any) -> None:
        now = _now()
        await AppealAssignment.filter(appeal_id=event.appeal_id, released_at__isnull=True).using_db(connection).update(
            released_at=now
        )
        await AppealAssignment.create(appeal_id=event.appeal_id, organisation=lead, is_lead=True, using_db=connection)
        for org in co:
            await AppealAssignment.create(appeal_id=event.appeal_id, organisation=org, is_lead=False, using_db=connection)

    return within


def _handling_deadlines(appeal: Appeal, settings: Settings, now: datetime) -> dict[str, Any]:
    calendar = WorkingCalendar.from_settings(settings)
    deadlines = deadlines_for(appeal.category, settings)
    return {
        "respond_due_at": calendar.add_working_days(now, deadlines.respond),
        "resolve_due_at": calendar.add_working_days(now, deadlines.resolve),
        "first_response_at": None,
    }


async def _hand_over(
    appeal: Appeal, action: str, *, staff: Staff, lead: Organisation, co: Sequence[Organisation], note: str,
    settings: Settings, **extra: Any,
) -> Appeal:
    """Dispatch, redispatch and escalation: a new lead (and co-handlers), the response and
    resolution clocks restarted, a new supervision round (`dispatch_count`)."""
    actor = await staff_actor(staff, appeal)
    now = _now()
    changes = {"lead_organisation_id": lead.id, "dispatched_at": now, "flag": "",
               "dispatch_count": appeal.dispatch_count + 1, **_handling_deadlines(appeal, settings, now), **extra}
    return await _apply(
        appeal, action, actor=actor, staff=staff, note=note,
        step=_Step(changes=changes, organisation_id=lead.id, within=_assign(lead, co),
                   payload={"lead": lead.name, "co_handlers": [o.name for o in co]}),
    )


async def dispatch(
    *, appeal_id: int, staff: Staff, lead_organisation_id: int, co_organisation_ids: Sequence[int] = (),
    note: str = "", settings: Settings,
) -> Appeal:
    """Hand an accepted appeal to a lead organisation (and co-handlers); starts the response
    and resolution clocks."""
    appeal = await get_appeal(appeal_id)
    lead, co = await _organisations(lead_organisation_id, co_organisation_ids)
    return await _hand_over(appeal, "dispatch", staff=staff, lead=lead, co=co, note=note, settings=settings)


async def redispatch(
    *, appeal_id: int, staff: Staff, lead_organisation_id: int, co_organisation_ids: Sequence[int] = (),
    reason: str, settings: Settings,
) -> Appeal:
    """Change the handling organisation (e.g. granting a transfer request); the clocks restart."""
    appeal = await get_appeal(appeal_id)
    lead, co = await _organisations(lead_organisation_id, co_organisation_ids)
    return await _hand_over(appeal, "redispatch", staff=staff, lead=lead, co=co, note=reason, settings=settings)


async def escalate(*, appeal_id: int, staff: Staff, reason: str, settings: Settings) -> Appeal:
    """A cross-department case goes to the city coordination office, which leads it; the
    organisation that had it stays on as co-handler."""
    appeal = await get_appeal(appeal_id)
    office = await coordination_office()
    if appeal.lead_organisation_id == office.id:
        raise AppealError("该诉求已由市协调办牵头办理", code="already_escalated")
    co = [await Organisation.get(id=appeal.lead_organisation_id)] if appeal.lead_organisation_id else []
    return await _hand_over(appeal, "escalate", staff=staff, lead=office, co=co, note=reason, settings=settings,
                            escalated_at=_now())


async def start(*, appeal_id: int, staff: Staff, note: str = "") -> Appeal:
    """签收: the lead organisation takes the appeal on (its first response)."""
    appeal = await get_appeal(appeal_id)
    actor = await staff_actor(staff, appeal)
    return await _apply(appeal, "start", actor=actor, staff=staff, note=note,
                        step=_Step(changes={"first_response_at": appeal.first_response_at or _now()}))


async def reply(
    *, appeal_id: int, staff: Staff, text: str, settings: Settings, files: Sequence[IncomingFile] = (),
) -> Appeal:
    """The lead organisation's answer; the enterprise then confirms it within APPEAL_CONFIRM_DAYS."""
    appeal = await get_appeal(appeal_id)
    actor = await staff_actor(staff, appeal)
    now = _now()
    stored = _store_files(AppealDraft(channel=appeal.channel, category=appeal.category, description=".", staff=staff, files=files), settings)

    async def within(event: AppealEvent, connection: Any) -> None:
        for item, file in stored:
            await AppealAttachment.create(
                appeal_id=event.appeal_id, event=event, filename=(item.filename or "attachment")[:200],
                content_type=file["content_type"], size=file["size"], storage_key=file["storage_key"],
                sha256=file.get("sha256", ""), check_result="pass", using_db=connection,
            )

    changes = {
        "replied_at": now,
        "first_response_at": appeal.first_response_at or now,
        "confirm_due_at": now + timedelta(days=settings.appeal_confirm_days),
        "flag": "",
    }
    return await _apply(appeal, "reply", actor=actor, staff=staff, note=text, step=_Step(changes=changes, within=within))


def _accept_clock(appeal: Appeal, settings: Settings) -> dict[str, Any]:
    """A returned or reopened appeal waits for the dispatcher again, on a fresh 受理 deadline."""
    deadline = WorkingCalendar.from_settings(settings).add_working_days(_now(), deadlines_for(appeal.category, settings).accept)
    return {"accept_due_at": deadline}


async def return_to_dispatcher(*, appeal_id: int, staff: Staff, reason: str, settings: Settings) -> Appeal:
    """退回: not ours to handle; back to the dispatcher's queue with the reason."""
    appeal = await get_appeal(appeal_id)
    actor = await staff_actor(staff, appeal)

    async def within(event: AppealEvent, connection: Any) -> None:
        await AppealAssignment.filter(appeal_id=event.appeal_id, released_at__isnull=True).using_db(connection).update(
            released_at=_now()
        )

    return await _apply(appeal, "return", actor=actor, staff=staff, note=reason,
                        step=_Step(changes={"lead_organisation_id": None, "flag": "returned", **_accept_clock(appeal, settings)},
                                   within=within))


async def request_transfer(*, appeal_id: int, staff: Staff, reason: str, suggested_organisation_id: int | None = None) -> Appeal:
    """Ask the dispatcher to hand it to another organisation; the handler keeps it meanwhile."""
    appeal = await get_appeal(appeal_id)
    actor = await staff_actor(staff, appeal)
    payload: dict[str, Any] = {}
    if suggested_organisation_id:
        org = await Organisation.filter(id=suggested_organisation_id).first()
        if org is None:
            raise AppealError("建议的承办单位不存在", code="invalid_organisation", field="suggested_organisation_id")
        payload = {"suggested_organisation_id": org.id, "suggested": org.name}
    return await _apply(appeal, "request_transfer", actor=actor, staff=staff, note=reason,
                        step=_Step(changes={"flag": "transfer_requested"}, payload=payload))


async def request_info(*, appeal_id: int, staff: Staff, question: str) -> Appeal:
    appeal = await get_appeal(appeal_id)
    actor = await staff_actor(staff, appeal)
    return await _apply(appeal, "request_info", actor=actor, staff=staff, note=question,
                        step=_Step(changes={"flag": "info_requested"}))


async def supplement(
    *, appeal_id: int, user: WeChatUser, text: str, settings: Settings, files: Sequence[IncomingFile] = (),
) -> Appeal:
    """The enterprise adds information (asked for or not)."""
    appeal = await get_appeal(appeal_id)
    actor = await enterprise_actor(user, appeal)
    stored = _store_files(AppealDraft(channel=appeal.channel, category=appeal.category, description=".", user=user, files=files), settings)

    async def within(event: AppealEvent, connection: Any) -> None:
        for item, file in stored:
            await AppealAttachment.create(
                appeal_id=event.appeal_id, event=event, filename=(item.filename or "photo")[:200],
                content_type=file["content_type"], size=file["size"], storage_key=file["storage_key"],
                sha256=file.get("sha256", ""), check_result=file["check_result"], using_db=connection,
            )
        appeal_ref = await Appeal.get(id=event.appeal_id).using_db(connection)
        await _queue_media_checks(appeal_ref, event, stored, connection)

    return await _apply(appeal, "supplement", actor=actor, user=user, note=text,
                        step=_Step(changes={"flag": "supplemented"}, within=within))


async def add_note(*, appeal_id: int, staff: Staff, text: str) -> Appeal:
    """An internal note (协办意见, a phone call's summary): staff only."""
    appeal = await get_appeal(appeal_id)
    actor = await staff_actor(staff, appeal)
    return await _apply(appeal, "note", actor=actor, staff=staff, note=text)


async def confirm(
    *,
    appeal_id: int,
    user: WeChatUser | None,
    resolved: bool,
    satisfaction: Satisfaction | str,
    comment: str = "",
    settings: Settings,
    hotline_follow_up: bool = False,
) -> Appeal:
    """The enterprise's verdict on a reply. Resolved: closed with its satisfaction.
    Unresolved: reopened for re-dispatch while reopens remain (APPEAL_MAX_REOPENS),
    otherwise closed as 未解决. The satisfaction of every round is on the timeline.

    `hotline_follow_up`: the verdict the 12345 hotline heard on its 回访 call (no user),
    accepted only for appeals the hotline forwarded."""
    appeal = await get_appeal(appeal_id)
    if hotline_follow_up:
        if appeal.channel != AppealChannel.hotline_12345:
            raise AppealNotFound()
        actor = Actor(frozenset({Role.hotline}), "12345热线回访")
    elif user is None:
        raise AppealPermissionError("需要企业本人确认")
    else:
        actor = await enterprise_actor(user, appeal)
    try:
        level = Satisfaction(satisfaction)
    except ValueError:
        raise AppealError("请选择满意度（非常满意、满意、基本满意、不满意、非常不满意）", code="invalid_satisfaction",
                          field="satisfaction") from None
    comment = _text(comment)
    payload = {"resolved": bool(resolved), "satisfaction": level.value, "satisfaction_label": level.label}
    if not resolved and appeal.reopen_count < settings.appeal_max_reopens:
        if not comment:
            raise AppealError("请说明还有哪些问题没有解决", code="note_required", field="comment")
        changes = {"reopen_count": appeal.reopen_count + 1, "lead_organisation_id": None, "flag": "reopened",
                   "replied_at": None, "confirm_due_at": None, "resolved": False, "satisfaction": level,
                   **_accept_clock(appeal, settings)}

        async def release_handlers(event: AppealEvent, connection: Any) -> None:
            await AppealAssignment.filter(appeal_id=event.appeal_id, released_at__isnull=True).using_db(connection).update(
                released_at=_now()
            )

        return await _apply(appeal, "reopen", actor=actor, user=user, note=comment,
                            step=_Step(changes=changes, payload=payload, within=release_handlers))
    changes = {
        "resolved": bool(resolved),
        "satisfaction": level,
        "satisfaction_comment": comment,
        "close_reason": CloseReason.resolved if resolved else CloseReason.unresolved,
        "closed_at": _now(),
        "flag": "",
    }
    return await _apply(appeal, "confirm", actor=actor, user=user, note=comment, step=_Step(changes=changes, payload=payload))


async def close_overdue_confirmations(*, now: datetime | None = None, limit: int = 500) -> int:
    """Close replied appeals whose enterprise did not confirm in time, as 未评价 (cron)."""
    now = now or _now()
    due = await Appeal.filter(status=AppealStatus.replied, confirm_due_at__lte=now).order_by("confirm_due_at").limit(limit)
    closed = 0
    for appeal in due:
        try:
            await _apply(appeal, "close_unrated", actor=Actor.system(),
                         step=_Step(changes={"close_reason": CloseReason.unrated, "closed_at": now}))
            closed += 1
        except AppealConflict:
            continue  # the enterprise confirmed meanwhile, or another worker closed it
    return closed


async def supervise(*, appeal: Appeal, stage: str, level: int, organisation_id: int | None, text: str) -> Appeal:
    """Record a supervision notice on the timeline (the notice itself is queued by app.appeal.deadlines)."""
    return await _apply(appeal, "supervise", actor=Actor.system(), note=text,
                        step=_Step(payload={"stage": stage, "level": level}, organisation_id=organisation_id))


async def step_for(*, appeal_id: int, action: str, staff: Staff | None = None, user: WeChatUser | None = None) -> None:
    """Check (without doing) that the caller may take `action` now; raises like the step would."""
    appeal = await get_appeal(appeal_id)
    actor = await _actor(appeal, staff=staff, user=user)
    authorise(get_transition(action), status=appeal.status, actor=actor, check_note=False)


ROLE_LABELS = {Role.enterprise: "企业", Role.dispatcher: "受理分派", Role.lead: "主办", Role.co_handler: "协办"}
