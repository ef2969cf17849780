"""A 100,000-recipient push campaign against the WeChat simulator with 50 ms latency.

Prints sends per second, p50/p99 send latency, the peak RSS of each sender (and RSS samples
along the way, to show memory stays flat), and checks that every follower got the message
exactly once. The senders are real `qiyun worker` processes (arq): the campaign is created
and started through `app.push.service`, exactly as the admin does it.

    python benchmarks/push_campaign.py                         # embedded SQLite + Redis
    python benchmarks/push_campaign.py --workers 2             # two sender processes
    python benchmarks/push_campaign.py --database-url postgres://postgres@127.0.0.1:5432/postgres
        # a fresh database is created on that server for the run and dropped afterwards

Also measured on its own first (unless --skip-simulator-check): what the simulator itself
can answer with the same latency, so a slow simulator cannot pass for a slow sender.

Everything runs on loopback, in a temporary directory, and is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_APPID = "wx" + "00112233445566bb"
BENCH_SECRET = "b" * 32
TEMPLATE_ID = "TPL_bench_policy_push"
MAX_RECIPIENTS = 1_000_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A process's resident set (VmRSS) or its peak (VmHWM), in KiB (Linux /proc)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def base_env(args: argparse.Namespace, var_dir: Path, *, database_url: str, redis_url: str, api_base: str) -> dict:
    env = {
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
        "TEMPLATE_DAILY_QUOTA": str(max(100_000, args.recipients)),
        "PUSH_CONCURRENCY": str(args.concurrency),
        "PUSH_RATE_PER_SECOND": str(args.rate),
        "PUSH_FREQUENCY_CAP_PER_WEEK": "0",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }
    return env


async def wait_port(url: str, path: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url + path) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not come up in {timeout:.0f} s")


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
                async with http.post(
                    f"{sim_url}/cgi-bin/message/template/send", params={"access_token": token}, json=body
                ) as response:
                    await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


# -- data ------------------------------------------------------------------------------------


async def seed(database_url: str, count: int) -> None:
    """`count` subscribed followers and a published policy, written by SQL (seconds, not minutes)."""
    from tortoise import connections

    from app.policy.models import Policy, PolicyStatus, SupportType
    from app.policy.service import shanghai_today

    connection = connections.get("default")
    now = datetime.now(UTC)
    columns = "openid, subscribed, subscribe_scene, remark, wechat_tag_ids, unreachable_reason, created_at, updated_at"
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query(
            f"INSERT INTO follower ({columns}) SELECT 'oBench' || lpad(n::text, 8, '0'), TRUE, '', '', '[]', '', "
            "$2, $2 FROM generate_series(1, $1) AS n",
            [count, now],
        )
    else:
        await connection.execute_query(
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?) "
            f"INSERT INTO follower ({columns}) SELECT printf('oBench%08d', n), 1, '', '', '[]', '', ?, ? FROM seq",
            [count, now, now],
        )
    await Policy.create(
        title="浦东新区关于支持科技型中小企业研发投入的若干措施",
        support_type=SupportType.subsidy,
        status=PolicyStatus.published,
        expiry_date=shanghai_today() + timedelta(days=365),
        apply_end=shanghai_today() + timedelta(days=60),
    )


async def progress_counts(campaign_id: int) -> dict[str, int]:
    from tortoise import connections

    connection = connections.get("default")
    placeholder = "$1" if connection.capabilities.dialect == "postgres" else "?"
    rows = await connection.execute_query_dict(
        f"SELECT status, COUNT(*) AS n FROM push_delivery WHERE campaign_id = {placeholder} GROUP BY status",
        [campaign_id],
    )
    return {str(row["status"]): int(row["n"]) for row in rows}


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
    processes: list[subprocess.Popen] = []
    redis = connect(redis_url)
    try:
        simulator = subprocess.Popen(
            [sys.executable, "-m", "app", "simulator", "--port", str(sim_port), "--latency-ms", str(args.latency_ms)],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        processes.append(simulator)
        await wait_port(sim_url, "/_sim")
        async with aiohttp.ClientSession() as http:
            # No callback server in this run: delivery reports would only cost the simulator CPU.
            async with http.post(f"{sim_url}/_sim/config", json={"template_finish_events": False}) as response:
                assert response.status == 200, await response.text()

        if not args.skip_simulator_check:
            capacity = await simulator_capacity(sim_url, requests=args.simulator_check, concurrency=args.concurrency)
            print(f"simulator alone : {capacity:,.0f} template sends/s "
                  f"({args.simulator_check:,} sends, {args.concurrency} in flight, {args.latency_ms} ms latency)")
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{sim_url}/_sim/reset") as response:
                    assert response.status == 200
                async with http.post(f"{sim_url}/_sim/config", json={"template_finish_events": False}) as response:
                    assert response.status == 200

        started = time.perf_counter()
        await db.apply_migrations(database_url)
        await db.open_database(database_url)
        await seed(database_url, args.recipients)
        print(f"seeded          : {args.recipients:,} followers in {time.perf_counter() - started:.1f} s")

        for _ in range(args.workers):
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "app", "worker"], env=env, cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL if not args.verbose else None,
            ))
        workers = processes[1:]
        await asyncio.sleep(3.0)  # let the workers import and connect
        baseline = {p.pid: rss_kib(p.pid) for p in workers}

        settings = Settings(_env_file=None, **{k.lower(): v for k, v in env.items() if k.lower() in Settings.model_fields})
        from app.policy.models import Policy

        policy = await Policy.filter().order_by("-id").first()
        campaign = await service.create_campaign(
            staff=None, title="基准测试推送", policy_id=policy.id, audience={"kind": "everyone"},
            template_name="policy_push", settings=settings,
        )
        started = time.perf_counter()
        campaign = await service.start_campaign(staff=None, campaign_id=campaign.id, settings=settings, redis=redis)
        materialised = time.perf_counter() - started
        print(f"ledger written  : {campaign.total:,} rows in {materialised:.2f} s (INSERT ... SELECT)")

        t0 = time.perf_counter()
        samples: list[tuple[float, int, dict[int, int]]] = []
        deadline = t0 + args.max_seconds
        status = CampaignStatus.running
        while time.perf_counter() < deadline:
            await asyncio.sleep(1.0)
            counts = await progress_counts(campaign.id)
            done = sum(n for s, n in counts.items() if s not in ("queued", "sending"))
            samples.append((time.perf_counter() - t0, done, {p.pid: rss_kib(p.pid) for p in workers}))
            if args.verbose:
                print(f"  {samples[-1][0]:6.1f} s  {done:>8,} done  {counts}")
            status = CampaignStatus((await PushCampaign.get(id=campaign.id)).status)
            if status is not CampaignStatus.running:
                break
        elapsed = time.perf_counter() - t0
        peaks = {p.pid: rss_kib(p.pid, "VmHWM") for p in workers}

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
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{sim_url}/_sim/stats", params={"summary": "1"}) as response:
                stats = await response.json()

        # Throughput over the steady part: from the first second with sends to completion.
        first = next((t for t, done, _ in samples if done), elapsed)
        print(f"campaign        : {status.value}, {counts}")
        print(f"sends/s         : {sent / elapsed:,.0f} overall ({sent:,} in {elapsed:.1f} s), "
              f"{sent / max(elapsed - first + 1.0, 0.001):,.0f} once sending")
        print(f"send latency    : p50 {histogram.percentile(50):.0f} ms, p99 {histogram.percentile(99):.0f} ms "
              f"({histogram.count:,} sends measured in the workers, simulator latency {args.latency_ms} ms)")
        for pid in peaks:
            series = [rss[pid] for _, _, rss in samples if rss.get(pid)]
            quarters = [series[int(len(series) * q)] for q in (0.25, 0.5, 0.75)] + [series[-1]] if series else []
            print(f"sender RSS      : pid {pid}: before {baseline[pid] / 1024:.0f} MiB, at 25/50/75/100 % "
                  f"{' / '.join(f'{v / 1024:.0f}' for v in quarters)} MiB, peak {peaks[pid] / 1024:.0f} MiB")
        template_total = stats["totals"].get("template", 0)
        most = stats.get("max_per_openid", {}).get("template", 0)
        print(f"exactly once    : {template_total:,} delivered by the simulator to {stats['recipients']:,} "
              f"followers, at most {most} each")
        print(f"machine         : {platform.python_implementation()} {platform.python_version()}, "
              f"{os.cpu_count()} CPUs, {platform.platform()}; database {urlsplit(database_url).scheme}, "
              f"{args.workers} worker process(es), PUSH_CONCURRENCY={args.concurrency}, "
              f"PUSH_RATE_PER_SECOND={args.rate}")
        ok = status is CampaignStatus.completed and most == 1 and template_total == sent == args.recipients
        return 0 if ok else 1
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(processes):
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
        await redis.aclose()
        await db.close_database()
        if embedded is not None:
            embedded.stop()


def postgres_scratch(server_url: str) -> tuple[str, callable]:
    """A fresh database on the given server, and a function that drops it."""
    import asyncpg

    name = f"qiyun_pushbench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    dsn = "postgresql://" + server_url.split("://", 1)[1]

    async def create() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(create())
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}")), lambda: asyncio.run(drop())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help="sender processes (qiyun worker)")
    parser.add_argument("--concurrency", type=int, default=128, help="PUSH_CONCURRENCY: sends in flight per worker")
    parser.add_argument("--rate", type=int, default=1500, help="PUSH_RATE_PER_SECOND (shared by all workers)")
    parser.add_argument("--database-url", help="a PostgreSQL server (a scratch database is created on it)")
    parser.add_argument("--redis-url", help="default: an embedded redis-server in the temporary directory")
    parser.add_argument("--simulator-check", type=int, default=20_000, help="sends for the simulator-alone check")
    parser.add_argument("--skip-simulator-check", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--verbose", action="store_true", help="print progress every second")
    args = parser.parse_args(argv)
    if not 1 <= args.recipients <= MAX_RECIPIENTS:
        parser.error(f"--recipients must be 1..{MAX_RECIPIENTS}")
    if not 1 <= args.workers <= 16 or not 1 <= args.concurrency <= 1024:
        parser.error("--workers must be 1..16 and --concurrency 1..1024")

    var_dir = Path(tempfile.mkdtemp(prefix="qiyun-pushbench-"))
    drop = None
    try:
        if args.database_url:
            if urlsplit(args.database_url).hostname not in {"127.0.0.1", "localhost", "::1"}:
                parser.error("--database-url must be a loopback PostgreSQL server")
            database_url, drop = postgres_scratch(args.database_url)
        else:
            database_url = f"sqlite://{var_dir / 'bench.sqlite3'}"
        print(f"push campaign benchmark: {args.recipients:,} recipients, simulator latency {args.latency_ms} ms")
        return asyncio.run(run(args, var_dir, database_url))
    finally:
        if drop is not None:
            drop()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
