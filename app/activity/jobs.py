"""Background and cron jobs of this domain, registered with the arq worker (`app.jobs.worker`)."""

from __future__ import annotations

from typing import Any

FUNCTIONS: list[Any] = []
CRON_JOBS: list[Any] = []
