"""arq jobs of surveys (registered in `app.jobs.worker`; issue 7, in progress)."""

from __future__ import annotations

from typing import Any

FUNCTIONS: list[Any] = []
CRON_JOBS: list[Any] = []
