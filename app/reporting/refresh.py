"""Bringing the summary tables up to date: incrementally every few minutes, or rebuilt whole.

OWNER: summary helper. Contract:

    result = await refresh_summaries(settings=settings, full=False, now=None)   # -> RefreshResult
    await refresh_summaries_job(ctx)      # the arq cron job (every 5 minutes); settings: ctx["resources"].settings
"""

from __future__ import annotations

from typing import Any

__all__ = ["refresh_summaries", "refresh_summaries_job"]


async def refresh_summaries(*, settings: Any, full: bool = False, now: Any = None) -> Any:
    raise NotImplementedError


async def refresh_summaries_job(ctx: dict[str, Any]) -> Any:
    return await refresh_summaries(settings=ctx["resources"].settings)
