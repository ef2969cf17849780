"""Writing to the outbox (inside the caller's transaction) and delivering from it (the worker).

`put` is called by domain services inside the transaction of the change that causes the
side effect; delivery lives in `app.outbox.delivery`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.outbox.models import OutboxMessage, OutboxStatus

__all__ = ["put"]


async def put(
    *,
    topic: str,
    dedupe_key: str,
    payload: dict[str, Any],
    connection: BaseDBAsyncClient | None = None,
    available_at: datetime | None = None,
) -> OutboxMessage | None:
    """Queue one side effect; None if `dedupe_key` was queued before (nothing is added).

    Call it inside the transaction of the change (`connection`), so the notice exists
    exactly when the change does."""
    existing = await OutboxMessage.filter(dedupe_key=dedupe_key).using_db(connection).exists()
    if existing:
        return None
    return await OutboxMessage.create(
        topic=topic,
        dedupe_key=dedupe_key,
        payload=payload,
        status=OutboxStatus.pending,
        available_at=available_at or datetime.now(timezone.utc),
        using_db=connection,
    )
