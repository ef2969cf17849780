"""Telling people about their activity sign-ups: the outbox handler of `activity.notify`.

Rows are queued by `app.activity.service` (signed up, waiting, moved up, cancelled by staff,
activity cancelled) and by the reminder cron (`app.activity.jobs`), inside the transaction
of the change, and delivered here after commit:

* `reminder` — the day before: the mini-program subscribe message `activity_reminder` if one
  of the person's mini-program accounts holds a grant for it (given at the sign-up tap),
  otherwise the official-account template message `activity_notice`;
* every other notice — the official-account template message `activity_notice`, if the
  person follows the account (a mini-program user sees the result on the page already).

Idempotent per row, as the outbox requires: a row run again after a crash resends its
template message with the same `client_msg_id` (`outbox-<row id>`, de-duplicated by WeChat).
Every message goes through `app.notification.service.send_rendered` with context
`activity:<id>`, so it is in the message log next to the activity.
"""

from __future__ import annotations

import logging
from typing import Any

import templates_msg
from app.activity.models import Activity, ActivitySignup, ActivityStatus, SignupStatus
from app.notification.outcomes import outcome_result, raise_if_transient
from app.identity.models import Follower, MiniProgramUser
from app.notification.models import GrantChannel
from app.notification.service import available_grants, send_rendered
from app.outbox.delivery import outbox_handler
from app.outbox.models import OutboxMessage
from templates_msg import TemplateError
from templates_msg.activity_reminder import values_for as reminder_values

__all__ = ["NOTES", "notify"]

logger = logging.getLogger("qiyun.activity.notices")

NOTES: dict[str, str] = {
    "confirmed": "凭电子票二维码入场，点击查看电子票",
    "waitlisted": "名额已满，已登记候补，递补成功会通知您",
    "promoted": "有人取消报名，您已由候补转为报名成功",
    "cancelled_by_staff": "工作人员已为您取消报名",
    "activity_cancelled": "活动已取消",
    "reminder": "活动明天开始，请准时到场",
}

_STILL_TRUE = {
    "confirmed": {SignupStatus.confirmed},
    "waitlisted": {SignupStatus.waitlisted},
    "promoted": {SignupStatus.confirmed},
    "reminder": {SignupStatus.confirmed},
    "cancelled_by_staff": {SignupStatus.cancelled},
    "activity_cancelled": {SignupStatus.confirmed, SignupStatus.waitlisted, SignupStatus.cancelled, SignupStatus.checked_in},
}
"""A notice that no longer holds (moved up since, cancelled since …) is skipped as moot."""


def _note(notice: str, activity: Activity, signup: ActivitySignup, payload: dict[str, Any]) -> str:
    if notice == "waitlisted" and signup.waitlist_position:
        return f"名额已满，您在候补第{signup.waitlist_position}位，递补成功会通知您"
    if notice == "activity_cancelled":
        return f"活动已取消：{activity.cancel_reason}" if activity.cancel_reason else NOTES[notice]
    if notice == "cancelled_by_staff" and payload.get("reason"):
        return f"工作人员已取消您的报名：{payload['reason']}"
    return NOTES.get(notice, "")


async def _send_reminder_subscribe(activity: Activity, signup: ActivitySignup, resources: Any) -> str | None:
    definition = templates_msg.get("activity_reminder")
    settings = resources.settings
    if not definition.is_configured(settings) or not settings.miniprogram_appid:
        return None
    template_id = definition.template_id(settings)
    for account in await MiniProgramUser.filter(user_id=signup.user_id).order_by("-id"):
        balance = await available_grants(channel=GrantChannel.miniprogram, openid=account.openid, template_id=template_id)
        if not balance.can_send:
            continue
        message = definition.render(reminder_values(activity, note="请准时到场，凭电子票入场"), settings=settings)
        outcome = await send_rendered(wechat=resources.miniprogram, openid=account.openid, message=message,
                                      follower=None, context=f"activity:{activity.id}")
        if outcome.ok:
            return "sent:subscribe:activity_reminder"
        if outcome.refused_locally:
            continue
        raise_if_transient(outcome)
    return None


async def _send_template(activity: Activity, signup: ActivitySignup, notice: str, note: str,
                         message: OutboxMessage, resources: Any) -> str | None:
    follower = await Follower.filter(user_id=signup.user_id, subscribed=True).order_by("-id").first()
    if follower is None:
        return None
    definition = templates_msg.get("activity_notice")
    if not definition.is_configured(resources.settings):
        return "skipped:not_configured:activity_notice"
    rendered = definition.render(
        {"ticket_code": signup.ticket_code, "title": activity.title, "starts_at": activity.starts_at,
         "place": activity.place, "notice": notice, "note": note},
        settings=resources.settings,
    )
    outcome = await send_rendered(wechat=resources.official_account, openid=follower.openid, message=rendered,
                                  follower=follower, context=f"activity:{activity.id}",
                                  client_msg_id=f"outbox-{message.id}")
    return outcome_result(outcome, "template:activity_notice")


@outbox_handler("activity.notify")
async def notify(message: OutboxMessage, resources: Any) -> str:
    payload = message.payload or {}
    signup = await ActivitySignup.get_or_none(id=payload.get("signup_id"))
    if signup is None:
        return "skipped:signup_gone"
    activity = await Activity.get(id=signup.activity_id)
    notice = str(payload.get("notice") or "")
    if notice not in NOTES:
        return f"failed:unknown_notice:{notice}"
    if SignupStatus(signup.status) not in _STILL_TRUE[notice]:
        return "skipped:moot"
    if notice == "reminder" and ActivityStatus(activity.status) is not ActivityStatus.published:
        return "skipped:moot"
    try:
        sent = None
        if notice == "reminder":
            sent = await _send_reminder_subscribe(activity, signup, resources)
        if sent is None:
            sent = await _send_template(activity, signup, notice, _note(notice, activity, signup, payload), message,
                                        resources)
    except TemplateError as exc:
        return f"failed:template:{exc}"
    return sent or "skipped:no_channel"
