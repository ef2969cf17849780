"""A push campaign to up to 1,000,000 followers against the WeChat simulator (50 ms latency, 1% errors).

Prints the audience materialisation (the campaign's own INSERT ... SELECT into the delivery
ledger) separately from the sending, sends per second, p50/p99 send latency, the peak RSS of
each sender and of the simulator (and RSS samples along the way, to show memory stays flat),
and proves exactly-once delivery from the simulator's own per-openid counters. The senders are
real `qiyun worker` processes (arq): the campaign is created and started through
`app.push.service`, exactly as the admin does it.

    python benchmarks/push_campaign.py                         # embedded SQLite + Redis, 100,000
    python benchmarks/push_campaign.py --workers 2             # two sender processes
    python benchmarks/push_campaign.py --database-url postgres://postgres@127.0.0.1:5432/postgres \\
        --redis-url redis://127.0.0.1:6379/9 --recipients 1000000 --workers 2
        # a fresh database is created on that server for the run and dropped afterwards

The audience (`--audience policy_match`, the default) is the real chain a policy push walks:
the policy's targeting over the register (`enterprise`), active bindings, the people bound and
their followers. Setup writes --recipients enterprises in the targeted district and a tenth as
many elsewhere (bound followers too: they must get nothing), each with one person, binding and
follower, by INSERT ... SELECT over a number series (seconds, not minutes). `--audience
everyone` skips the register and targets every follower.

Transient failures: the simulator answers errcode -1 (system busy) to --transient-error-rate
of template sends (a fault with that probability, until cleared); the senders retry them.

Exactly once, checked against the simulator (not the ledger): every one of the N audience
followers has exactly one template message with the campaign's template id and no other
openid has any (the simulator's count histogram per kind and template, plus the number of
distinct recipients), and the ledger says N sent. Exits 1 otherwise.

Also measured on its own first (unless --skip-simulator-check): what the simulator itself
can answer with the same latency, so a slow simulator cannot pass for a slow sender.

Everything runs on loopback, in a temporary directory, and is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.support import (  # noqa: E402
    QiyunProcess,
    database_version,
    drop_database,
    free_port,
    machine_line,
    require_loopback,
    rss_kib,
    scratch_database,
    start_qiyun,
    stop_processes,
    wait_http,
)

BENCH_APPID = "wx" + "00112233445566bb"
BENCH_SECRET = "b" * 32
TEMPLATE_ID = "TPL_bench_policy_push"
TEMPLATE_API = "/cgi-bin/message/template/send"
MAX_RECIPIENTS = 1_000_000
TARGET_DISTRICT = "310115"  # 浦东新区: the policy's targeting
OTHER_DISTRICT = "310104"  # 徐汇区: enterprises (and followers) outside the audience


def base_env(args: argparse.Namespace, var_dir: Path, *, database_url: str, redis_url: str, api_base: str) -> dict:
    return {
        **os.environ,
        "QIYUN_ENV": "development",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "WECHAT_APPID": BENCH_APPID,
        "WECHAT_SECRET": BENCH_SECRET,
        "WECHAT_API_BASE": api_base,
        "WECHAT_API_TIMEOUT": "10",
        "TEMPLATE_POLICY_PUSH": TEMPLATE_ID,
        "TEMPLATE_DAILY_QUOTA": str(max(100_000, args.recipients * 2)),
        "PUSH_CONCURRENCY": str(args.concurrency),
        "PUSH_RATE_PER_SECOND": str(args.rate),
        "PUSH_FREQUENCY_CAP_PER_WEEK": "0",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }


# -- the simulator on its own ---------------------------------------------------------------


async def simulator_capacity(sim_url: str, *, requests: int, concurrency: int) -> float:
    """Template sends a second the simulator answers, driven by a bare aiohttp client."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        async with http.post(
            f"{sim_url}/cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": BENCH_APPID, "secret": BENCH_SECRET},
        ) as response:
            token = (await response.json())["access_token"]
        counter = iter(range(requests))

        async def one() -> None:
            for n in counter:
                body = {
                    "touser": f"oSimCheck{n:08d}",
                    "template_id": TEMPLATE_ID,
                    "data": {"thing1": {"value": "容量测试"}},
                    "client_msg_id": f"simcheck-{n}",
                }
                async with http.post(f"{sim_url}{TEMPLATE_API}", params={"access_token": token}, json=body) as response:
                    await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


async def sim_post(sim_url: str, path: str, body: dict | None = None) -> dict:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sim_url}{path}", json=body or {}) as response:
            text = await response.text()
            if response.status != 200:
                raise SystemExit(f"simulator {path}: HTTP {response.status} {text}")
            return await response.json(content_type=None)


async def sim_get(sim_url: str, path: str, params: dict | None = None) -> dict:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as http:
        async with http.get(f"{sim_url}{path}", params=params or {}) as response:
            assert response.status == 200, await response.text()
            return await response.json()


async def prepare_simulator(sim_url: str, args: argparse.Namespace) -> None:
    """No callback server in this run: delivery reports would only cost the simulator CPU.
    Full records are capped (counters stay exact); the transient-error fault is installed."""
    await sim_post(sim_url, "/_sim/config", {"template_finish_events": False})
    if args.transient_error_rate > 0:
        await sim_post(sim_url, "/_sim/faults", {
            "api": TEMPLATE_API, "kind": "errcode", "errcode": -1, "times": None,
            "probability": args.transient_error_rate,
        })


# -- data ------------------------------------------------------------------------------------


def _series(dialect: str, count_param: str) -> str:
    """A CTE `seq(n)` of 1..count, on both backends."""
    if dialect == "postgres":
        return f"WITH seq(n) AS (SELECT generate_series(1, {count_param}))"
    return f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count_param})"


async def seed(args: argparse.Namespace) -> dict[str, int]:
    """The audience's followers (and for policy_match their enterprises, people and bindings),
    plus followers outside it; a published policy targeting the audience's district. Returns
    row counts. One INSERT ... SELECT per table (ids are the series numbers: a fresh database)."""
    from tortoise import connections

    from app.policy.models import Policy, PolicyStatus, SupportType
    from app.policy.service import shanghai_today

    connection = connections.get("default")
    dialect = connection.capabilities.dialect
    pg = dialect == "postgres"
    p = (lambda n: f"${n}") if pg else (lambda n: f"?{n}")  # SQLite numbers ?NNN too
    now = datetime.now(UTC)
    audience = args.recipients
    outside = args.recipients // 10 if args.audience == "policy_match" else 0
    total = audience + outside
    lpad = (lambda expr, width: f"lpad({expr}::text, {width}, '0')") if pg else \
        (lambda expr, width: f"printf('%0{width}d', {expr})")
    true = "TRUE" if pg else "1"

    async def insert(sql: str, params: list) -> None:
        await connection.execute_query(sql, params)

    if args.audience == "policy_match":
        district = f"CASE WHEN n <= {p(2)} THEN '{TARGET_DISTRICT}' ELSE '{OTHER_DISTRICT}' END"
        await insert(
            f"{_series(dialect, p(1))} INSERT INTO enterprise (id, credit_code, name, legal_representative, district, "
            "industry_section, industry_division, size_class, ownership, registered_capital, established_on, "
            "lifecycle_stage, tags, address, contact_phone, created_at, updated_at) "
            f"SELECT n, 'B' || {lpad('n', 17)}, '基准推送企业' || n || '有限公司', '王五', {district}, 'C', '39', 'small', "
            f"'private', 100, {p(3)}, 'growth', '[]', '', '', {p(4)}, {p(4)} FROM seq",
            [total, audience, datetime(2015, 1, 1).date(), now],
        )
        await insert(
            f"{_series(dialect, p(1))} INSERT INTO wechat_user (id, unionid, phone, created_at, messages_read_up_to) "
            f"SELECT n, 'uBench' || {lpad('n', 8)}, '', {p(2)}, 0 FROM seq",
            [total, now],
        )
        await insert(
            f"{_series(dialect, p(1))} INSERT INTO enterprise_binding (id, role, verified_by, created_at, enterprise_id, "
            f"user_id) SELECT n, 'contact', 'bench', {p(2)}, n, n FROM seq",
            [total, now],
        )
        user_id = "n"
    else:
        user_id = "NULL"
    await insert(
        f"{_series(dialect, p(1))} INSERT INTO follower (id, openid, subscribed, subscribe_scene, remark, wechat_tag_ids, "
        f"unreachable_reason, created_at, updated_at, user_id) SELECT n, 'oBench' || {lpad('n', 8)}, {true}, '', '', '[]', "
        f"'', {p(2)}, {p(2)}, {user_id} FROM seq",
        [total, now],
    )
    if pg:
        for table in ("enterprise", "wechat_user", "enterprise_binding", "follower"):
            await connection.execute_query(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT max(id) FROM {table}), 1))")
        await connection.execute_script("ANALYZE")
    targeting = {"districts": [TARGET_DISTRICT]} if args.audience == "policy_match" else {}
    await Policy.create(
        title="浦东新区关于支持科技型中小企业研发投入的若干措施",
        support_type=SupportType.subsidy,
        status=PolicyStatus.published,
        expiry_date=shanghai_today() + timedelta(days=365),
        apply_end=shanghai_today() + timedelta(days=60),
        targeting=targeting,
    )
    return {"audience": audience, "outside": outside}


async def progress_counts(campaign_id: int) -> dict[str, int]:
    from tortoise import connections

    connection = connections.get("default")
    placeholder = "$1" if connection.capabilities.dialect == "postgres" else "?"
    rows = await connection.execute_query_dict(
        f"SELECT status, COUNT(*) AS n FROM push_delivery WHERE campaign_id = {placeholder} GROUP BY status",
        [campaign_id],
    )
    return {str(row["status"]): int(row["n"]) for row in rows}


def exactly_once(stats: dict, expected: int) -> tuple[bool, str]:
    """Every audience follower exactly one template message with our template, nobody else any."""
    histogram = {int(k): v for k, v in stats.get("histograms", {}).get("template", {}).items()}
    by_template = stats.get("template_ids", {})
    recipients = stats["recipients"]
    ok = histogram == {1: expected} and recipients == expected and by_template == {TEMPLATE_ID: expected}
    return ok, (f"{recipients:,} distinct recipients; openids by messages received {histogram}; "
                f"messages by template {by_template}")


# -- the run ---------------------------------------------------------------------------------


async def run(args: argparse.Namespace, var_dir: Path, database_url: str) -> int:
    from arq.connections import ArqRedis

    from app import db
    from app.config import Settings
    from app.push import service
    from app.push.models import CampaignStatus, PushCampaign
    from app.push.sender import LatencyHistogram
    from app.redis_client import EmbeddedRedis, connect

    embedded = None
    redis_url = args.redis_url
    if not redis_url:
        embedded = EmbeddedRedis(var_dir / "redis")
        redis_url = embedded.ensure_started()
    sim_port = free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    env = base_env(args, var_dir, database_url=database_url, redis_url=redis_url, api_base=sim_url)
    processes: list[QiyunProcess] = []
    redis = connect(redis_url)
    try:
        simulator = start_qiyun("simulator", "--port", str(sim_port), "--latency-ms", str(args.latency_ms), env=env)
        processes.append(simulator)
        await wait_http(f"{sim_url}/_sim", timeout=30)
        sim_baseline = rss_kib(simulator.pid)

        if not args.skip_simulator_check:
            await sim_post(sim_url, "/_sim/config", {"template_finish_events": False})
            capacity = await simulator_capacity(sim_url, requests=args.simulator_check, concurrency=args.concurrency)
            print(f"simulator alone : {capacity:,.0f} template sends/s "
                  f"({args.simulator_check:,} sends, {args.concurrency} in flight, {args.latency_ms} ms latency)")
            await sim_post(sim_url, "/_sim/reset")
        await prepare_simulator(sim_url, args)

        started = time.perf_counter()
        await db.apply_migrations(database_url)
        await db.open_database(database_url)
        version = await database_version(database_url)
        print(f"schema          : migrated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        seeded = await seed(args)
        print(f"setup           : {seeded['audience']:,} audience followers"
              + (f" (+ {seeded['outside']:,} outside the targeting; enterprises, people and bindings for each)"
                 if args.audience == "policy_match" else "")
              + f" written in {time.perf_counter() - started:.1f} s")

        for _ in range(args.workers):
            processes.append(start_qiyun("worker", env=env, quiet=not args.verbose))
        workers = processes[1:]
        await asyncio.sleep(3.0)  # let the workers import and connect
        baseline = {p.pid: rss_kib(p.pid) for p in workers}

        settings = Settings(_env_file=None, **{k.lower(): v for k, v in env.items() if k.lower() in Settings.model_fields})
        from app.policy.models import Policy

        policy = await Policy.filter().order_by("-id").first()
        campaign = await service.create_campaign(
            staff=None, title="基准测试推送", policy_id=policy.id, audience={"kind": args.audience},
            template_name="policy_push", settings=settings,
        )
        started = time.perf_counter()
        campaign = await service.start_campaign(staff=None, campaign_id=campaign.id, settings=settings, redis=redis)
        materialised = time.perf_counter() - started
        print(f"audience        : {campaign.total:,} ledger rows materialised by start_campaign in {materialised:.2f} s "
              f"({args.audience}: INSERT ... SELECT)")

        t0 = time.perf_counter()
        samples: list[tuple[float, int, dict[int, int]]] = []
        deadline = t0 + args.max_seconds
        status = CampaignStatus.running
        watched = [*workers, simulator]
        while time.perf_counter() < deadline:
            await asyncio.sleep(1.0)
            counts = await progress_counts(campaign.id)
            done = sum(n for s, n in counts.items() if s not in ("queued", "sending"))
            samples.append((time.perf_counter() - t0, done, {p.pid: rss_kib(p.pid) for p in watched}))
            if args.verbose or (len(samples) % 60 == 0):
                print(f"  {samples[-1][0]:6.0f} s  {done:>9,} done  {counts}", flush=True)
            status = CampaignStatus((await PushCampaign.get(id=campaign.id)).status)
            if status is not CampaignStatus.running:
                break
        elapsed = time.perf_counter() - t0
        peaks = {p.pid: rss_kib(p.pid, "VmHWM") for p in watched}

        counts = await progress_counts(campaign.id)
        sent = counts.get("sent", 0) + counts.get("delivered", 0)
        histogram = LatencyHistogram()
        arq = ArqRedis(connection_pool=redis.connection_pool)
        for _ in range(100):  # the last slices write their results just after the campaign completes
            if not [key async for key in redis.scan_iter(match="arq:in-progress:*")]:
                break
            await asyncio.sleep(0.2)
        for result in await arq.all_job_results():
            if result.function == "push_run" and isinstance(result.result, dict):
                histogram.add_sparse(result.result.get("latency_hist") or {})
        stats = await sim_get(sim_url, "/_sim/stats", {"summary": "1"})
        faults = (await sim_get(sim_url, "/_sim/faults"))["faults"]
        injected = sum(f["fired"] for f in faults)

        first = next((t for t, done, _ in samples if done), elapsed)
        print(f"campaign        : {status.value}, {counts}")
        print(f"sends/s         : {sent / elapsed:,.0f} overall ({sent:,} in {elapsed:.1f} s), "
              f"{sent / max(elapsed - first + 1.0, 0.001):,.0f} once sending")
        print(f"transient errors: {injected:,} template sends answered errcode -1 "
              f"({args.transient_error_rate:.1%} asked; {stats['errors']}), all retried")
        print(f"send latency    : p50 {histogram.percentile(50):.0f} ms, p99 {histogram.percentile(99):.0f} ms "
              f"({histogram.count:,} sends measured in the workers, simulator latency {args.latency_ms} ms)")
        for process in watched:
            pid = process.pid
            series = [rss[pid] for _, _, rss in samples if rss.get(pid)]
            quarters = [series[int(len(series) * q)] for q in (0.25, 0.5, 0.75)] + [series[-1]] if series else []
            before = sim_baseline if process is simulator else baseline[pid]
            label = "simulator RSS   " if process is simulator else "sender RSS      "
            print(f"{label}: pid {pid}: before {before / 1024:.0f} MiB, at 25/50/75/100 % "
                  f"{' / '.join(f'{v / 1024:.0f}' for v in quarters)} MiB, peak {peaks[pid] / 1024:.0f} MiB")
        once, detail = exactly_once(stats, args.recipients)
        print(f"exactly once    : {'yes' if once else 'NO'}: {detail}")
        print(f"run             : database {urlsplit(database_url).scheme}, {args.workers} worker process(es), "
              f"PUSH_CONCURRENCY={args.concurrency}, PUSH_RATE_PER_SECOND={args.rate}")
        print(machine_line(version))
        ok = status is CampaignStatus.completed and once and sent == args.recipients
        return 0 if ok else 1
    finally:
        stop_processes(processes)
        await redis.aclose()
        await db.close_database()
        if embedded is not None:
            embedded.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--audience", choices=("policy_match", "everyone"), default="policy_match",
                        help="policy_match: the policy's targeting over the register (default); everyone: all followers")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--transient-error-rate", type=float, default=0.01,
                        help="share of template sends the simulator answers errcode -1 (default 0.01)")
    parser.add_argument("--workers", type=int, default=1, help="sender processes (qiyun worker)")
    parser.add_argument("--concurrency", type=int, default=128, help="PUSH_CONCURRENCY: sends in flight per worker")
    parser.add_argument("--rate", type=int, default=1500, help="PUSH_RATE_PER_SECOND (shared by all workers)")
    parser.add_argument("--database-url", help="a PostgreSQL server (a scratch database is created on it)")
    parser.add_argument("--redis-url", help="default: an embedded redis-server in the temporary directory")
    parser.add_argument("--simulator-check", type=int, default=20_000, help="sends for the simulator-alone check")
    parser.add_argument("--skip-simulator-check", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=3600)
    parser.add_argument("--verbose", action="store_true", help="print progress every second")
    args = parser.parse_args(argv)
    if not 1 <= args.recipients <= MAX_RECIPIENTS:
        parser.error(f"--recipients must be 1..{MAX_RECIPIENTS}")
    if not 1 <= args.workers <= 16 or not 1 <= args.concurrency <= 1024:
        parser.error("--workers must be 1..16 and --concurrency 1..1024")
    if not 0 <= args.transient_error_rate < 1:
        parser.error("--transient-error-rate must be in [0, 1)")

    var_dir = Path(tempfile.mkdtemp(prefix="qiyun-pushbench-"))
    scratch = None
    try:
        if args.database_url:
            require_loopback(args.database_url, "--database-url")
            database_url = scratch = asyncio.run(scratch_database(args.database_url, prefix="qiyun_bench_push"))
        else:
            database_url = f"sqlite://{var_dir / 'bench.sqlite3'}"
        if args.redis_url:
            require_loopback(args.redis_url, "--redis-url")
        print(f"push campaign benchmark: {args.recipients:,} recipients, simulator latency {args.latency_ms} ms, "
              f"{args.transient_error_rate:.1%} transient errors")
        return asyncio.run(run(args, var_dir, database_url))
    finally:
        if scratch is not None:
            asyncio.run(drop_database(scratch))
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
