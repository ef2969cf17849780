"""Benchmark: generate a synthetic register, spoil 3 rows, import it, import it again.

    python benchmarks/import_register.py                      # 100,000 rows into a temporary SQLite file
    python benchmarks/import_register.py --rows 1000000
    python benchmarks/import_register.py --database-url postgres://postgres@127.0.0.1:5432/postgres

With a PostgreSQL URL the benchmark creates its own scratch database on that server and
drops it afterwards: it never writes into the database the URL names. The schema comes from
the project's migrations, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import db  # noqa: E402
from app.enterprise.credit_code import CHARSET  # noqa: E402
from app.enterprise.register_import import REGISTER_HEADERS, import_register  # noqa: E402
from app.enterprise.synthetic import generate_enterprises  # noqa: E402
from benchmarks.support import database_version, drop_database, machine_line, scratch_database  # noqa: E402

CORRUPTIONS = {
    # row index -> (column, how it is spoiled): one bad check character, one impossible date, one unknown district
    0.1: ("统一社会信用代码", lambda code: code[:-1] + next(c for c in CHARSET if c != code[-1])),
    0.5: ("成立日期", lambda _: "2019-13-45"),
    1.0: ("所属区", lambda _: "火星区"),
}


def write_file(path: Path, rows: int, seed: int) -> tuple[float, list[int]]:
    """Write the CSV with 3 corrupt rows; returns (seconds, their line numbers)."""
    spoil = {min(rows - 1, int(rows * fraction)): change for fraction, change in CORRUPTIONS.items()}
    started = time.perf_counter()
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REGISTER_HEADERS)
        for index, row in enumerate(generate_enterprises(rows, seed=seed)):
            if index in spoil:
                column, change = spoil[index]
                row[column] = change(row[column])
            writer.writerow(row.values())
    return time.perf_counter() - started, sorted(index + 2 for index in spoil)


class ValidationClock:
    """A progress callback noting when validation ended: half of every row is done before writing starts."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.validated_at = float("nan")

    def __call__(self, done: int, total: int) -> None:
        if done >= self.rows // 2 and self.validated_at != self.validated_at:  # still NaN
            self.validated_at = time.perf_counter()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def run(args: argparse.Namespace) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="qiyun-bench-"))
    path = scratch / "register.csv"
    seconds, corrupt_lines = write_file(path, args.rows, args.seed)
    print(f"generated {args.rows:,} rows in {seconds:.1f}s ({args.rows / seconds:,.0f} rows/s), "
          f"{path.stat().st_size / 2**20:.1f} MiB, corrupt lines {corrupt_lines}")

    database = None
    if args.database_url and db.backend_name(args.database_url) == "postgres":
        url = database = await scratch_database(args.database_url)
    else:
        url = args.database_url or f"sqlite://{scratch / 'bench.sqlite3'}"
    try:
        await db.apply_migrations(url)
        await db.open_database(url)
        try:
            version = await database_version(url)
            rss_before = peak_rss_mib()
            for attempt in ("first import (inserts)", "second import (updates)"):
                clock = ValidationClock(args.rows)
                started = time.perf_counter()
                report = await import_register(path=path, batch_size=args.batch_size, progress=clock)
                elapsed = time.perf_counter() - started
                validation = clock.validated_at - started
                print(
                    f"{attempt}: {report.total:,} rows, {report.created:,} created, {report.updated:,} updated, "
                    f"{len(report.rejected)} rejected at lines {[row.line for row in report.rejected]} "
                    f"in {elapsed:.1f}s = {report.total / elapsed:,.0f} rows/s "
                    f"(validation {validation:.1f}s, writing {elapsed - validation:.1f}s)"
                )
                assert [row.line for row in report.rejected] == corrupt_lines, report.rejected
        finally:
            await db.close_database()
    finally:
        if database:
            await drop_database(database)
        for leftover in scratch.iterdir():
            leftover.unlink()
        scratch.rmdir()

    print(
        f"peak RSS {peak_rss_mib():.0f} MiB (before importing {rss_before:.0f} MiB); batch size {args.batch_size}"
    )
    print(machine_line(version))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--database-url", help="postgres://… server to benchmark on (default: a temporary SQLite file)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
