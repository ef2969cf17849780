"""The read side of activities: the public schedule, one activity, a person's sign-ups, and
staff lists (sign-ups, waiting list, the week view). Transports render these views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.activity.models import Activity, ActivityEvent, ActivityKind, ActivitySignup, ActivityStatus, SignupStatus
from app.activity.service import SHANGHAI, signup_closed_reason
from app.db import db_time
from app.identity.models import WeChatUser

__all__ = [
    "ActivityView",
    "SignupView",
    "activity_view",
    "events_of",
    "my_signups",
    "organiser_label",
    "signup_message",
    "signup_of",
    "signup_view",
    "signups_of",
    "staff_list",
    "monday_of",
    "ticket_for_owner",
    "when_text",
    "upcoming",
    "week_of",
]


def organiser_label(activity: Activity) -> str:
    """The free-text organiser, else the organisation's name (select_related("organiser"))."""
    if activity.organiser_name:
        return activity.organiser_name
    organiser = getattr(activity, "organiser", None)
    return getattr(organiser, "name", "") or ""


def when_text(activity: Activity) -> str:
    """`5月20日（周一）14:00-16:30`, or both dates when it spans days."""
    start, end = activity.starts_at.astimezone(SHANGHAI), activity.ends_at.astimezone(SHANGHAI)
    weekday = "一二三四五六日"[start.weekday()]
    head = f"{start.month}月{start.day}日（周{weekday}）{start:%H:%M}"
    if end.date() == start.date():
        return f"{head}-{end:%H:%M}"
    return f"{head} 至 {end.month}月{end.day}日 {end:%H:%M}"


@dataclass(frozen=True)
class ActivityView:
    activity: Activity
    kind_label: str
    status_label: str
    organiser: str
    when: str
    places_left: int
    waitlist: int
    signup_open: bool
    closed_reason: str
    """Why sign-up is closed (Chinese), '' while open."""

    @property
    def full(self) -> bool:
        return self.places_left <= 0


def activity_view(activity: Activity, *, now: datetime) -> ActivityView:
    reason = signup_closed_reason(activity, now=now) or ""
    return ActivityView(
        activity=activity,
        kind_label=ActivityKind(activity.kind).label,
        status_label=ActivityStatus(activity.status).label,
        organiser=organiser_label(activity),
        when=when_text(activity),
        places_left=max(0, activity.capacity - activity.confirmed_count),
        waitlist=activity.waitlist_count,
        signup_open=not reason,
        closed_reason=reason,
    )


async def upcoming(*, now: datetime, limit: int = 20, offset: int = 0, kind: ActivityKind | None = None) -> tuple[list[Activity], int]:
    """Published activities that have not started yet, soonest first, and how many there are."""
    query = Activity.filter(status=ActivityStatus.published, starts_at__gt=db_time(now))
    if kind is not None:
        query = query.filter(kind=kind)
    total = await query.count()
    items = await query.order_by("starts_at", "id").offset(offset).limit(limit).select_related("organiser")
    return list(items), total


@dataclass(frozen=True)
class SignupView:
    signup: ActivitySignup
    activity: Activity
    status_label: str
    ticket_visible: bool
    """A ticket (QR code) exists only for a confirmed or checked-in sign-up."""
    enterprise_name: str | None = None


_WITH = ("activity", "activity__organiser", "enterprise")


def _signup_view(signup: ActivitySignup) -> SignupView:
    status = SignupStatus(signup.status)
    enterprise = signup.enterprise if signup.enterprise_id is not None else None
    return SignupView(
        signup=signup, activity=signup.activity, status_label=status.label,
        ticket_visible=status in (SignupStatus.confirmed, SignupStatus.checked_in),
        enterprise_name=getattr(enterprise, "name", None),
    )


async def signup_view(*, signup_id: int, user: WeChatUser | None = None) -> SignupView | None:
    """One sign-up with its activity and enterprise; with `user`, only if it is theirs."""
    query = ActivitySignup.filter(id=signup_id)
    if user is not None:
        query = query.filter(user_id=user.id)
    signup = await query.select_related(*_WITH).first()
    return _signup_view(signup) if signup is not None else None


async def my_signups(*, user: WeChatUser, include_cancelled: bool = False, limit: int = 50) -> list[SignupView]:
    """The person's sign-ups, the next activity first, then past ones."""
    query = ActivitySignup.filter(user_id=user.id)
    if not include_cancelled:
        query = query.exclude(status=SignupStatus.cancelled)
    rows = await query.select_related(*_WITH).order_by("-activity__starts_at").limit(limit)
    return [_signup_view(row) for row in rows]


async def signup_of(*, activity_id: int, user: WeChatUser) -> SignupView | None:
    """The person's current sign-up for the activity (None when none or cancelled)."""
    signup = await ActivitySignup.filter(activity_id=activity_id, user_id=user.id).exclude(
        status=SignupStatus.cancelled).select_related(*_WITH).first()
    return _signup_view(signup) if signup is not None else None


async def ticket_for_owner(*, code: str, user: WeChatUser) -> SignupView | None:
    """The sign-up of ticket `code` if it is `user`'s (anyone else gets nothing)."""
    signup = await ActivitySignup.filter(ticket_code=code, user_id=user.id).select_related(*_WITH).first()
    return _signup_view(signup) if signup is not None else None


async def signups_of(*, activity_id: int, status: SignupStatus | None = None) -> list[ActivitySignup]:
    """Staff: the activity's sign-ups (waiting list in queue order, the others by time)."""
    query = ActivitySignup.filter(activity_id=activity_id)
    if status is not None:
        query = query.filter(status=status)
    rows = await query.select_related("enterprise", "user").order_by("waitlist_position", "signed_up_at", "id")
    if status is None:
        order = {SignupStatus.checked_in: 0, SignupStatus.confirmed: 1, SignupStatus.waitlisted: 2, SignupStatus.cancelled: 3}
        rows = sorted(rows, key=lambda s: (order[SignupStatus(s.status)], s.waitlist_position or 0, s.id))
    return list(rows)


async def events_of(*, activity_id: int, limit: int = 100) -> list[ActivityEvent]:
    return list(await ActivityEvent.filter(activity_id=activity_id).select_related("staff").order_by("-id").limit(limit))


async def staff_list(*, status: ActivityStatus | None = None, search: str = "", page: int = 1,
                     per_page: int = 30) -> tuple[list[Activity], int]:
    """Staff: every activity, the latest first (drafts included)."""
    query = Activity.all()
    if status is not None:
        query = query.filter(status=status)
    if search.strip():
        query = query.filter(title__icontains=search.strip())
    total = await query.count()
    rows = await query.order_by("-starts_at", "-id").offset((page - 1) * per_page).limit(per_page).select_related("organiser")
    return list(rows), total


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def week_of(*, monday: date) -> list[tuple[date, list[Activity]]]:
    """The 排片表: the seven days from `monday`, each with its activities (cancelled ones too,
    marked by their status), in start order."""
    start = datetime(monday.year, monday.month, monday.day, tzinfo=SHANGHAI)
    end = start + timedelta(days=7)
    rows = await Activity.filter(starts_at__gte=db_time(start), starts_at__lt=db_time(end)).order_by(
        "starts_at", "id").select_related("organiser")
    days: list[tuple[date, list[Activity]]] = [(monday + timedelta(days=i), []) for i in range(7)]
    for activity in rows:
        index = (activity.starts_at.astimezone(SHANGHAI).date() - monday).days
        if 0 <= index < 7:
            days[index][1].append(activity)
    return days


def signup_message(signup: ActivitySignup, *, created: bool = True) -> str:
    """What the person is told about their sign-up, in one sentence."""
    status = SignupStatus(signup.status)
    if status is SignupStatus.confirmed:
        return "报名成功！请凭电子票二维码入场。" if created else "您已报名该活动，请凭电子票二维码入场。"
    if status is SignupStatus.waitlisted:
        head = "名额已满，已为您登记候补" if created else "您已在候补名单中"
        return f"{head}（第{signup.waitlist_position}位）。有人取消时按顺序递补，递补成功会通知您。"
    if status is SignupStatus.checked_in:
        return "您已签到。"
    return "该报名已取消。"
