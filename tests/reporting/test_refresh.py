"""Refreshes that run at once (the cron on two workers, the command line) queue behind each
other and leave the same rows a single rebuild leaves."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.reporting.models import SummaryState
from app.reporting.refresh import refresh_summaries
from tests.reporting.test_appeal_summary import NOW, load, summary_rows

pytestmark = pytest.mark.usefixtures("db")


async def test_concurrent_refreshes_leave_what_one_rebuild_leaves(settings):
    await load(count=150, seed=11)
    later = NOW + timedelta(minutes=5)
    results = await asyncio.gather(
        refresh_summaries(settings=settings, full=True, now=NOW),
        refresh_summaries(settings=settings, full=True, now=NOW),
        refresh_summaries(settings=settings, now=later),
    )
    assert results[0].appeal_rows == results[1].appeal_rows > 0 and not results[2].full
    together = await summary_rows()

    await refresh_summaries(settings=settings, full=True, now=later)
    assert await summary_rows() == together
    state = await SummaryState.get(name="appeal")
    assert state.refreshed_at is not None and state.rebuilt_at is not None
