"""The delivery ledger's concurrency core: claiming rows, leases, and writing outcomes.

A row moves `queued → sending → sent | failed | skipped | queued (retry)`. Only the
worker named in `claimed_by` may write a `sending` row's outcome, and only while it is
still `sending`: every outcome update is guarded by `status = 'sending' AND claimed_by
= <me>`, so a worker that lost its lease cannot overwrite the work of the one that took
over.

Claiming is one atomic statement on both backends:

* PostgreSQL: `WITH picked AS (SELECT id ... ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED) UPDATE
  ... FROM picked RETURNING ...` — concurrent workers skip each other's locked rows instead of
  waiting, and never get the same row.
* SQLite: `UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING ...`. SQLite has one writer at
  a time, so the statement runs alone; a second worker's claim sees the rows already
  `sending` and takes the next ones.

Leases: a claim sets `lease_until` (epoch ms); a live worker pushes it forward
(`extend_leases`) every few seconds. `reclaim_expired` puts rows of a dead worker back in
the queue, flagged `uncertain` (the dead worker may have sent some of them: see
`app.push.sender` for what happens to uncertain rows). Times are epoch milliseconds
passed in by the caller, which keeps the rules testable without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise import connections

from app.push.models import DeliveryStatus

__all__ = [
    "Claimed",
    "OutcomeRow",
    "apply_outcomes",
    "claim",
    "extend_leases",
    "now_ms",
    "reclaim_expired",
    "remaining_work",
]


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class Claimed:
    """A ledger row this worker now holds."""

    id: int
    follower_id: int
    openid: str
    attempts: int
    uncertain: bool
    first_attempt_at: int


@dataclass(slots=True)
class OutcomeRow:
    """What to write to a claimed row (see `apply_outcomes`)."""

    id: int
    status: DeliveryStatus
    reason: str = ""
    msgid: int | None = None
    errcode: int | None = None
    error: str = ""
    sent_at: Any = None
    finished_at: Any = None
    retry_at: int | None = None
    uncertain: bool = False
    attempts_delta: int = 0


def _connection():
    return connections.get("default")


def _is_postgres() -> bool:
    return _connection().capabilities.dialect == "postgres"


def _sql(query: str) -> str:
    """`?` placeholders, numbered `$1..$n` for asyncpg."""
    if not _is_postgres():
        return query
    parts = query.split("?")
    out = [parts[0]]
    for number, part in enumerate(parts[1:], start=1):
        out.append(f"${number}{part}")
    return "".join(out)


_CLAIM_SQLITE = """
UPDATE push_delivery
SET status = 'sending', claimed_by = ?, lease_until = ?, attempts = attempts + 1,
    first_attempt_at = COALESCE(first_attempt_at, ?)
WHERE id IN (
    SELECT id FROM push_delivery
    WHERE campaign_id = ? AND status = 'queued' AND (retry_at IS NULL OR retry_at <= ?)
    ORDER BY id LIMIT ?
)
RETURNING id, follower_id, openid, attempts, uncertain, first_attempt_at
"""

# The locking CTE is evaluated exactly once (unlike a subquery, which a plan could re-run).
_CLAIM_POSTGRES = """
WITH picked AS (
    SELECT id FROM push_delivery
    WHERE campaign_id = $4 AND status = 'queued' AND (retry_at IS NULL OR retry_at <= $5)
    ORDER BY id LIMIT $6
    FOR UPDATE SKIP LOCKED
)
UPDATE push_delivery AS d
SET status = 'sending', claimed_by = $1, lease_until = $2, attempts = d.attempts + 1,
    first_attempt_at = COALESCE(d.first_attempt_at, $3)
FROM picked WHERE d.id = picked.id
RETURNING d.id, d.follower_id, d.openid, d.attempts, d.uncertain, d.first_attempt_at
"""


async def claim(*, campaign_id: int, worker: str, limit: int, lease_ms: int, now: int) -> list[Claimed]:
    """Atomically take up to `limit` queued rows that are due, for `lease_ms`."""
    query = _CLAIM_POSTGRES if _is_postgres() else _CLAIM_SQLITE
    # execute_query_dict: tortoise's asyncpg client answers execute_query for an UPDATE with
    # the row count only, dropping what RETURNING returned.
    rows = await _connection().execute_query_dict(query, [worker, now + lease_ms, now, campaign_id, now, limit])
    claimed = [
        Claimed(
            id=int(row["id"]),
            follower_id=int(row["follower_id"]),
            openid=str(row["openid"]),
            attempts=int(row["attempts"]),
            uncertain=bool(row["uncertain"]),
            first_attempt_at=int(row["first_attempt_at"]),
        )
        for row in rows
    ]
    claimed.sort(key=lambda row: row.id)
    return claimed


async def reclaim_expired(*, campaign_id: int, now: int) -> int:
    """Put `sending` rows whose lease ran out (a dead or stuck worker) back in the queue.

    They are flagged `uncertain`: the worker may have sent some before it died."""
    query = _sql(
        "UPDATE push_delivery SET status = 'queued', uncertain = TRUE, claimed_by = NULL, lease_until = NULL "
        "WHERE campaign_id = ? AND status = 'sending' AND lease_until < ?"
    )
    count, _ = await _connection().execute_query(query, [campaign_id, now])
    return int(count or 0)


async def extend_leases(*, campaign_id: int, worker: str, lease_until: int) -> int:
    """Keep this worker's claims alive (called every few seconds while it runs)."""
    query = _sql(
        "UPDATE push_delivery SET lease_until = ? WHERE campaign_id = ? AND status = 'sending' AND claimed_by = ?"
    )
    count, _ = await _connection().execute_query(query, [lease_until, campaign_id, worker])
    return int(count or 0)


_APPLY = """
UPDATE push_delivery
SET status = ?, reason = ?, wechat_msgid = COALESCE(?, wechat_msgid), errcode = ?, error = ?,
    sent_at = COALESCE(?, sent_at), finished_at = ?, retry_at = ?, uncertain = ?,
    attempts = attempts + ?, claimed_by = NULL, lease_until = NULL
WHERE id = ? AND status = 'sending' AND claimed_by = ?
"""


async def apply_outcomes(outcomes: Sequence[OutcomeRow], *, worker: str, connection: Any = None) -> None:
    """Write outcomes of rows this worker holds (one `executemany`)."""
    if not outcomes:
        return
    values = [
        [
            row.status.value,
            row.reason[:32],
            row.msgid,
            row.errcode,
            row.error[:200],
            row.sent_at,
            row.finished_at,
            row.retry_at,
            row.uncertain,
            row.attempts_delta,
            row.id,
            worker,
        ]
        for row in outcomes
    ]
    await (connection or _connection()).execute_many(_sql(_APPLY), values)


async def remaining_work(*, campaign_id: int) -> dict[str, int]:
    """Rows still to do: `queued` (incl. waiting retries) and `sending` (held by some worker)."""
    query = _sql(
        "SELECT status, COUNT(*) AS n FROM push_delivery WHERE campaign_id = ? AND status IN ('queued', 'sending') "
        "GROUP BY status"
    )
    _, rows = await _connection().execute_query(query, [campaign_id])
    found = {str(row["status"]): int(row["n"]) for row in map(dict, rows)}
    return {"queued": found.get("queued", 0), "sending": found.get("sending", 0)}


async def next_retry_at(*, campaign_id: int) -> int | None:
    """The earliest `retry_at` of a waiting retry, if any."""
    query = _sql(
        "SELECT MIN(retry_at) AS t FROM push_delivery WHERE campaign_id = ? AND status = 'queued' AND retry_at IS NOT NULL"
    )
    _, rows = await _connection().execute_query(query, [campaign_id])
    value = dict(rows[0])["t"] if rows else None
    return int(value) if value is not None else None


def ids_param(ids: Iterable[int]) -> list[int]:
    return sorted(set(int(i) for i in ids))
