"""Telling staff a report is ready: the outbox handlers of the reporting topics.

Topics (queued by `app.reporting.reports.build_report` in the transaction that makes a
report ready, delivered by `app.outbox.delivery`):

* `report.ready` — fans out one `report.notify_staff` row per recipient: the staff member
  who asked for the report; for a scheduled report (nobody asked), every active staff
  member with `report.view` whose scope covers the report (`reports.may_view`) — in both
  cases only those who linked their own WeChat (`Staff.follower`).
* `report.notify_staff` — the template message `report_ready` to one staff member's
  follower, opening the report's admin page.

Idempotent per row, as the outbox requires: the fan-out puts its children with stable
dedupe keys, and a template message sent again after a crash carries the same
`client_msg_id` (`outbox-<row id>`), which WeChat de-duplicates. Messages go through
`app.notification.service.send_rendered` with context `report:<id>` (the message log).
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

import templates_msg
import templates_msg.report_ready  # noqa: F401  (registers the definition)
from app.identity.models import Follower
from app.notification.outcomes import outcome_result
from app.notification.service import send_rendered
from app.outbox.delivery import outbox_handler
from app.outbox.models import OutboxMessage
from app.outbox.service import put as outbox_put
from app.reporting.models import Report, ReportStatus
from app.reporting.periods import quarter_label
from app.reporting.reports import may_view
from app.staff.models import Staff
from templates_msg import TemplateError

__all__ = ["TEMPLATE", "notify_ready", "notify_staff", "recipients"]

TEMPLATE = "report_ready"


async def recipients(report: Report) -> list[Staff]:
    """Who is told about a ready report (see the module docstring)."""
    if report.requested_by_id is not None:
        staff = await Staff.get_or_none(id=report.requested_by_id, is_active=True, follower_id__isnull=False)
        return [staff] if staff is not None else []
    chosen = []
    for staff in await Staff.filter(is_active=True, follower_id__isnull=False).order_by("id"):
        if await may_view(staff, report):
            chosen.append(staff)
    return chosen


@outbox_handler("report.ready")
async def notify_ready(message: OutboxMessage, resources: Any) -> str:
    report = await Report.get_or_none(id=(message.payload or {}).get("report_id"))
    if report is None or report.status is not ReportStatus.ready:
        return "skipped:report_gone"
    staff = await recipients(report)
    if not staff:
        return "skipped:no_recipients"
    for member in staff:
        try:
            await outbox_put(topic="report.notify_staff", dedupe_key=f"outbox:{message.id}:staff:{member.id}",
                             payload={"report_id": report.id, "staff_id": member.id})
        except IntegrityError:
            continue  # put by an earlier run of this row at the same moment
    return f"sent:fanout:{len(staff)}"


@outbox_handler("report.notify_staff")
async def notify_staff(message: OutboxMessage, resources: Any) -> str:
    payload = message.payload or {}
    report = await Report.get_or_none(id=payload.get("report_id"))
    if report is None or report.status is not ReportStatus.ready:
        return "skipped:report_gone"
    staff = await Staff.get_or_none(id=payload.get("staff_id"), is_active=True)
    if staff is None or staff.follower_id is None:
        return "skipped:no_follower"
    follower = await Follower.get_or_none(id=staff.follower_id, subscribed=True)
    if follower is None:
        return "skipped:not_subscribed"
    definition = templates_msg.get(TEMPLATE)
    settings = resources.settings
    if not definition.is_configured(settings):
        return f"skipped:not_configured:{TEMPLATE}"
    try:
        rendered = definition.render(
            {"report_id": report.id, "title": "上海市企业服务动态", "scope_label": report.scope_label,
             "period_label": quarter_label(report.period_start, report.period_end),
             "finished_at": report.finished_at or report.created_at},
            settings=settings,
        )
    except TemplateError as exc:
        return f"failed:template:{exc}"
    outcome = await send_rendered(
        wechat=resources.official_account, openid=follower.openid, message=rendered, follower=follower,
        context=f"report:{report.id}", client_msg_id=f"outbox-{message.id}",
    )
    return outcome_result(outcome, f"template:{TEMPLATE}")
