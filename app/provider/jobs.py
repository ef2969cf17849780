"""arq jobs of providers (registered in `app.jobs.worker`).

* `provider_rescore` — cron, nightly at 03:20, once per tick across workers (arq's unique
  cron job id): scores decay with time (recency weighting), so every provider's reputation
  is recomputed and the dynamic-management rules applied (`app.provider.management`).
  Each provider's refresh is idempotent and its status steps conditional, so a second
  worker running the same pass (or a `provider.refresh` row at the same moment) changes
  nothing twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from arq import cron

from app.provider.management import refresh_provider
from app.provider.models import Provider
from app.provider.reputation import category_means
from app.provider.steps import now

__all__ = ["CRON_JOBS", "FUNCTIONS", "provider_rescore", "rescore_all"]

logger = logging.getLogger("qiyun.provider")


async def rescore_all(*, settings: Any) -> dict[str, int]:
    """Refresh every provider once (category means computed once for the pass)."""
    at = now()
    means = await category_means(settings=settings)
    outcomes: Counter[str] = Counter()
    for provider_id in await Provider.all().order_by("id").values_list("id", flat=True):
        outcomes[await refresh_provider(provider_id=provider_id, settings=settings, at=at, means=means)] += 1
    return dict(outcomes)


async def provider_rescore(ctx: dict[str, Any]) -> dict[str, int]:
    from app.outbox.jobs import enqueue_delivery

    resources = ctx["resources"]
    summary = await rescore_all(settings=resources.settings)
    if set(summary) - {"updated", "gone"}:
        try:
            await enqueue_delivery(resources.redis)  # notices of warnings and suspensions
        except Exception:  # the outbox sweep delivers anyway
            logger.warning("could not wake the outbox worker", exc_info=True)
    logger.info("provider rescore", extra=summary)
    return summary


FUNCTIONS: list[Any] = [provider_rescore]
CRON_JOBS: list[Any] = [cron(provider_rescore, hour={3}, minute={20}, second={0}, unique=True, run_at_startup=False)]

from app.engagement import jobs as _engagement_jobs  # noqa: E402  (engagement helper: auto-completion cron)

FUNCTIONS += _engagement_jobs.FUNCTIONS
CRON_JOBS += _engagement_jobs.CRON_JOBS
