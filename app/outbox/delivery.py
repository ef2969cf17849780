"""Delivering the outbox: claim due rows under a lease, run each topic's handler, write the
outcome; retry transient failures with backoff; give a dead worker's rows back.

A row moves `pending → sending → sent | skipped | failed`, or back to `pending` with a later
`available_at` (a retry). Rules, and why:

* **Claiming** is atomic on both backends, so two workers never run the same row at once.
  PostgreSQL: one `UPDATE … FROM (SELECT … FOR UPDATE SKIP LOCKED)` (as `app.push.ledger`
  does): concurrent workers skip each other's rows instead of waiting. SQLite: one
  conditional `UPDATE … WHERE id = ? AND status = 'pending' AND attempts = ?` per candidate
  (SQLite has one writer at a time; whoever updates first has the row, the other updates
  nothing).
* **A claim is a lease** (`lease_until`) and increments `attempts`; the attempt number is the
  claim's fencing token: an outcome is written only `WHERE status = 'sending' AND attempts =
  <mine>`, so a worker that overran its lease cannot overwrite the outcome of the worker that
  took the row over. A handler runs at most `HANDLER_TIMEOUT` (well inside the lease).
* **Expired leases** (a killed worker) go back to `pending` (`reclaim_expired`, run by the
  sweep): the row runs again. Handlers are idempotent per row for that reason: template
  messages carry `client_msg_id = f"outbox-{id}"`, which WeChat de-duplicates, and a fan-out
  puts child rows with stable `dedupe_key`s.
* **Outcomes**: a handler returns a short result text; its prefix decides the status
  (`sent:…`, `skipped:…`, `failed:…`; anything else counts as sent). Raising `RetryLater`
  (or any exception: a bug or an outage looks the same from here) retries with backoff
  (`RETRY_DELAYS`) until `MAX_ATTEMPTS`, then the row fails with the last error, logged.
* **Unknown topics** (a handler module not imported, or a topic from a newer release during a
  rolling deploy) retry like failures rather than being dropped.

Times are passed in (`now=`), so the rules are tested without sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections

from app.db import db_time
from app.outbox.models import OutboxMessage, OutboxStatus

__all__ = [
    "HANDLER_TIMEOUT",
    "LEASE",
    "MAX_ATTEMPTS",
    "RETRY_DELAYS",
    "DeliveryStats",
    "OutboxHandler",
    "RetryLater",
    "claim",
    "deliver_pending",
    "handler_for",
    "outbox_handler",
    "reclaim_expired",
    "registered_topics",
    "run_claimed",
    "unregister_handler",
]

logger = logging.getLogger("qiyun.outbox")

LEASE = timedelta(seconds=120)
"""How long a claim holds a row; a live worker finishes well inside it (HANDLER_TIMEOUT)."""
HANDLER_TIMEOUT = 90.0
"""Seconds one handler may run before the attempt counts as a transient failure."""
MAX_ATTEMPTS = 6
"""Claims per row, the first included, before it fails for good."""
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=2),
)
"""The wait before attempt n+1 (the last repeats)."""
RESULT_LIMIT = 300
CONCURRENCY = 8

OutboxHandler = Callable[[OutboxMessage, Any], Awaitable[str]]
"""(message, resources) -> result text such as `sent:template` or `skipped:no_channel`."""

_HANDLERS: dict[str, OutboxHandler] = {}


class RetryLater(Exception):
    """A transient failure (WeChat busy, the network, a quota): try the row again later.

    `delay` overrides the backoff (e.g. the quota resets at midnight)."""

    def __init__(self, reason: str, *, delay: timedelta | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


def outbox_handler(topic: str) -> Callable[[OutboxHandler], OutboxHandler]:
    """Register the handler of `topic` (one per topic; a second registration is a bug)."""

    def register(handler: OutboxHandler) -> OutboxHandler:
        existing = _HANDLERS.get(topic)
        if existing is not None and existing is not handler:
            raise ValueError(f"outbox topic {topic!r} already has a handler ({existing.__qualname__})")
        _HANDLERS[topic] = handler
        return handler

    return register


def unregister_handler(topic: str) -> None:
    """Remove a topic's handler (tests that register their own)."""
    _HANDLERS.pop(topic, None)


def handler_for(topic: str) -> OutboxHandler | None:
    _load_handler_modules()
    return _HANDLERS.get(topic)


def registered_topics() -> list[str]:
    _load_handler_modules()
    return sorted(_HANDLERS)


HANDLER_MODULES: tuple[str, ...] = (
    "app.appeal.notices",
    "app.appeal.hotline",
    "app.appeal.checks",
    "app.provider.management",
    "app.engagement.notices",
    "app.engagement.checks",
    "app.activity.notices",
    "app.survey.notices",
    "app.reporting.notices",
)
"""Modules whose `@outbox_handler`s register on import (add a domain's module here)."""


def _load_handler_modules() -> None:
    import importlib

    for name in HANDLER_MODULES:
        importlib.import_module(name)


def _now() -> datetime:
    return datetime.now(UTC)




def _is_postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


# -- claiming ---------------------------------------------------------------------------

_CLAIM_POSTGRES = """
WITH picked AS (
    SELECT id FROM outbox_message
    WHERE status = 'pending' AND available_at <= $1
    ORDER BY available_at, id LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox_message AS m
SET status = 'sending', lease_until = $3, attempts = m.attempts + 1
FROM picked WHERE m.id = picked.id
RETURNING m.id
"""


async def claim(*, now: datetime | None = None, limit: int = 50, lease: timedelta = LEASE) -> list[OutboxMessage]:
    """Atomically take up to `limit` due pending rows for `lease`; returns them as claimed
    (status `sending`, `attempts` already counting this attempt), oldest first."""
    now = db_time(now or _now())
    lease_until = now + lease
    if _is_postgres():
        rows = await connections.get("default").execute_query_dict(_CLAIM_POSTGRES, [now, limit, lease_until])
        ids = [int(row["id"]) for row in rows]
    else:
        candidates = await (
            OutboxMessage.filter(status=OutboxStatus.pending, available_at__lte=now)
            .order_by("available_at", "id")
            .limit(limit)
            .values_list("id", "attempts")
        )
        ids = []
        for row_id, attempts in candidates:
            taken = await OutboxMessage.filter(id=row_id, status=OutboxStatus.pending, attempts=attempts).update(
                status=OutboxStatus.sending, lease_until=lease_until, attempts=attempts + 1
            )
            if taken:
                ids.append(row_id)
    if not ids:
        return []
    claimed = await OutboxMessage.filter(id__in=ids)
    claimed.sort(key=lambda m: (m.available_at, m.id))
    return claimed


async def reclaim_expired(*, now: datetime | None = None) -> int:
    """Rows whose worker died (lease ran out while `sending`) go back to `pending`, due now.

    Their handler may have done part of its work; handlers are idempotent per row."""
    now = db_time(now or _now())
    count = await OutboxMessage.filter(status=OutboxStatus.sending, lease_until__lt=now).update(
        status=OutboxStatus.pending, lease_until=None, available_at=now
    )
    if count:
        logger.warning("outbox rows of a dead worker returned to the queue", extra={"count": count})
    return count


# -- running ----------------------------------------------------------------------------


@dataclass
class DeliveryStats:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    lost: int = 0
    """Outcomes not written because the row was no longer ours (lease overrun)."""
    reclaimed: int = 0

    def add(self, other: DeliveryStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _status_of(result: str) -> OutboxStatus:
    head = result.split(":", 1)[0]
    if head == "skipped":
        return OutboxStatus.skipped
    if head == "failed":
        return OutboxStatus.failed
    return OutboxStatus.sent


def _retry_delay(attempts: int) -> timedelta:
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


async def _finish(message: OutboxMessage, *, status: OutboxStatus, result: str, now: datetime) -> bool:
    """Write a final outcome if the row is still ours (same claim)."""
    updated = await OutboxMessage.filter(id=message.id, status=OutboxStatus.sending, attempts=message.attempts).update(
        status=status, result=result[:RESULT_LIMIT], lease_until=None, finished_at=db_time(now)
    )
    return bool(updated)


async def _retry(message: OutboxMessage, *, reason: str, delay: timedelta | None, now: datetime) -> bool:
    updated = await OutboxMessage.filter(id=message.id, status=OutboxStatus.sending, attempts=message.attempts).update(
        status=OutboxStatus.pending,
        result=f"retry:{reason}"[:RESULT_LIMIT],
        lease_until=None,
        available_at=db_time(now + (delay if delay is not None else _retry_delay(message.attempts))),
    )
    return bool(updated)


async def run_claimed(
    message: OutboxMessage, resources: Any, *, clock: Callable[[], datetime] = _now, timeout: float = HANDLER_TIMEOUT
) -> str:
    """Run one claimed row's handler and write its outcome; returns what was written
    (`sent`, `skipped`, `failed`, `retry` or `lost`)."""
    delay: timedelta | None = None
    try:
        handler = handler_for(message.topic)
        if handler is None:
            raise RetryLater(f"no handler for topic {message.topic}")
        result = await asyncio.wait_for(handler(message, resources), timeout=timeout)
    except RetryLater as exc:
        reason, delay = exc.reason, exc.delay
    except TimeoutError:
        reason = f"timeout after {timeout:.0f}s"
    except Exception as exc:  # a bug or an outage: retried, logged with its traceback
        logger.exception("outbox handler failed", extra={"outbox_id": message.id, "topic": message.topic})
        reason = f"{type(exc).__name__}: {exc}"
    else:
        result = str(result or "sent")
        status = _status_of(result)
        if not await _finish(message, status=status, result=result, now=clock()):
            return "lost"
        if status is OutboxStatus.failed:
            logger.warning("outbox message failed", extra={"outbox_id": message.id, "topic": message.topic,
                                                           "result": result})
        return status.value
    if message.attempts >= MAX_ATTEMPTS:
        written = await _finish(message, status=OutboxStatus.failed, result=f"failed:gave_up:{reason}", now=clock())
        logger.error(
            "outbox message given up after %s attempts", message.attempts,
            extra={"outbox_id": message.id, "topic": message.topic, "reason": reason},
        )
        return "failed" if written else "lost"
    if not await _retry(message, reason=reason, delay=delay, now=clock()):
        return "lost"
    logger.info("outbox message will be retried", extra={"outbox_id": message.id, "topic": message.topic,
                                                          "attempts": message.attempts, "reason": reason})
    return "retry"


def _sequence_key(message: OutboxMessage) -> Any:
    """Rows about the same subject (the payload's `appeal_id`, `engagement_id` or `signup_id`)
    run one after another, in the order they were queued, so a person reads 已受理 before
    已分派; others run side by side."""
    payload = message.payload if isinstance(message.payload, dict) else {}
    for subject in SEQUENCED_SUBJECTS:
        if payload.get(subject) is not None:
            return (subject, payload[subject])
    return ("row", message.id)


SEQUENCED_SUBJECTS: tuple[str, ...] = ("appeal_id", "engagement_id", "signup_id")


async def deliver_pending(
    resources: Any,
    *,
    limit: int = 50,
    now: datetime | None = None,
    max_batches: int = 20,
    concurrency: int = CONCURRENCY,
) -> DeliveryStats:
    """Claim and run due rows, batch after batch, until none is due (or `max_batches`);
    up to `concurrency` at once, rows of one subject in order (`_sequence_key`).

    `now` fixes the clock (tests); by default each batch reads the time afresh."""
    stats = DeliveryStats()
    gate = asyncio.Semaphore(concurrency)
    clock: Callable[[], datetime] = (lambda: now) if now is not None else _now

    async def in_order(messages: list[OutboxMessage]) -> list[str]:
        outcomes = []
        for message in messages:
            async with gate:
                outcomes.append(await run_claimed(message, resources, clock=clock))
        return outcomes

    for _ in range(max_batches):
        batch = await claim(now=clock(), limit=limit)
        if not batch:
            break
        stats.claimed += len(batch)
        groups: dict[Any, list[OutboxMessage]] = {}
        for message in sorted(batch, key=lambda m: m.id):
            groups.setdefault(_sequence_key(message), []).append(message)
        outcomes: Sequence[str] = [
            outcome for group in await asyncio.gather(*(in_order(g) for g in groups.values())) for outcome in group
        ]
        for outcome in outcomes:
            field_name = {"sent": "sent", "skipped": "skipped", "failed": "failed", "retry": "retried"}.get(
                outcome, "lost"
            )
            setattr(stats, field_name, getattr(stats, field_name) + 1)
        # Go round again even after a short batch: handlers may have queued rows (a fan-out),
        # and steps committed meanwhile are taken now rather than at the next sweep.
    return stats


async def sweep(resources: Any, *, now: datetime | None = None, limit: int = 50) -> DeliveryStats:
    """The cron's pass: dead workers' rows back to the queue, then everything due."""
    reclaimed = await reclaim_expired(now=now)
    stats = await deliver_pending(resources, limit=limit, now=now)
    stats.reclaimed = reclaimed
    return stats


__all__ += ["sweep"]
