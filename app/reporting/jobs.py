"""The reporting jobs the arq worker runs (app.jobs.worker registers FUNCTIONS and CRON_JOBS)."""

from __future__ import annotations

from typing import Any

from arq import cron

from app.reporting import refresh, reports

FUNCTIONS: list[Any] = [refresh.refresh_summaries_job, *getattr(reports, "FUNCTIONS", [])]
CRON_JOBS: list[Any] = [
    cron(refresh.refresh_summaries_job, minute=set(range(0, 60, 5)), unique=True, run_at_startup=True),
    *getattr(reports, "CRON_JOBS", []),
]
