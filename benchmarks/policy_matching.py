"""Benchmark: counting a policy's audience among 1,000,000 enterprises on PostgreSQL.

    python benchmarks/policy_matching.py                       # 1,000,000 enterprises in qiyun_bench_matching on 127.0.0.1
    python benchmarks/policy_matching.py --database-url postgres://postgres@127.0.0.1:5432/other_db
    python benchmarks/policy_matching.py --count 200000 --regenerate --explain

The database named by --database-url is created if missing and migrated; it is a dedicated
benchmark database, whose `enterprise` and `enterprise_tag` tables are replaced when they do
not hold --count enterprises (or with --regenerate). Enterprises are the synthetic register
(`app.enterprise.synthetic`, deterministic by seed), written with COPY. The audience count is
then timed through the project's own code (`app.policy.targeting.audience_count`), several
times per targeting, after one warm-up; p50 and max are printed per targeting and overall.
Also timed: `matched_policies` for a few enterprises against the demo policies.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

from app import db
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.enterprise.synthetic import TAG_SEPARATOR, generate_enterprises
from app.policy.targeting import Targeting, audience_count, enterprise_query, matched_policies

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/qiyun_bench_matching"
TODAY = date(2026, 6, 30)  # the synthetic register's reference date
CHUNK = 50_000

ENTERPRISE_COLUMNS = (
    "id", "credit_code", "name", "legal_representative", "district", "industry_section", "industry_division",
    "size_class", "ownership", "registered_capital", "established_on", "lifecycle_stage", "tags", "address",
    "contact_phone", "created_at", "updated_at",
)  # fmt: skip

TARGETINGS: dict[str, Targeting] = {
    "浦东 + 小型/微型 + 科技(I,M)": Targeting(
        districts=[District.pudong], industry_sections=["I", "M"], size_classes=[SizeClass.small, SizeClass.micro]
    ),
    "浦东 + 小微 + 科技 + 高新技术企业": Targeting(
        districts=[District.pudong], industry_sections=["I", "M"], size_classes=[SizeClass.small, SizeClass.micro],
        tags=["高新技术企业"],
    ),
    "专精特新 or 小巨人 (全市)": Targeting(tags=["专精特新", "专精特新小巨人"]),
    "小微 + 成立3年以内 + 初创期": Targeting(
        size_classes=[SizeClass.small, SizeClass.micro], max_years_established=3, lifecycle_stages=[LifecycleStage.startup]
    ),
    "制造业(C) + 资本≥500万 + 成立满3年": Targeting(
        industry_sections=["C"], min_registered_capital=Decimal(500), min_years_established=3
    ),
    "外资/港澳台 + 资本≥1000万": Targeting(ownerships=[Ownership.foreign, Ownership.hmt], min_registered_capital=Decimal(1000)),
    "徐汇 + 大类65/73": Targeting(districts=[District.xuhui], industry_divisions=["65", "73"]),
    "全市所有企业 (不限)": Targeting(),
}


def _records(count: int, seed: int) -> Iterator[tuple[tuple, list[tuple[int, str]]]]:
    """(enterprise row, its tag rows) in COPY column order, ids 1..count."""
    districts = {district.label: district.value for district in District}
    sizes = {size.label: size.value for size in SizeClass}
    ownerships = {ownership.label: ownership.value for ownership in Ownership}
    stages = {stage.label: stage.value for stage in LifecycleStage}
    now = datetime.now(timezone.utc)
    for index, row in enumerate(generate_enterprises(count, seed=seed), start=1):
        tags = [tag for tag in row["标签"].split(TAG_SEPARATOR) if tag]
        record = (
            index,
            row["统一社会信用代码"],
            row["企业名称"],
            row["法定代表人"],
            districts[row["所属区"]],
            row["行业门类"],
            row["行业大类"],
            sizes[row["企业规模"]],
            ownerships[row["经济类型"]],
            Decimal(row["注册资本(万元)"]),
            date.fromisoformat(row["成立日期"]),
            stages[row["生命周期"]],
            "[" + ",".join(f'"{tag}"' for tag in tags) + "]",
            row["地址"],
            row["联系电话"],
            now,
            now,
        )
        yield record, [(index, tag) for tag in tags]


async def ensure_database(url: str) -> None:
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect("postgresql://" + urlunsplit(parts._replace(path="/postgres")).split("://", 1)[1])
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")
    finally:
        await admin.close()


async def load_register(url: str, *, count: int, seed: int, regenerate: bool) -> None:
    import asyncpg

    connection = await asyncpg.connect("postgresql://" + url.split("://", 1)[1])
    try:
        existing = await connection.fetchval("SELECT count(*) FROM enterprise")
        if existing == count and not regenerate:
            print(f"register: {existing:,} enterprises already loaded (use --regenerate to rebuild)")
            return
        started = time.perf_counter()
        await connection.execute("TRUNCATE enterprise_tag, enterprise RESTART IDENTITY CASCADE")
        done = 0
        batch: list[tuple] = []
        tag_batch: list[tuple[int, str]] = []

        async def flush() -> None:
            await connection.copy_records_to_table("enterprise", records=batch, columns=ENTERPRISE_COLUMNS)
            if tag_batch:
                await connection.copy_records_to_table("enterprise_tag", records=tag_batch, columns=("enterprise_id", "tag"))
            batch.clear()
            tag_batch.clear()

        for record, tags in _records(count, seed):
            batch.append(record)
            tag_batch.extend(tags)
            if len(batch) >= CHUNK:
                await flush()
                done += CHUNK
                print(f"\r  loaded {done:,}/{count:,} ({time.perf_counter() - started:.0f}s)", end="", flush=True)
        if batch:
            await flush()
        await connection.execute("SELECT setval(pg_get_serial_sequence('enterprise', 'id'), (SELECT max(id) FROM enterprise))")
        loaded = time.perf_counter() - started
        await connection.execute("VACUUM (ANALYZE) enterprise")
        await connection.execute("VACUUM (ANALYZE) enterprise_tag")
        tags = await connection.fetchval("SELECT count(*) FROM enterprise_tag")
        print(f"\rregister: {count:,} enterprises and {tags:,} tag rows generated and copied in {loaded:.0f}s "
              f"({count / loaded:,.0f} rows/s), vacuumed and analysed in {time.perf_counter() - started - loaded:.0f}s")
    finally:
        await connection.close()


async def time_counts(repeat: int, explain: bool) -> list[float]:
    from tortoise import connections

    every: list[float] = []
    print(f"\naudience_count, {repeat} runs each after a warm-up (ms):")
    print(f"  {'targeting':<36} {'audience':>10} {'p50':>8} {'max':>8}")
    for label, targeting in TARGETINGS.items():
        count = await audience_count(targeting=targeting, today=TODAY)  # warm-up
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            assert await audience_count(targeting=targeting, today=TODAY) == count
            timings.append((time.perf_counter() - started) * 1000)
        every += timings
        print(f"  {label:<30} {count:>10,} {statistics.median(timings):>8.1f} {max(timings):>8.1f}")
        if explain:
            query = enterprise_query(targeting, today=TODAY).count()
            query._choose_db_if_not_chosen()
            query._make_query()
            sql, params = query.query.get_parameterized_sql()
            _, rows = await connections.get("default").execute_query(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            for row in rows:
                print("      " + row["QUERY PLAN"])
    return every


async def time_matching(repeat: int) -> None:
    """matched_policies for a few enterprises, against the ~40 demo policies (loaded if absent)."""
    from app.demo import demo_organisations
    from app.organisation.service import upsert_organisations
    from app.policy.demo import seed_demo_policies
    from app.enterprise.models import Enterprise
    from app.policy.models import Policy

    if not await Policy.exists():
        try:
            await upsert_organisations(demo_organisations())
            await seed_demo_policies()
        except ImportError as exc:  # the search index is part of publishing
            print(f"\nmatched_policies: skipped ({exc})")
            return
    policies = await Policy.all().count()
    timings = []
    last = await Enterprise.all().count()
    for enterprise_id in sorted({1, last // 4, last // 2, last}):
        started = time.perf_counter()
        for _ in range(repeat):
            matches = await matched_policies(enterprise_id=enterprise_id, today=TODAY)
        timings.append((time.perf_counter() - started) * 1000 / repeat)
    print(f"\nmatched_policies against {policies} policies: p50 {statistics.median(timings):.1f} ms, "
          f"max {max(timings):.1f} ms (last enterprise matched {len(matches)})")


async def run(args: argparse.Namespace) -> None:
    url = args.database_url
    if db.backend_name(url) != "postgres":
        raise SystemExit("this benchmark is about PostgreSQL: give a postgres:// URL")
    await ensure_database(url)
    await db.apply_migrations(url)
    await load_register(url, count=args.count, seed=args.seed, regenerate=args.regenerate)
    await db.open_database(url)
    try:
        from tortoise import connections

        _, rows = await connections.get("default").execute_query("SHOW server_version")
        version = rows[0]["server_version"]
        every = await time_counts(args.repeat, args.explain)
        print(f"  {'all targetings':<30} {'':>10} {statistics.median(every):>8.1f} {max(every):>8.1f}")
        await time_matching(args.repeat)
    finally:
        await db.close_database()
    print(f"\nmachine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, "
          f"PostgreSQL {version}; {args.count:,} enterprises; as of {TODAY.isoformat()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"a dedicated benchmark database (default {DEFAULT_URL})")
    parser.add_argument("--count", type=int, default=1_000_000, help="enterprises in the register")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per targeting")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the register even if it has --count rows")
    parser.add_argument("--explain", action="store_true", help="print each count's query plan")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
