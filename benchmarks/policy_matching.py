"""Benchmark: matching at city scale on PostgreSQL: 1,000,000 enterprises and 50,000 policies.

    python benchmarks/policy_matching.py                       # 1,000,000 enterprises, 50,000 policies in qiyun_bench_matching
    python benchmarks/policy_matching.py --database-url postgres://postgres@127.0.0.1:5432/other_db
    python benchmarks/policy_matching.py --count 200000 --policies 5000 --regenerate --explain
    python benchmarks/policy_matching.py --count 20000 --policies 2000 --drop     # small, database dropped after

The database named by --database-url is created if missing and migrated; it is a dedicated
benchmark database, whose `enterprise` and `enterprise_tag` tables are replaced when they do
not hold --count enterprises (or with --regenerate), and whose `policy` table is replaced
when it does not hold --policies policies. Enterprises are the synthetic register
(`app.enterprise.synthetic`, deterministic by seed), written with COPY; policies are the
generated texts of `benchmarks/policy_search.py` with random targeting rules (0 to 4 of the
dimensions staff use, 1 in 5 for everyone), written with executemany in batches.

Timed through the project's own code, after one warm-up:

* `app.policy.targeting.audience_count` — a policy's audience over the whole register, what
  the push preview and the policy page show — for a set of typical targetings, --repeat times
  each: p50 / p95 / max per targeting and overall;
* `app.policy.targeting.matched_policies` — the policies one enterprise qualifies for, what the
  recommendation pages ask — for --sample enterprises spread over the register: p50 / p95 / max.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import db  # noqa: E402
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass  # noqa: E402
from app.enterprise.synthetic import TAG_SEPARATOR, generate_enterprises  # noqa: E402
from app.policy.targeting import Targeting, audience_count, enterprise_query, matched_policies  # noqa: E402
from benchmarks.support import database_version, drop_database, ensure_database, machine_line, percentile  # noqa: E402

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


TAGS = ("高新技术企业", "科技型中小企业", "专精特新", "专精特新小巨人")


def random_targeting(rng: random.Random, today: date) -> dict:
    """0 to 4 rules over the dimensions staff use (1 in 5 policies is for everyone), stored form."""
    if rng.random() < 0.2:
        return {}
    rules: dict = {}
    for dimension in rng.sample(["districts", "industry", "size_classes", "ownerships", "lifecycle_stages", "years",
                                 "capital", "tags"], k=rng.randint(1, 4)):
        if dimension == "districts":
            rules["districts"] = [d.value for d in rng.sample(list(District), k=rng.choice((1, 1, 2)))]
        elif dimension == "industry":
            rules["industry_sections"] = rng.sample(["C", "I", "M", "F", "G", "K", "L"], k=rng.randint(1, 3))
        elif dimension == "size_classes":
            rules["size_classes"] = [s.value for s in rng.sample([SizeClass.small, SizeClass.micro, SizeClass.medium],
                                                                 k=rng.randint(1, 2))]
        elif dimension == "ownerships":
            rules["ownerships"] = [o.value for o in rng.sample(list(Ownership), k=rng.randint(1, 2))]
        elif dimension == "lifecycle_stages":
            rules["lifecycle_stages"] = [s.value for s in rng.sample(list(LifecycleStage), k=1)]
        elif dimension == "years":
            rules["min_years_established" if rng.random() < 0.6 else "max_years_established"] = rng.choice((1, 2, 3, 5))
        elif dimension == "capital":
            rules["min_registered_capital"] = str(rng.choice((100, 500, 1000)))
        else:
            rules["tags"] = rng.sample(TAGS, k=rng.randint(1, 2))
    return Targeting.model_validate(rules).model_dump(mode="json", exclude_defaults=True)


async def load_policies(count: int, *, seed: int, regenerate: bool) -> None:
    """`count` generated policies (texts of benchmarks/policy_search.py) with random targeting."""
    from tortoise import connections

    from app.policy.models import Policy
    from benchmarks.policy_search import ISSUERS, generate_policy

    existing = await Policy.all().count()
    if existing == count and not regenerate:
        print(f"policies: {existing:,} already loaded")
        return
    started = time.perf_counter()
    connection = connections.get("default")
    await connection.execute_script("TRUNCATE policy RESTART IDENTITY CASCADE")
    rng = random.Random(seed)
    for first in range(1, count + 1, 2000):
        batch = []
        for number in range(first, min(count, first + 1999) + 1):
            policy, _ = generate_policy(rng, number, ISSUERS)
            policy.targeting = random_targeting(rng, TODAY)
            policy.expiry_date = None if policy.expiry_date is None else date(2027, 12, 31) if rng.random() < 0.7 \
                else policy.expiry_date
            batch.append(policy)
        await Policy.bulk_create(batch)
    await connection.execute_query("SELECT setval(pg_get_serial_sequence('policy', 'id'), (SELECT max(id) FROM policy))")
    await connection.execute_script("VACUUM (ANALYZE) policy")
    live = await Policy.filter(status="published").count()
    print(f"policies: {count:,} generated and inserted in {time.perf_counter() - started:.0f}s ({live:,} published)")


async def time_counts(repeat: int, explain: bool) -> list[float]:
    from tortoise import connections

    every: list[float] = []
    print(f"\naudience_count over the register, {repeat} runs each after a warm-up (ms):")
    print(f"  {'targeting':<30} {'audience':>10} {'p50':>8} {'p95':>8} {'max':>8}")
    for label, targeting in TARGETINGS.items():
        count = await audience_count(targeting=targeting, today=TODAY)  # warm-up
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            assert await audience_count(targeting=targeting, today=TODAY) == count
            timings.append((time.perf_counter() - started) * 1000)
        every += timings
        print(f"  {label:<30} {count:>10,} {statistics.median(timings):>8.1f} {percentile(timings, 0.95):>8.1f} "
              f"{max(timings):>8.1f}")
        if explain:
            query = enterprise_query(targeting, today=TODAY).count()
            query._choose_db_if_not_chosen()
            query._make_query()
            sql, params = query.query.get_parameterized_sql()
            _, rows = await connections.get("default").execute_query(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            for row in rows:
                print("      " + row["QUERY PLAN"])
    return every


async def time_matching(sample: int) -> None:
    """matched_policies for `sample` enterprises spread over the register, against every policy."""
    from app.enterprise.models import Enterprise
    from app.policy.models import Policy

    policies = await Policy.filter(status="published").count()
    last = await Enterprise.all().count()
    ids = sorted({1 + (last - 1) * n // max(sample - 1, 1) for n in range(sample)})
    started = time.perf_counter()
    await matched_policies(enterprise_id=ids[0], today=TODAY)  # warm-up: builds the process's match index
    print(f"first matched_policies call, which builds the process's match index of {policies:,} policies: "
          f"{(time.perf_counter() - started) * 1000:,.0f} ms")
    timings, matched = [], []
    for enterprise_id in ids:
        started = time.perf_counter()
        matches = await matched_policies(enterprise_id=enterprise_id, today=TODAY)
        timings.append((time.perf_counter() - started) * 1000)
        matched.append(len(matches))
    print(f"\nmatched_policies for {len(ids)} enterprises against {policies:,} published policies (ms): "
          f"p50 {statistics.median(timings):.1f}, p95 {percentile(timings, 0.95):.1f}, max {max(timings):.1f}; "
          f"policies matched per enterprise: median {statistics.median(matched):,.0f}, max {max(matched):,}")
    timings = []
    for enterprise_id in ids:
        started = time.perf_counter()
        await matched_policies(enterprise_id=enterprise_id, today=TODAY, limit=50)
        timings.append((time.perf_counter() - started) * 1000)
    print(f"matched_policies(limit=50), what recommend_for_user asks (ms): p50 {statistics.median(timings):.1f}, "
          f"p95 {percentile(timings, 0.95):.1f}, max {max(timings):.1f}")


async def run(args: argparse.Namespace) -> None:
    url = args.database_url
    if db.backend_name(url) != "postgres":
        raise SystemExit("this benchmark is about PostgreSQL: give a postgres:// URL")
    await ensure_database(url, announce=True)
    try:
        await db.apply_migrations(url)
        await load_register(url, count=args.count, seed=args.seed, regenerate=args.regenerate)
        await db.open_database(url)
        try:
            await load_policies(args.policies, seed=args.seed, regenerate=args.regenerate)
            version = await database_version(url)
            every = await time_counts(args.repeat, args.explain)
            print(f"  {'all targetings':<30} {'':>10} {statistics.median(every):>8.1f} {percentile(every, 0.95):>8.1f} "
                  f"{max(every):>8.1f}")
            await time_matching(args.sample)
        finally:
            await db.close_database()
        print(f"\n{args.count:,} enterprises, {args.policies:,} policies; as of {TODAY.isoformat()}")
        print(machine_line(version))
    finally:
        if args.drop:
            await drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"a dedicated benchmark database (default {DEFAULT_URL})")
    parser.add_argument("--count", type=int, default=1_000_000, help="enterprises in the register")
    parser.add_argument("--policies", type=int, default=50_000, help="policies to match against")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per targeting")
    parser.add_argument("--sample", type=int, default=40, help="enterprises matched against every policy")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the register and policies even if present")
    parser.add_argument("--explain", action="store_true", help="print each count's query plan")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end (it is big)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
