"""Benchmark: the appeal measures (app.appeal.measures) over 100,000 synthetic appeals.

    python benchmarks/appeal_measures.py                     # SQLite file in /tmp (the embedded default)
    python benchmarks/appeal_measures.py --database-url postgres://postgres@127.0.0.1:5432/qiyun_bench_appeals
    python benchmarks/appeal_measures.py --count 20000 --regenerate

The database is a dedicated benchmark database: created if missing (PostgreSQL), migrated, and
its synthetic appeals replaced when it does not hold --count of them (or with --regenerate). The
appeals come from the project's generator (`app.reporting.synthetic.generate_year`, no push
deliveries): deterministic by seed, over the last 365 days across the demo organisations,
districts and categories, in every state, with their timelines. Each measures table
is then timed through the project's own code, after one warm-up, --repeat times: p50 and max.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import db  # noqa: E402
from app.appeal.measures import measure_appeals, measures  # noqa: E402
from app.appeal.models import Appeal, AppealEvent  # noqa: E402
from app.config import Settings  # noqa: E402
from app.demo import demo_organisations  # noqa: E402
from app.organisation.service import upsert_organisations  # noqa: E402
from app.reporting.periods import today  # noqa: E402
from app.reporting.synthetic import APPEAL_PREFIX, generate_year  # noqa: E402
from benchmarks.support import database_version, ensure_database, machine_line  # noqa: E402

DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "qiyun-bench-appeals.sqlite3"


async def load(count: int, *, seed: int, regenerate: bool) -> None:
    """A year of synthetic appeals from the project's generator (app.reporting.synthetic), unless already there."""
    existing = await Appeal.filter(number__startswith=APPEAL_PREFIX).count()
    if existing == count and not regenerate:
        print(f"using the {count:,} synthetic appeals already there")
        return
    await AppealEvent.filter(appeal__number__startswith="BENCH").delete()  # rows of this benchmark's earlier generator
    await Appeal.filter(number__startswith="BENCH").delete()
    await upsert_organisations(demo_organisations())
    summary = await generate_year(settings=Settings(_env_file=None), appeals=count, deliveries=0, seed=seed,
                                  end=today(), replace=True)
    for line in summary.lines():
        print(line)


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
        print(f"backend {db.backend_name(args.database_url)}, {args.count:,} appeals over 365 days")
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
        print(machine_line(await database_version(args.database_url)))
    finally:
        await db.close_database()


if __name__ == "__main__":
    asyncio.run(main())
