"""Benchmark: public service directory search over 5,000 generated entries.

    python benchmarks/directory_search.py                    # a temporary SQLite file
    python benchmarks/directory_search.py --entries 20000
    python benchmarks/directory_search.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Generates entries of the four kinds from the demo set's vocabulary (categories, districts,
platforms, steps and materials), inserts them as published, builds the index with
`rebuild_index` (jieba segmentation plus the `directory_search_term` rows) and then times
`search_directory` end to end (query analysis, the ranked query, loading the hits,
highlighting) for a mix of queries: common and rare words, synonyms, a long question,
filters, a deep page and a query without hits. Prints the build time and p50 / p99 per query.

With a PostgreSQL URL it creates a scratch database on that server and drops it afterwards;
the schema comes from the project's migrations, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tortoise import connections  # noqa: E402

from app import db  # noqa: E402
from app.directory.demo import DEMO_ENTRIES
from app.directory.models import DirectoryCategory, DirectoryEntry, DirectoryKind, DirectoryStatus
from app.directory.search import DirectoryFilters, rebuild_index, search_directory
from app.enterprise.reference import District
from app.policy import segment  # noqa: E402
from benchmarks.support import database_version, drop_database, machine_line, percentile, scratch_database  # noqa: E402

SUBJECTS = ["集成电路", "生物医药", "人工智能", "高端装备", "新材料", "新能源汽车", "软件", "数字化转型", "智能制造",
            "工业互联网", "跨境电商", "航运物流", "文化创意", "绿色低碳", "检验检测", "科技金融"]
SERVICES = ["公共服务平台", "服务中心", "服务站", "综合服务窗口", "一站式服务", "专业服务平台", "线上办理入口", "咨询服务"]

QUERIES: list[tuple[str, str, DirectoryFilters, int]] = [
    ("common word", "服务", DirectoryFilters(), 0),
    ("two words", "知识产权 保护", DirectoryFilters(), 0),
    ("synonym", "人才公寓", DirectoryFilters(), 0),
    ("entrance", "科技创新券", DirectoryFilters(kinds=[DirectoryKind.entrance]), 0),
    ("utility by district", "用电 接入", DirectoryFilters(kinds=[DirectoryKind.utility_guide], district=District.pudong), 0),
    ("long question", "浦东新区的集成电路企业怎么申请研发公共服务平台的检测服务", DirectoryFilters(), 0),
    ("category filter", "平台", DirectoryFilters(category=DirectoryCategory.finance), 0),
    ("deep page", "服务", DirectoryFilters(), 500),
    ("no hit", "火星移民", DirectoryFilters(), 0),
]


def generate(count: int, seed: int) -> list[DirectoryEntry]:
    rng = random.Random(seed)
    templates = list(DEMO_ENTRIES)
    entries = []
    for n in range(count):
        template = rng.choice(templates)
        district = rng.choice([None, *District])
        subject = rng.choice(SUBJECTS)
        fields = dict(template.fields)
        kind = template.kind
        title = f"{district.label if district else '上海市'}{subject}{rng.choice(SERVICES)}·{template.title}"
        entries.append(DirectoryEntry(
            kind=kind, title=title[:200], summary=f"{template.summary}面向{subject}领域企业。",
            body="\n".join(rng.sample([t.summary for t in templates], 4)),
            category=fields.get("category") if kind in (DirectoryKind.resource, DirectoryKind.entrance) else None,
            utility_type=fields.get("utility_type") if kind is DirectoryKind.utility_guide else None,
            eligibility=fields.get("eligibility", ""), steps=fields.get("steps", ""), materials=fields.get("materials", ""),
            time_limit=fields.get("time_limit", ""), platform_name=fields.get("platform_name", ""),
            district=district or fields.get("district"), url=fields.get("url", ""), address=fields.get("address", ""),
            status=DirectoryStatus.published, sort_order=n,
        ))
    return entries


async def run(args: argparse.Namespace) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="qiyun-bench-"))
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
            await segment.ensure_ready()
            started = time.perf_counter()
            await DirectoryEntry.bulk_create(generate(args.entries, args.seed), batch_size=500)
            print(f"inserted {args.entries:,} published entries in {time.perf_counter() - started:.1f}s")
            started = time.perf_counter()
            indexed = await rebuild_index()
            elapsed = time.perf_counter() - started
            _, rows = await connections.get("default").execute_query("SELECT COUNT(*) AS n FROM directory_search_term")
            print(f"index build: {indexed:,} entries in {elapsed:.1f}s ({indexed / elapsed:,.0f}/s), "
                  f"{rows[0]['n']:,} term rows")
            if db.backend_name(url) == "postgres":
                await connections.get("default").execute_script("VACUUM ANALYZE")
            print(f"{'query':<22}{'hits':>7}{'p50 ms':>9}{'p99 ms':>9}")
            everything = []
            for label, query, filters, offset in QUERIES:
                times = []
                for _ in range(args.rounds):
                    started = time.perf_counter()
                    result = await search_directory(query=query, filters=filters, limit=10, offset=offset)
                    times.append((time.perf_counter() - started) * 1000)
                everything.extend(times)
                print(f"{label:<22}{result.total:>7,}{statistics.median(times):>9.1f}{percentile(times, 0.99):>9.1f}")
            print(f"{'overall':<22}{'':>7}{statistics.median(everything):>9.1f}{percentile(everything, 0.99):>9.1f}")
        finally:
            await db.close_database()
    finally:
        if database:
            await drop_database(database)
        for leftover in scratch.iterdir():
            leftover.unlink()
        scratch.rmdir()
    print(machine_line(version))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=20, help="times each query is run")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--database-url", help="postgres://… server to benchmark on (default: a temporary SQLite file)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
