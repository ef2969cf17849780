"""arq jobs of engagements (listed in `app.provider.jobs`, which the worker includes).

* `engagement_auto_complete` — cron, every 10 minutes, once per tick across workers (arq's
  unique cron job id): delivered engagements whose enterprise did not confirm within
  ENGAGEMENT_CONFIRM_DAYS are completed by the system
  (`app.engagement.service.auto_complete_overdue`), and the enterprise is asked to rate.
  Each completion is a conditional update, so two workers (or the enterprise confirming at
  the same moment) complete an engagement once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from arq import cron

from app.engagement.service import auto_complete_overdue

__all__ = ["CRON_JOBS", "FUNCTIONS", "engagement_auto_complete"]

logger = logging.getLogger("qiyun.engagement")


async def engagement_auto_complete(ctx: dict[str, Any], *, now: datetime | None = None) -> dict[str, int]:
    from app.outbox.jobs import enqueue_delivery

    completed = await auto_complete_overdue(now=now)
    if completed:
        logger.info("engagements completed automatically", extra={"completed": completed})
        try:
            await enqueue_delivery(ctx["resources"].redis)
        except Exception:  # the outbox sweep delivers anyway
            logger.warning("could not wake the outbox worker", exc_info=True)
    return {"completed": completed}


FUNCTIONS: list[Any] = [engagement_auto_complete]
CRON_JOBS: list[Any] = [
    cron(engagement_auto_complete, minute=set(range(5, 60, 10)), second={10}, unique=True, run_at_startup=False)
]
