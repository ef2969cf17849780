"""The policy knowledge base's background jobs (registered in `app.jobs.worker`)."""

from __future__ import annotations

import logging
from typing import Any

from app.policy.service import expire_due_policies, shanghai_today

logger = logging.getLogger("qiyun.jobs")


async def expire_policies(ctx: dict[str, Any]) -> int:
    """Hourly: mark published policies past their expiry date as expired (dates are Shanghai dates).

    Hourly rather than daily at midnight, so the worker's own time zone does not matter and a
    missed run is made up within the hour; a run with nothing due costs one indexed query."""
    expired = await expire_due_policies(today=shanghai_today())
    if expired:
        logger.info("policies expired", extra={"expired": expired})
    return expired
