"""Checking people in at the door, once.

Two ways in, one rule:

* staff scan the ticket's QR code (its code) into the admin check-in page of the activity
  (`check_in_ticket`);
* a follower scans the activity's WeChat QR code (scene `activity:<id>`) and WeChat tells
  us who they are (`check_in_follower`).

Only a confirmed sign-up of *this* activity checks in, and only once: the step is a
conditional update (`status = confirmed` → `checked_in`), so two scanners reading the same
ticket at the same moment make one check-in and the other is told 已签到 at the time of the
first. Waiting-list, cancelled and other activities' tickets are refused with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from tortoise.transactions import in_transaction

from app.activity import tickets
from app.activity.models import Activity, ActivityEvent, ActivitySignup, ActivityStatus, SignupStatus
from app.activity.service import SHANGHAI, get_activity, now_local
from app.identity.models import WeChatUser
from app.staff.models import Staff

__all__ = ["CheckIn", "Outcome", "check_in_follower", "check_in_ticket"]


class Outcome(str, Enum):
    checked_in = "checked_in"
    already = "already"
    refused = "refused"


@dataclass(frozen=True)
class CheckIn:
    """What the scanner (or the follower) is told."""

    outcome: Outcome
    message: str
    signup: ActivitySignup | None = None
    at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.checked_in


def _hhmm(moment: datetime | None) -> str:
    return f"{moment.astimezone(SHANGHAI):%H:%M}" if moment else ""


def _who(signup: ActivitySignup) -> str:
    return signup.contact_name or "报名人"


async def check_in_ticket(*, activity_id: int, scanned: str, staff: Staff, now: datetime | None = None) -> CheckIn:
    """A ticket scanned at the door of `activity_id` by `staff`."""
    activity = await get_activity(activity_id=activity_id, include_drafts=True)
    code = tickets.normalise_code(scanned)
    if code is None:
        return CheckIn(Outcome.refused, "无法识别的票码，请重新扫描")
    signup = await ActivitySignup.get_or_none(ticket_code=code).select_related("activity")
    if signup is None:
        return CheckIn(Outcome.refused, f"票码 {code} 不存在（可能已重新报名换票）")
    if signup.activity_id != activity.id:
        return CheckIn(Outcome.refused, f"这张票属于其他活动：{signup.activity.title}", signup)
    return await _check_in(activity, signup, method="ticket", staff=staff, now=now)


async def check_in_follower(*, activity_id: int, user: WeChatUser, now: datetime | None = None) -> CheckIn:
    """A follower scanned the activity's WeChat QR code at the door."""
    activity = await Activity.get_or_none(id=activity_id)
    if activity is None or ActivityStatus(activity.status) is ActivityStatus.draft:
        return CheckIn(Outcome.refused, "未找到该活动，请向现场工作人员确认")
    signup = await ActivitySignup.get_or_none(activity_id=activity.id, user_id=user.id)
    if signup is None:
        return CheckIn(Outcome.refused, f"您没有报名「{activity.title}」，请向现场工作人员咨询")
    return await _check_in(activity, signup, method="wechat", staff=None, now=now)


async def _check_in(
    activity: Activity, signup: ActivitySignup, *, method: str, staff: Staff | None, now: datetime | None
) -> CheckIn:
    status = ActivityStatus(activity.status)
    if status is ActivityStatus.cancelled:
        return CheckIn(Outcome.refused, "该活动已取消", signup)
    if status is not ActivityStatus.published:
        return CheckIn(Outcome.refused, f"该活动{status.label}，不能签到", signup)
    refused = {
        SignupStatus.waitlisted: f"{_who(signup)}在候补名单（第{signup.waitlist_position}位），尚未获得参会名额",
        SignupStatus.cancelled: f"{_who(signup)}的报名已取消，这张票无效",
    }.get(SignupStatus(signup.status))
    if refused:
        return CheckIn(Outcome.refused, refused, signup)
    now = now or now_local()
    async with in_transaction() as connection:
        updated = await ActivitySignup.filter(id=signup.id, status=SignupStatus.confirmed).using_db(connection).update(
            status=SignupStatus.checked_in, checked_in_at=now, checkin_method=method,
            checked_in_by_id=staff.id if staff is not None else None,
        )
        if updated:
            await ActivityEvent.create(activity_id=activity.id, signup_id=signup.id, action="check_in",
                                       staff_id=staff.id if staff is not None else None,
                                       payload={"method": method}, using_db=connection)
    signup = await ActivitySignup.get(id=signup.id)
    if updated:
        return CheckIn(Outcome.checked_in, f"{_who(signup)} 签到成功（{_hhmm(now)}）", signup, now)
    if SignupStatus(signup.status) is SignupStatus.checked_in:
        return CheckIn(Outcome.already, f"{_who(signup)} 已签到（{_hhmm(signup.checked_in_at)} 签到），请勿重复扫码",
                       signup, signup.checked_in_at)
    return CheckIn(Outcome.refused, f"{_who(signup)}的报名状态为「{SignupStatus(signup.status).label}」，不能签到", signup)
