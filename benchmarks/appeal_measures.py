"""Benchmark: the appeal measures (app.appeal.measures) over 100,000 synthetic appeals.

    python benchmarks/appeal_measures.py                     # SQLite file in /tmp (the embedded default)
    python benchmarks/appeal_measures.py --database-url postgres://postgres@127.0.0.1:5432/qiyun_bench_appeals
    python benchmarks/appeal_measures.py --count 20000 --regenerate

The database is a dedicated benchmark database: created if missing (PostgreSQL), migrated, and
its appeals replaced when it does not hold --count of them (or with --regenerate). The appeals
are synthetic, deterministic by seed, spread over the last 365 days across the demo
organisations, districts and categories, in every state, each replied one with its dispatch
and reply events on the timeline (what attribution by organisation reads). Each measures table
is then timed through the project's own code, after one warm-up, --repeat times: p50 and max.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from app import db
from app.appeal.categories import CATEGORIES
from app.appeal.measures import measure_appeals, measures
from app.appeal.models import (
    Appeal,
    AppealChannel,
    AppealEvent,
    AppealStatus,
    CloseReason,
    Satisfaction,
)
from app.config import Settings
from app.demo import demo_organisations
from app.enterprise.reference import District
from app.organisation.models import Organisation
from app.organisation.service import upsert_organisations

DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "qiyun-bench-appeals.sqlite3"
CHUNK = 5_000


async def ensure_database(url: str) -> None:
    if db.backend_name(url) != "postgres":
        return
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect("postgresql://" + urlunsplit(parts._replace(path="/postgres")).split("://", 1)[1])
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def synthetic(index: int, rng: random.Random, now: datetime, orgs: list[int], office: int) -> tuple[dict, list[dict]]:
    """One appeal's columns and its timeline's dispatch and reply events."""
    created = now - timedelta(days=rng.uniform(0, 365))
    category = rng.choice(list(CATEGORIES))
    lead = rng.choice(orgs)
    values = {
        "number": f"BENCH{index:09d}", "channel": rng.choice(list(AppealChannel)), "category": category,
        "title": "基准测试诉求", "description": "基准测试诉求描述", "district": rng.choice(list(District)),
        "owner_organisation_id": office, "created_at": created, "updated_at": created,
        "accept_due_at": created + timedelta(days=1),
    }
    roll = rng.random()
    if roll < 0.03:
        values["status"] = AppealStatus.submitted
        return values, []
    if roll < 0.06:
        values.update(status=AppealStatus.declined, closed_at=created + timedelta(hours=5))
        return values, []
    accepted = created + timedelta(hours=rng.uniform(0.5, 30))
    dispatched = accepted + timedelta(hours=rng.uniform(0.2, 6))
    values.update(accepted_at=accepted, dispatched_at=dispatched, lead_organisation_id=lead,
                  respond_due_at=dispatched + timedelta(days=2), resolve_due_at=dispatched + timedelta(days=21))
    if roll < 0.12:
        values["status"] = AppealStatus.dispatched
        return values, []
    values["first_response_at"] = dispatched + timedelta(hours=rng.uniform(1, 70))
    if roll < 0.2:
        values["status"] = AppealStatus.in_progress
        return values, []
    replied = dispatched + timedelta(days=rng.uniform(1, 28))
    values.update(replied_at=replied, confirm_due_at=replied + timedelta(days=7), status=AppealStatus.replied)
    events = [{"action": "dispatch", "organisation_id": lead, "created_at": dispatched},
              {"action": "reply", "organisation_id": lead, "created_at": replied}]
    if roll < 0.25 or replied + timedelta(days=7) > now:
        return values, events
    closed = replied + timedelta(days=rng.uniform(0.5, 7))
    verdict = rng.random()
    reason = CloseReason.resolved if verdict < 0.8 else CloseReason.unresolved if verdict < 0.9 else CloseReason.unrated
    values.update(status=AppealStatus.closed, closed_at=closed, close_reason=reason,
                  resolved=None if reason is CloseReason.unrated else reason is CloseReason.resolved,
                  satisfaction=None if reason is CloseReason.unrated else rng.choice(list(Satisfaction)),
                  reopen_count=1 if rng.random() < 0.05 else 0)
    return values, events


async def load(count: int, *, seed: int, regenerate: bool) -> None:
    existing = await Appeal.filter(number__startswith="BENCH").count()
    if existing == count and not regenerate:
        print(f"using the {count:,} synthetic appeals already there")
        return
    await AppealEvent.all().delete()
    await Appeal.all().delete()
    await upsert_organisations(demo_organisations())
    orgs = list(await Organisation.all().values_list("id", flat=True))
    office = (await Organisation.get(code="city.coordination")).id
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    started = time.monotonic()
    for first in range(0, count, CHUNK):
        rows = [synthetic(index, rng, now, orgs, office) for index in range(first, min(count, first + CHUNK))]
        await Appeal.bulk_create([Appeal(**values) for values, _ in rows])
        ids = dict(await Appeal.filter(number__in=[values["number"] for values, _ in rows]).values_list("number", "id"))
        await AppealEvent.bulk_create([
            AppealEvent(appeal_id=ids[values["number"]], **event) for values, events in rows for event in events
        ])
        print(f"  loaded {min(count, first + CHUNK):,} / {count:,} appeals", end="\r", flush=True)
    print(f"\nloaded {count:,} appeals and {await AppealEvent.all().count():,} events in {time.monotonic() - started:.1f}s")


async def timed(label: str, repeat: int, call) -> None:
    await call()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = await call()
        samples.append(time.perf_counter() - started)
    rows = len(result) if isinstance(result, list) else result[0]
    print(f"  {label:<44} p50 {statistics.median(samples) * 1000:8.1f} ms   max {max(samples) * 1000:8.1f} ms"
          f"   ({rows} rows)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=f"sqlite://{DEFAULT_SQLITE}")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    await ensure_database(args.database_url)
    await db.apply_migrations(args.database_url)
    await db.open_database(args.database_url)
    try:
        await load(args.count, seed=args.seed, regenerate=args.regenerate)
        settings = Settings(_env_file=None)
        today = datetime.now(timezone.utc).date()
        print(f"backend {db.backend_name(args.database_url)}, Python {platform.python_version()}, "
              f"{args.count:,} appeals over 365 days")
        for days in (30, 90, 365):
            period = {"period_start": today - timedelta(days=days), "period_end": today, "scope_staff": None,
                      "settings": settings}
            print(f"period: last {days} days")
            for group_by in ("total", "organisation", "district", "category"):
                await timed(f"measures(group_by={group_by!r})", args.repeat,
                            lambda group_by=group_by: measures(**period, group_by=group_by))
            del period["settings"]
            await timed("measure_appeals(total, closed, 1st page)", args.repeat,
                        lambda: measure_appeals(**period, group_by="total", key=None, measure="closed"))
    finally:
        await db.close_database()


if __name__ == "__main__":
    asyncio.run(main())
