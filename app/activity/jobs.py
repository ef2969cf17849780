"""arq jobs of activities (registered in `app.jobs.worker`).

* `activity_reminders` — cron, every ten minutes, once per tick across workers (arq's unique
  cron job id): each confirmed sign-up of an activity starting within
  `ACTIVITY_REMINDER_HOURS` is claimed once (a conditional update of
  `reminder_queued_at`, so two workers running at the same moment queue one reminder) and
  its `activity.notify` reminder goes into the outbox in the same transaction. Activities
  whose end has passed are marked finished.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from arq import cron
from tortoise.transactions import in_transaction

from app.activity import service
from app.activity.models import Activity, ActivitySignup, ActivityStatus, SignupStatus
from app.db import db_time
from app.outbox.service import put as outbox_put

__all__ = ["CRON_JOBS", "FUNCTIONS", "activity_reminders", "finish_past", "queue_reminders"]

logger = logging.getLogger("qiyun.activity")


async def queue_reminders(*, hours: int, now: datetime | None = None) -> int:
    """Claim and queue the day-before reminders that are due; returns how many were queued."""
    now = now or service.now_local()
    soon = await Activity.filter(
        status=ActivityStatus.published, starts_at__gt=db_time(now), starts_at__lte=db_time(now + timedelta(hours=hours))
    ).values_list("id", flat=True)
    queued = 0
    for activity_id in soon:
        due = await ActivitySignup.filter(activity_id=activity_id, status=SignupStatus.confirmed,
                                          reminder_queued_at__isnull=True).values_list("id", flat=True)
        for signup_id in due:
            async with in_transaction() as connection:
                claimed = await ActivitySignup.filter(id=signup_id, status=SignupStatus.confirmed,
                                                      reminder_queued_at__isnull=True).using_db(connection).update(
                    reminder_queued_at=now)
                if not claimed:
                    continue  # another worker took it
                await outbox_put(topic="activity.notify", dedupe_key=f"activity:signup:{signup_id}:reminder",
                                 payload={"signup_id": signup_id, "notice": "reminder"}, connection=connection)
                queued += 1
    return queued


async def finish_past(*, now: datetime | None = None) -> int:
    """Published activities that have ended become finished (the schedule shows them as such)."""
    now = now or service.now_local()
    ended = await Activity.filter(status=ActivityStatus.published, ends_at__lt=db_time(now)).values_list("id", flat=True)
    finished = 0
    for activity_id in ended:
        try:
            await service.transition(staff=None, activity_id=activity_id, action="finish", now=now)
            finished += 1
        except Exception:  # changed meanwhile (cancelled by staff): nothing to do
            logger.info("activity %s not finished automatically", activity_id, exc_info=True)
    return finished


async def activity_reminders(ctx: dict[str, Any], *, now: datetime | None = None) -> dict[str, int]:
    """Every ten minutes: due reminders queued once each, ended activities finished."""
    from app.outbox.jobs import enqueue_delivery

    resources = ctx["resources"]
    queued = await queue_reminders(hours=resources.settings.activity_reminder_hours, now=now)
    finished = await finish_past(now=now)
    if queued:
        try:
            await enqueue_delivery(resources.redis)
        except Exception:  # the outbox sweep delivers anyway
            logger.warning("could not wake the outbox worker", exc_info=True)
        logger.info("activity reminders queued", extra={"queued": queued})
    return {"queued": queued, "finished": finished}


FUNCTIONS = [activity_reminders]
CRON_JOBS = [cron(activity_reminders, minute=set(range(0, 60, 10)), second={20}, unique=True, run_at_startup=False)]
