"""arq jobs of appeals (registered in `app.jobs.worker`).

* `appeal_deadlines` — cron, every minute, once per tick across workers (arq's unique cron
  job id): reminders and supervision notices that fell due (`app.appeal.deadlines`; each is
  inserted exactly once even if two workers ran it at the same moment), then replied
  appeals past their confirmation deadline are closed as 未评价
  (`service.close_overdue_confirmations`). It wakes the outbox worker when it queued
  anything; the outbox sweep would deliver it within 15 s anyway.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from arq import cron

from app.appeal import service
from app.appeal.deadlines import run_supervision

__all__ = ["CRON_JOBS", "FUNCTIONS", "appeal_deadlines"]

logger = logging.getLogger("qiyun.appeal")


async def appeal_deadlines(ctx: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """Every minute: due reminders and 督办, then overdue confirmations closed."""
    from app.outbox.jobs import enqueue_delivery

    resources = ctx["resources"]
    now = now or datetime.now(UTC)
    stats = await run_supervision(settings=resources.settings, now=now)
    closed = await service.close_overdue_confirmations(now=now)
    if stats.queued:
        try:
            await enqueue_delivery(resources.redis)
        except Exception:  # the outbox sweep delivers anyway
            logger.warning("could not wake the outbox worker", exc_info=True)
    summary = {**stats.as_dict(), "closed_unrated": closed}
    if stats.queued or closed:
        logger.info("appeal deadlines", extra={k: v for k, v in summary.items() if k != "by_level"})
    return summary


FUNCTIONS = [appeal_deadlines]
CRON_JOBS = [cron(appeal_deadlines, second={40}, unique=True, run_at_startup=False)]
