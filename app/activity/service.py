"""Activities: the schedule staff publish, and the sign-ups, waiting list and tickets.

Every transport (mini-program, chat, H5, admin) calls these functions; nothing else
changes an activity or a sign-up.

**Never overbooked.** Every change to an activity's sign-ups runs in one transaction that
first locks the activity row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite runs one write
transaction at a time), then takes a place with a conditional update
(`confirmed_count < capacity`), so two sign-ups at the same moment can never both take the
last place, and the waiting list is numbered 1, 2, 3 … in the order the transactions got
the lock. The counters on the activity row (`confirmed_count`, `waitlist_count`) change in
the same transaction as the sign-ups they count.

**Waiting list.** Positions are dense (1 = next to move up). When a confirmed person
cancels (or staff cancel for them, or capacity goes up) the first waiting people are
confirmed in the same transaction, the others move up, and the promoted are told through
the outbox. Cancelling and signing up again goes to the back.

Notices (`activity.notify` outbox rows, delivered by `app.activity.notices`) are written in
the transaction of the change; staff steps also write the audit log; every step writes an
`ActivityEvent` (who, when, why).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.outbox.wake import wake
from app.activity import tickets
from app.activity.errors import ActivityError, ActivityNotFound, SignupNotFound
from app.activity.models import (
    Activity,
    ActivityEvent,
    ActivityKind,
    ActivitySignup,
    ActivityStatus,
    SignupChannel,
    SignupStatus,
)
from app.activity.workflow import EDITABLE, check, get_transition
from app.audit import service as audit
from app.db import db_time
from app.identity.models import EnterpriseBinding, WeChatUser
from app.organisation.models import Organisation
from app.outbox.service import put as outbox_put
from app.staff.models import Staff

__all__ = [
    "ACTIVE_SIGNUP",
    "ActivityInput",
    "SignupResult",
    "cancel_signup",
    "create_activity",
    "get_activity",
    "sign_up",
    "signup_closed_reason",
    "transition",
    "update_activity",
]

logger = logging.getLogger("qiyun.activity")
SHANGHAI = ZoneInfo("Asia/Shanghai")

TITLE_LIMIT = 200
PLACE_LIMIT = 200
AUDIENCE_LIMIT = 300
DESCRIPTION_LIMIT = 5000
NAME_LIMIT = 50
MAX_CAPACITY = 100_000
REASON_LIMIT = 500

ACTIVE_SIGNUP = frozenset({SignupStatus.confirmed, SignupStatus.waitlisted, SignupStatus.checked_in})
HOLDS_PLACE = frozenset({SignupStatus.confirmed, SignupStatus.checked_in})

async def _wake_outbox() -> None:
    await wake()


def now_local() -> datetime:
    return datetime.now(SHANGHAI)


# -- the schedule ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityInput:
    """What staff type into the activity form (validated by `_validate`)."""

    title: str
    kind: ActivityKind | str
    starts_at: datetime
    ends_at: datetime
    place: str
    capacity: int
    description: str = ""
    audience: str = ""
    organiser_id: int | None = None
    organiser_name: str = ""
    signup_deadline: datetime | None = None


def _validate(data: ActivityInput) -> dict[str, Any]:
    title = data.title.strip()
    if not title:
        raise ActivityError("请填写活动名称", code="title_required", field="title")
    if len(title) > TITLE_LIMIT:
        raise ActivityError(f"活动名称最多{TITLE_LIMIT}个字", code="title_too_long", field="title")
    try:
        kind = ActivityKind(data.kind)
    except ValueError:
        raise ActivityError("请选择活动类型（培训、讲座、路演、诊断、政策宣讲）", code="invalid_kind", field="kind") from None
    place = data.place.strip()
    if not place:
        raise ActivityError("请填写活动地点", code="place_required", field="place")
    if len(place) > PLACE_LIMIT:
        raise ActivityError(f"活动地点最多{PLACE_LIMIT}个字", code="place_too_long", field="place")
    if data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        raise ValueError("activity times must be timezone-aware")
    if data.ends_at <= data.starts_at:
        raise ActivityError("结束时间须晚于开始时间", code="invalid_times", field="ends_at")
    if data.signup_deadline is not None and data.signup_deadline > data.starts_at:
        raise ActivityError("报名截止时间不能晚于活动开始时间", code="invalid_deadline", field="signup_deadline")
    if not 1 <= data.capacity <= MAX_CAPACITY:
        raise ActivityError(f"名额须在1到{MAX_CAPACITY}之间", code="invalid_capacity", field="capacity")
    if len(data.audience.strip()) > AUDIENCE_LIMIT:
        raise ActivityError(f"面向对象最多{AUDIENCE_LIMIT}个字", code="audience_too_long", field="audience")
    if len(data.description) > DESCRIPTION_LIMIT:
        raise ActivityError(f"活动介绍最多{DESCRIPTION_LIMIT}个字", code="description_too_long", field="description")
    organiser_name = data.organiser_name.strip()
    if data.organiser_id is None and not organiser_name:
        raise ActivityError("请选择主办单位，或填写主办单位名称", code="organiser_required", field="organiser_id")
    if len(organiser_name) > 200:
        raise ActivityError("主办单位名称最多200个字", code="organiser_too_long", field="organiser_name")
    return {
        "title": title, "kind": kind, "starts_at": data.starts_at, "ends_at": data.ends_at, "place": place,
        "capacity": data.capacity, "description": data.description.strip(), "audience": data.audience.strip(),
        "organiser_id": data.organiser_id, "organiser_name": organiser_name if data.organiser_id is None else "",
        "signup_deadline": data.signup_deadline,
    }


async def _check_organiser(organiser_id: int | None) -> None:
    if organiser_id is not None and not await Organisation.filter(id=organiser_id, is_active=True).exists():
        raise ActivityError("所选主办单位不存在或已停用", code="invalid_organiser", field="organiser_id")


async def get_activity(*, activity_id: int, include_drafts: bool = False) -> Activity:
    """The activity (organiser loaded); drafts only for staff (`include_drafts`)."""
    activity = await Activity.filter(id=activity_id).select_related("organiser").first()
    if activity is None or (ActivityStatus(activity.status) is ActivityStatus.draft and not include_drafts):
        raise ActivityNotFound()
    return activity


async def create_activity(*, staff: Staff, data: ActivityInput) -> Activity:
    """A new activity, as a draft (publishing is its own step, so a half-filled one is never seen)."""
    values = _validate(data)
    await _check_organiser(values["organiser_id"])
    async with in_transaction() as connection:
        activity = await Activity.create(**values, status=ActivityStatus.draft, created_by_id=staff.id,
                                         using_db=connection)
        await _event(connection, activity, "create", staff=staff)
        await audit.record(staff=staff, action="activity.create", target_type="activity", target_id=activity.id,
                           detail={"title": activity.title})
    return activity


async def update_activity(*, staff: Staff, activity_id: int, data: ActivityInput) -> Activity:
    """Change an activity. Capacity may not go below the people already confirmed (they
    would lose a place they were promised); more capacity confirms waiting people at once."""
    values = _validate(data)
    await _check_organiser(values["organiser_id"])
    promoted: list[int] = []
    async with in_transaction() as connection:
        activity = await _lock(connection, activity_id)
        if ActivityStatus(activity.status) not in EDITABLE:
            raise ActivityError(f"活动已{ActivityStatus(activity.status).label}，不能再修改", code="not_editable")
        if values["capacity"] < activity.confirmed_count:
            raise ActivityError(
                f"已有{activity.confirmed_count}人报名成功，名额不能少于{activity.confirmed_count}"
                f"（如需减少，请先取消部分报名）",
                code="capacity_below_confirmed", field="capacity",
            )
        changes = {
            key: {"from": _plain(getattr(activity, key)), "to": _plain(value)}
            for key, value in values.items()
            if _plain(getattr(activity, key)) != _plain(value)
        }
        await Activity.filter(id=activity.id).using_db(connection).update(**values)
        activity = await Activity.get(id=activity.id).using_db(connection)
        if ActivityStatus(activity.status) is ActivityStatus.published:
            promoted = await _promote(connection, activity, staff=staff, why="capacity")
        await _event(connection, activity, "update", staff=staff, payload={"changes": changes, "promoted": len(promoted)})
        await audit.record(staff=staff, action="activity.update", target_type="activity", target_id=activity.id,
                           detail={"changes": changes, "promoted": len(promoted)})
    if promoted:
        await _wake_outbox()
    return await get_activity(activity_id=activity_id, include_drafts=True)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).isoformat(timespec="minutes")
    if hasattr(value, "value"):
        return value.value
    return value


async def transition(*, staff: Staff | None, activity_id: int, action: str, reason: str = "",
                     now: datetime | None = None) -> Activity:
    """publish / finish / cancel (with a reason, told to everyone signed up)."""
    step = get_transition(action)
    reason = reason.strip()
    if len(reason) > REASON_LIMIT:
        raise ActivityError(f"原因最多{REASON_LIMIT}个字", code="reason_too_long", field="reason")
    now = now or now_local()
    told = 0
    async with in_transaction() as connection:
        activity = await _lock(connection, activity_id)
        check(step, status=activity.status, reason=reason)
        if action == "publish" and activity.starts_at <= now:
            raise ActivityError("活动开始时间已过，不能发布；请先修改时间", code="already_started", field="starts_at")
        changes: dict[str, Any] = {"status": step.target}
        if action == "publish":
            changes["published_at"] = now
        else:
            changes["closed_at"] = now
        if action == "cancel":
            changes["cancel_reason"] = reason
        updated = await Activity.filter(id=activity.id, status=activity.status).using_db(connection).update(**changes)
        if not updated:  # cannot happen under the lock; kept as the guard the rule relies on
            raise ActivityError("活动刚刚已被他人修改，请刷新后重试", code="activity_conflict")
        await _event(connection, activity, action, staff=staff, note=reason)
        if action == "cancel":
            active = await ActivitySignup.filter(activity_id=activity.id, status__in=list(ACTIVE_SIGNUP)).using_db(
                connection).values_list("id", flat=True)
            for signup_id in active:
                await _notify(connection, signup_id, "activity_cancelled", key=f"cancelled:{activity.id}")
            told = len(active)
        if staff is not None:
            await audit.record(staff=staff, action=f"activity.{action}", target_type="activity", target_id=activity.id,
                               detail={"reason": reason, "told": told} if action == "cancel" else {})
    if told:
        await _wake_outbox()
    return await get_activity(activity_id=activity_id, include_drafts=True)


# -- sign-ups -------------------------------------------------------------------------


@dataclass(frozen=True)
class SignupResult:
    signup: ActivitySignup
    created: bool
    """False when the person was already signed up (the existing sign-up is returned)."""

    @property
    def confirmed(self) -> bool:
        return SignupStatus(self.signup.status) in HOLDS_PLACE


def signup_closed_reason(activity: Activity, *, now: datetime) -> str | None:
    """Why nobody can sign up now (Chinese), or None while sign-up is open."""
    status = ActivityStatus(activity.status)
    if status is ActivityStatus.cancelled:
        return "该活动已取消"
    if status is ActivityStatus.finished:
        return "该活动已结束"
    if status is not ActivityStatus.published:
        return "该活动尚未开放报名"
    if activity.starts_at <= now:
        return "活动已开始，报名已截止"
    if activity.signup_deadline is not None and activity.signup_deadline <= now:
        return "报名已截止"
    return None


async def _enterprise_for(user: WeChatUser, enterprise_id: int | None) -> int | None:
    """The enterprise the person signs up for: the one named (if they are bound to it), else
    their latest binding, else none (individuals may attend)."""
    bindings = EnterpriseBinding.filter(user_id=user.id, revoked_at__isnull=True)
    if enterprise_id is not None:
        if not await bindings.filter(enterprise_id=enterprise_id).exists():
            raise ActivityError("您尚未绑定该企业，不能以该企业名义报名", code="enterprise_access_denied",
                                field="enterprise_id")
        return enterprise_id
    latest = await bindings.order_by("-id").first()
    return latest.enterprise_id if latest is not None else None


async def sign_up(
    *,
    activity_id: int,
    user: WeChatUser,
    channel: SignupChannel,
    contact_name: str = "",
    contact_phone: str = "",
    enterprise_id: int | None = None,
    now: datetime | None = None,
) -> SignupResult:
    """Sign `user` up: a confirmed place while there is one, else the back of the waiting list.

    One sign-up per person and activity: signing up again while signed up returns the
    existing sign-up (`created=False`); after a cancellation it signs up anew (new ticket,
    back of the queue)."""
    now = now or now_local()
    name = contact_name.strip()
    if len(name) > NAME_LIMIT:
        raise ActivityError(f"姓名最多{NAME_LIMIT}个字", code="name_too_long", field="contact_name")
    phone = (contact_phone or "").strip() or user.phone
    if len(phone) > 20:
        raise ActivityError("联系电话格式不正确", code="invalid_phone", field="contact_phone")
    activity = await get_activity(activity_id=activity_id)
    reason = signup_closed_reason(activity, now=now)
    existing = await ActivitySignup.get_or_none(activity_id=activity_id, user_id=user.id)
    if existing is not None and SignupStatus(existing.status) in ACTIVE_SIGNUP:
        return SignupResult(existing, created=False)
    if reason is not None:
        raise ActivityError(reason, code="signup_closed")
    enterprise = await _enterprise_for(user, enterprise_id)
    try:
        async with in_transaction() as connection:
            activity = await _lock(connection, activity_id)
            reason = signup_closed_reason(activity, now=now)
            if reason is not None:
                raise ActivityError(reason, code="signup_closed")
            existing = await ActivitySignup.get_or_none(activity_id=activity_id, user_id=user.id).using_db(connection)
            if existing is not None and SignupStatus(existing.status) in ACTIVE_SIGNUP:
                return SignupResult(existing, created=False)
            status, position = await _take_place(connection, activity)
            values = {
                "enterprise_id": enterprise, "status": status, "waitlist_position": position,
                "ticket_code": tickets.new_code(), "channel": channel, "contact_name": name, "contact_phone": phone,
                "signed_up_at": now, "confirmed_at": now if status is SignupStatus.confirmed else None,
                "cancelled_at": None, "checked_in_at": None, "checkin_method": "", "checked_in_by_id": None,
                "reminder_queued_at": None,
            }
            if existing is not None:
                await ActivitySignup.filter(id=existing.id).using_db(connection).update(**values)
                signup = await ActivitySignup.get(id=existing.id).using_db(connection)
            else:
                signup = await ActivitySignup.create(activity_id=activity_id, user_id=user.id, using_db=connection,
                                                     **values)
            await _event(connection, activity, "signup", signup=signup,
                         payload={"status": status.value, "position": position, "channel": SignupChannel(channel).value})
            notice = "confirmed" if status is SignupStatus.confirmed else "waitlisted"
            await _notify(connection, signup.id, notice, key=f"{notice}:{signup.ticket_code}")
    except IntegrityError:
        # The same person twice at the same instant on a backend without the row lock:
        # the other request created the row; answer with it.
        again = await ActivitySignup.get_or_none(activity_id=activity_id, user_id=user.id)
        if again is None:
            raise
        return SignupResult(again, created=False)
    await _wake_outbox()
    return SignupResult(signup, created=True)


async def _take_place(connection: BaseDBAsyncClient, activity: Activity) -> tuple[SignupStatus, int | None]:
    """A confirmed place if one is free (conditional update), else the next waiting position."""
    taken = await Activity.filter(id=activity.id, confirmed_count__lt=F("capacity")).using_db(connection).update(
        confirmed_count=F("confirmed_count") + 1
    )
    if taken:
        return SignupStatus.confirmed, None
    await Activity.filter(id=activity.id).using_db(connection).update(waitlist_count=F("waitlist_count") + 1)
    position = (await Activity.get(id=activity.id).using_db(connection)).waitlist_count
    return SignupStatus.waitlisted, position


async def cancel_signup(
    *,
    signup_id: int,
    user: WeChatUser | None = None,
    staff: Staff | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> ActivitySignup:
    """Cancel a sign-up: by its owner (`user`), or by staff on someone's behalf (`staff`,
    who must give a reason the person is told). A confirmed place goes to the first waiting
    person in the same transaction. A checked-in sign-up cannot be cancelled."""
    if (user is None) == (staff is None):
        raise ValueError("cancel_signup: pass exactly one of user, staff")
    now = now or now_local()
    reason = reason.strip()
    if staff is not None and not reason:
        raise ActivityError("请填写取消原因（会告知报名人）", code="reason_required", field="reason")
    if len(reason) > REASON_LIMIT:
        raise ActivityError(f"原因最多{REASON_LIMIT}个字", code="reason_too_long", field="reason")
    found = await ActivitySignup.get_or_none(id=signup_id)
    if found is None or (user is not None and found.user_id != user.id):
        raise SignupNotFound()
    promoted: list[int] = []
    async with in_transaction() as connection:
        activity = await _lock(connection, found.activity_id)
        signup = await ActivitySignup.get(id=signup_id).using_db(connection)
        status = SignupStatus(signup.status)
        if status is SignupStatus.cancelled:
            raise ActivityError("该报名已取消", code="already_cancelled")
        if status is SignupStatus.checked_in:
            raise ActivityError("已签到的报名不能取消", code="already_checked_in")
        if ActivityStatus(activity.status) is not ActivityStatus.published:
            raise ActivityError(f"活动{ActivityStatus(activity.status).label}，报名不能再变更", code="activity_closed")
        if user is not None and activity.starts_at <= now:
            raise ActivityError("活动已开始，不能取消报名", code="already_started")
        updated = await ActivitySignup.filter(id=signup.id, status=status).using_db(connection).update(
            status=SignupStatus.cancelled, cancelled_at=now, waitlist_position=None
        )
        if not updated:
            raise ActivityError("该报名刚刚已变更，请刷新后重试", code="signup_conflict")
        if status is SignupStatus.confirmed:
            await Activity.filter(id=activity.id).using_db(connection).update(confirmed_count=F("confirmed_count") - 1)
        else:
            await _close_gap(connection, activity.id, signup.waitlist_position)
        await _event(connection, activity, "cancel_signup", signup=signup, staff=staff, note=reason,
                     payload={"was": status.value, "by": "staff" if staff is not None else "self"})
        if staff is not None:
            await _notify(connection, signup.id, "cancelled_by_staff", key=f"cancelled_by_staff:{signup.ticket_code}",
                          extra={"reason": reason})
            await audit.record(staff=staff, action="activity.cancel_signup", target_type="activity_signup",
                               target_id=signup.id, detail={"activity_id": activity.id, "reason": reason})
        if status is SignupStatus.confirmed:
            activity = await Activity.get(id=activity.id).using_db(connection)
            promoted = await _promote(connection, activity, staff=staff, why="cancellation")
        signup = await ActivitySignup.get(id=signup.id).using_db(connection)
    if promoted or staff is not None:
        await _wake_outbox()
    return signup


async def _promote(connection: BaseDBAsyncClient, activity: Activity, *, staff: Staff | None, why: str) -> list[int]:
    """Confirm the first waiting people while places are free; returns their sign-up ids."""
    free = activity.capacity - activity.confirmed_count
    if free <= 0 or activity.waitlist_count <= 0:
        return []
    waiting = await ActivitySignup.filter(activity_id=activity.id, status=SignupStatus.waitlisted).using_db(
        connection).order_by("waitlist_position", "id").limit(free)
    now = now_local()
    promoted: list[int] = []
    for signup in waiting:
        updated = await ActivitySignup.filter(id=signup.id, status=SignupStatus.waitlisted).using_db(connection).update(
            status=SignupStatus.confirmed, waitlist_position=None, confirmed_at=now
        )
        if not updated:
            continue
        promoted.append(signup.id)
        await _event(connection, activity, "promote", signup=signup, staff=staff,
                     payload={"from_position": signup.waitlist_position, "why": why})
        await _notify(connection, signup.id, "promoted", key=f"promoted:{signup.ticket_code}")
    if promoted:
        count = len(promoted)
        await Activity.filter(id=activity.id).using_db(connection).update(
            confirmed_count=F("confirmed_count") + count, waitlist_count=F("waitlist_count") - count
        )
        await ActivitySignup.filter(activity_id=activity.id, status=SignupStatus.waitlisted).using_db(connection).update(
            waitlist_position=F("waitlist_position") - count
        )
    return promoted


async def _close_gap(connection: BaseDBAsyncClient, activity_id: int, position: int | None) -> None:
    """A waiting person left: everyone behind them moves up one place."""
    await Activity.filter(id=activity_id).using_db(connection).update(waitlist_count=F("waitlist_count") - 1)
    if position is not None:
        await ActivitySignup.filter(
            activity_id=activity_id, status=SignupStatus.waitlisted, waitlist_position__gt=position
        ).using_db(connection).update(waitlist_position=F("waitlist_position") - 1)


# -- shared steps ---------------------------------------------------------------------


async def _lock(connection: BaseDBAsyncClient, activity_id: int) -> Activity:
    """The activity row, locked for the rest of the transaction (serialises every change to
    its sign-ups on PostgreSQL; SQLite allows one writer at a time anyway)."""
    activity = await Activity.filter(id=activity_id).using_db(connection).select_for_update().first()
    if activity is None:
        raise ActivityNotFound()
    return activity


async def _event(
    connection: BaseDBAsyncClient,
    activity: Activity,
    action: str,
    *,
    staff: Staff | None = None,
    signup: ActivitySignup | None = None,
    note: str = "",
    payload: dict[str, Any] | None = None,
) -> ActivityEvent:
    return await ActivityEvent.create(
        activity_id=activity.id, signup_id=signup.id if signup is not None else None, action=action,
        staff_id=staff.id if staff is not None else None, note=note, payload=payload or {}, using_db=connection,
    )


async def _notify(connection: BaseDBAsyncClient, signup_id: int, notice: str, *, key: str,
                  extra: dict[str, Any] | None = None) -> None:
    """Queue a notice to the person of `signup_id` (delivered after commit by app.activity.notices)."""
    await outbox_put(
        topic="activity.notify", dedupe_key=f"activity:signup:{signup_id}:{key}",
        payload={"signup_id": signup_id, "notice": notice, **(extra or {})}, connection=connection,
    )


def reminder_window(*, now: datetime, hours: int) -> tuple[datetime, datetime]:
    """Activities starting in (now, now + hours] get their reminder now."""
    return db_time(now), db_time(now + timedelta(hours=hours))
