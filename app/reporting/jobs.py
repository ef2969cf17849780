"""The reporting jobs the arq worker runs (app.jobs.worker registers FUNCTIONS and CRON_JOBS).

* `refresh_summaries_job` (every 5 minutes, and at start): the summary tables.
* `warm_common_issues` (every 15 minutes): the city's common issues for the current month and
  quarter, so the report pages open at once (`app.appeal.common_issues.cached_common_issues`).
* the quarterly report schedule and on-demand generation (`app.reporting.reports`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from arq import cron

from app.appeal.common_issues import cached_common_issues
from app.appeal.measures import PeriodKind, period_for
from app.reporting import refresh, reports
from app.reporting.periods import today
from app.reporting.scope import CITY

logger = logging.getLogger("qiyun.reporting.jobs")

WARM_PERIODS = (PeriodKind.this_month, PeriodKind.this_quarter)


async def warm_common_issues(ctx: dict[str, Any]) -> dict[str, float]:
    """Recompute the city's common issues for the periods the pages open with."""
    redis = ctx["resources"].redis
    seconds: dict[str, float] = {}
    for kind in WARM_PERIODS:
        start, end = period_for(kind, today=today())
        started = time.perf_counter()
        await cached_common_issues(redis=redis, scope=CITY, period_start=start, period_end=end, refresh=True)
        seconds[kind.value] = round(time.perf_counter() - started, 3)
    logger.info("common issues warmed", extra={"seconds": seconds})
    return seconds


FUNCTIONS: list[Any] = [refresh.refresh_summaries_job, warm_common_issues, *reports.FUNCTIONS]
CRON_JOBS: list[Any] = [
    cron(refresh.refresh_summaries_job, minute=set(range(0, 60, 5)), unique=True, run_at_startup=True),
    cron(warm_common_issues, minute={2, 17, 32, 47}, unique=True, run_at_startup=False, timeout=600),
    *reports.CRON_JOBS,
]
