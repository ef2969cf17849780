"""Throughput and latency of the official-account callback under concurrent followers.

Sends signed, AES-encrypted text messages (safe mode, as WeChat does) with distinct
MsgIds from a few hundred followers, and prints requests/s, p50/p99 latency and the
machine. Each message takes the full path: signature and decryption, de-dup claim,
follower update, message log in and out, router, encrypted reply.

    python benchmarks/callback.py                      # starts `qiyun serve` on the embedded default
    python benchmarks/callback.py --workers 4          # ... with 4 server processes
    python benchmarks/callback.py --url http://127.0.0.1:8000   # an already running server

Keyword policy search over many policies, on PostgreSQL + Redis, side by side with the usual
alternative (wechatpy + Flask under gunicorn, benchmarks/alternative/flask_callback.py, doing
the same search against the same database):

    python benchmarks/callback.py --database-url postgres://postgres@127.0.0.1:5432/qiyun_bench \
        --redis-url redis://127.0.0.1:6379/8 --policies 50000 --workers 2 --compare-flask \
        --concurrency 200 --requests 6000 --drop-database

With --policies the messages are keyword searches (the query mix of benchmarks/policy_search.py)
and the database gets that many generated policies (kept between runs unless --drop-database:
a database already holding exactly that many is reused). Before any timing, every query of the
mix is sent once to each server and its decrypted reply must carry the title of a policy that
is in the database.

Bounded on purpose: at most --requests messages and --max-seconds of sending, and only
against loopback addresses (this is a load generator; it must not be pointed elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from wechatpy.crypto import WeChatCrypto

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.support import (  # noqa: E402
    QiyunProcess,
    drop_database,
    ensure_database,
    free_port,
    group_cpu_seconds,
    machine_line,
    percentile,
    start_qiyun,
    wait_http,
)

BENCH_APPID = "wx" + "00112233445566aa"
BENCH_TOKEN = "qiyunbenchtoken"
BENCH_AES_KEY = "benchmarkbenchmarkbenchmarkbenchmark1234567"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_REQUESTS = 200_000
MAX_SECONDS = 600
MAX_POLICIES = 500_000
ALTERNATIVE_APP = "benchmarks.alternative.flask_callback:app"


@dataclass(frozen=True)
class Prepared:
    params: dict[str, str]
    body: bytes


@dataclass
class Measured:
    name: str
    processes: str
    latencies: list[float]
    failures: int
    wall: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    db_per_message: str = ""
    cpu_seconds: float | None = None
    """CPU (user + system) of the server's processes during the timed run."""
    notes: list[str] = field(default_factory=list)

    @property
    def cpu_ms_per_message(self) -> float | None:
        handled = len(self.latencies) + self.failures
        return self.cpu_seconds * 1000 / handled if self.cpu_seconds is not None and handled else None

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


def search_queries() -> list[str]:
    """The query mix of benchmarks/policy_search.py that finds policies (common and rare terms,
    synonyms, questions): what followers send the account most."""
    from benchmarks.policy_search import QUERIES

    return [query for kind, queries in QUERIES.items() if kind != "no hits" for query in queries]


def prepare(
    count: int,
    *,
    followers: int,
    token: str,
    aes_key: str,
    appid: str,
    contents: Sequence[str] = ("帮助",),
) -> list[Prepared]:
    """Every request built (and encrypted) before the clock starts, so the client's own
    crypto is not what is measured. Message n says contents[n % len(contents)]."""
    crypto = WeChatCrypto(token, aes_key, appid)
    base_msg_id = secrets.randbelow(10**12) * 10**6
    prepared = []
    for n in range(count):
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(8)
        openid = f"oBench{n % followers:08d}"
        content = contents[n % len(contents)]
        xml = (
            f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{base_msg_id + n}</MsgId></xml>"
        )
        envelope = crypto.encrypt_message(xml, nonce, timestamp)
        msg_signature = envelope.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
        signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
        params = {
            "signature": signature,
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": openid,
            "encrypt_type": "aes",
            "msg_signature": msg_signature,
        }
        prepared.append(Prepared(params, envelope.encode("utf-8")))
    return prepared


async def drive(
    url: str, requests: list[Prepared], *, concurrency: int, max_seconds: float
) -> tuple[list[float], int, float]:
    """(latencies in ms of good answers, failures, wall seconds)."""
    latencies: list[float] = []
    failures = 0
    queue = iter(requests)
    stop_at = time.perf_counter() + max_seconds
    connector = aiohttp.TCPConnector(limit=concurrency)

    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as http:

        async def worker() -> None:
            nonlocal failures
            for request in queue:
                if time.perf_counter() > stop_at:
                    return
                started = time.perf_counter()
                try:
                    async with http.post(
                        f"{url}/wechat/callback", params=request.params, data=request.body
                    ) as response:
                        body = await response.read()
                        ok = response.status == 200 and b"<Encrypt>" in body
                except (TimeoutError, aiohttp.ClientError):
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, failures, time.perf_counter() - started


def _cdata(xml: str, name: str) -> str | None:
    found = re.search(rf"<{name}>(?:<!\[CDATA\[(.*?)\]\]>|([^<]*))</{name}>", xml, re.S)
    return (found.group(1) if found.group(1) is not None else found.group(2)) if found else None


async def check_replies(
    url: str, queries: Sequence[str], *, token: str, aes_key: str, appid: str, database_url: str | None
) -> list[str]:
    """Send each query once; every reply must decrypt to a news card whose title is a policy
    in the database. Returns the titles; raises SystemExit with what was wrong otherwise."""
    crypto = WeChatCrypto(token, aes_key, appid)
    titles = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        for query in queries:
            request = prepare(1, followers=1, token=token, aes_key=aes_key, appid=appid, contents=[query])[0]
            async with http.post(f"{url}/wechat/callback", params=request.params, data=request.body) as response:
                body = (await response.read()).decode("utf-8")
            if response.status != 200 or "<Encrypt>" not in body:
                raise SystemExit(f"{url}: {query!r} got HTTP {response.status}: {body[:200]!r}")
            plain = crypto.decrypt_message(body, _cdata(body, "MsgSignature"), _cdata(body, "TimeStamp"), _cdata(body, "Nonce"))
            title = _cdata(plain, "Title")
            if not title:
                raise SystemExit(f"{url}: {query!r} got no news card: {plain[:300]!r}")
            titles.append(title.removeprefix("【已失效】"))
    if database_url and database_url.startswith("postgres"):
        import asyncpg

        connection = await asyncpg.connect("postgresql://" + database_url.split("://", 1)[1])
        try:
            for query, title in zip(queries, titles, strict=True):
                if not await connection.fetchval("SELECT COUNT(*) FROM policy WHERE title = $1", title):
                    raise SystemExit(f"{url}: {query!r} answered with {title!r}, which is no policy in the database")
        finally:
            await connection.close()
    return titles


def server_env(
    var_dir: Path, *, database_url: str | None, redis_url: str | None, api_base: str = "http://127.0.0.1:9"
) -> dict[str, str]:
    env = {
        **os.environ,
        "QIYUN_ENV": "development",
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "WECHAT_APPID": BENCH_APPID,
        "WECHAT_SECRET": "0" * 32,
        "WECHAT_TOKEN": BENCH_TOKEN,
        "WECHAT_AES_KEY": BENCH_AES_KEY,
        # Qiyun's run points this at a simulator (follow-up messages go out as customer-service
        # messages); the alternative calls out to nothing, so there it fails fast if it ever did.
        "WECHAT_API_BASE": api_base,
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_server(
    var_dir: Path,
    *,
    workers: int,
    database_url: str | None = None,
    redis_url: str | None = None,
    auto_head: bool = True,
    api_base: str = "http://127.0.0.1:9",
    extra_env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    env = server_env(var_dir, database_url=database_url, redis_url=redis_url, api_base=api_base)
    env.update(extra_env or {})
    if not auto_head:
        # sanic-ext's automatic HEAD/OPTIONS routes are added one by one at each worker's start,
        # each re-compiling the signal router: ~20 s of CPU per worker, minutes on a busy host
        # (longer than Sanic's start-up deadline). The callback (POST) does not use them.
        env.update(SANIC_HTTP_AUTO_HEAD="False", SANIC_HTTP_AUTO_OPTIONS="False", SANIC_CORS_AUTOMATIC_OPTIONS="False")
    subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(var_dir / "qiyun-serve.log").open("ab"),
        # Its own process group: Sanic's manager SIGKILLs its workers' whole group when a
        # shutdown is slow, which would otherwise take this script (and its shell) along.
        start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


def start_alternative(
    var_dir: Path, *, workers: int, worker_class: str, threads: int, database_url: str, redis_url: str
) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn serving the wechatpy + Flask endpoint (--preload: jieba loads once, then forks)."""
    env = server_env(var_dir, database_url=database_url, redis_url=redis_url)
    env["ALT_POOL_SIZE"] = str(threads if worker_class == "gthread" else 1)
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", worker_class,
        "--bind", f"127.0.0.1:{port}", "--preload", "--chdir", str(ROOT), "--log-level", "warning",
    ]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    process = subprocess.Popen(
        [*command, ALTERNATIVE_APP], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=(var_dir / "gunicorn.log").open("ab"), start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (its own session), SIGKILL to what is left."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait(timeout=10)


async def wait_ready(url: str, timeout: float = 240, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise SystemExit(f"server for {url} exited with {process.returncode}")
            try:
                async with http.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"server at {url} not ready after {timeout:.0f} s")


# -- the database ---------------------------------------------------------------------------------


async def seed_policies(database_url: str, count: int, *, seed: int = 2017) -> str:
    """`count` generated policies (benchmarks/policy_search.py's generator and bulk insert) and
    their search index; a database already holding exactly `count` is reused as it is."""
    from tortoise import connections

    from app import db
    from app.policy import segment
    from app.policy.models import Policy
    from app.policy.search import rebuild_index

    from benchmarks.policy_search import insert_policies

    await db.apply_migrations(database_url)
    await db.open_database(database_url)
    try:
        existing = await Policy.all().count()
        if existing == count:
            return f"{count:,} policies already in the database (reused)"
        if existing:
            raise SystemExit(f"the database holds {existing:,} policies, not {count:,}: use --drop-database or another one")
        await segment.ensure_ready()
        seconds, characters = await insert_policies(database_url, count, seed)
        started = time.perf_counter()
        indexed = await rebuild_index()
        indexing = time.perf_counter() - started
        if db.backend_name(database_url) == "postgres":  # what autovacuum does soon after a bulk load
            await connections.get("default").execute_script("VACUUM ANALYZE")
        return (
            f"{count:,} policies generated ({characters / count:,.0f} characters each), inserted in {seconds:.0f} s, "
            f"{indexed:,} indexed in {indexing:.0f} s"
        )
    finally:
        await db.close_database()


async def database_activity(database_url: str | None) -> dict[str, int]:
    """PostgreSQL's cumulative counters for the database (transactions, rows fetched/written)."""
    if not database_url or not database_url.startswith("postgres"):
        return {}
    import asyncpg

    parts = urlsplit(database_url)
    connection = await asyncpg.connect(parts._replace(scheme="postgresql", query="").geturl())
    try:
        row = await connection.fetchrow(
            "SELECT xact_commit + xact_rollback AS transactions, tup_fetched AS fetched, "
            "tup_inserted + tup_updated + tup_deleted AS written FROM pg_stat_database WHERE datname = current_database()"
        )
        return dict(row)
    finally:
        await connection.close()


def per_message(before: dict[str, int], after: dict[str, int], messages: int) -> str:
    """Database work per message, from the counters around a server's whole life (its backends
    have exited, so their statistics are flushed); the benchmark's own probes are a few."""
    if not before or not after or not messages:
        return ""
    delta = {key: after[key] - before[key] for key in before}
    return (f"{delta['transactions'] / messages:.1f} transactions, {delta['written'] / messages:.1f} rows written, "
            f"{delta['fetched'] / messages:,.0f} rows fetched")


def flush_redis(redis_url: str) -> None:
    """Empty the benchmark's Redis database (claims, nonces, remembered results) between runs."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


# -- the runs ---------------------------------------------------------------------------------------


def load() -> tuple[float, float, float]:
    return os.getloadavg()


def measure(
    name: str,
    processes: str,
    url: str,
    args: argparse.Namespace,
    *,
    contents: Sequence[str],
    token: str = BENCH_TOKEN,
    aes_key: str = BENCH_AES_KEY,
    appid: str = BENCH_APPID,
    pgid: int | None = None,
) -> Measured:
    """Warm-up load, then the timed run, against a ready server (with `pgid`, the server's
    process group, also the CPU its processes used during the timed run)."""
    kwargs = {"followers": args.followers, "token": token, "aes_key": aes_key, "appid": appid, "contents": contents}
    warmup = prepare(args.warmup, **kwargs)
    asyncio.run(drive(url, warmup, concurrency=args.concurrency, max_seconds=args.max_seconds))
    requests = prepare(args.requests, **kwargs)
    before = load()
    cpu_before = group_cpu_seconds(pgid) if pgid else None
    latencies, failures, wall = asyncio.run(
        drive(url, requests, concurrency=args.concurrency, max_seconds=args.max_seconds)
    )
    result = Measured(name, processes, latencies, failures, wall, before, load())
    if pgid and cpu_before is not None:
        result.cpu_seconds = group_cpu_seconds(pgid) - cpu_before
    print(f"  {name}: {result.throughput:,.0f} requests/s, {failures} failed", flush=True)
    return result


def run_qiyun(args: argparse.Namespace, scratch: Path, contents: Sequence[str], *, search_cache: bool) -> Measured:
    before = asyncio.run(database_activity(args.database_url))
    simulator, sim_url = start_simulator(scratch, args)
    cache_env = {} if search_cache else {"POLICY_SEARCH_CACHE_SECONDS": "0"}
    process, url = start_server(
        scratch, workers=args.workers, database_url=args.database_url, redis_url=args.redis_url,
        auto_head=not args.no_auto_head, api_base=sim_url, extra_env=cache_env,
    )
    name = "qiyun" if search_cache else "qiyun, no search cache"
    try:
        asyncio.run(wait_ready(url, process=process))
        if args.policies:
            titles = asyncio.run(check_replies(
                url, contents, token=BENCH_TOKEN, aes_key=BENCH_AES_KEY, appid=BENCH_APPID, database_url=args.database_url
            ))
            print(f"  qiyun: all {len(titles)} queries answered with a policy of the database, e.g. {titles[0]!r}")
        result = measure(name, f"{args.workers} Sanic worker(s)", url, args, contents=contents, pgid=process.pid)
        time.sleep(2)  # follow-ups still in flight
        custom = asyncio.run(custom_messages(sim_url))
        result.notes.append(f"{custom:,} follow-up customer-service messages delivered to the simulator")
    finally:
        stop(process)
        simulator.stop()
    messages = args.warmup + args.requests + (len(contents) if args.policies else 0)
    result.db_per_message = per_message(before, asyncio.run(database_activity(args.database_url)), messages)
    return result


def start_simulator(scratch: Path, args: argparse.Namespace) -> tuple[QiyunProcess, str]:
    """The WeChat simulator, for the follow-up messages Qiyun sends after a search's card
    (the numbered list, related public services) through the customer-service API."""
    port = free_port()
    env = server_env(scratch, database_url=None, redis_url=None)
    simulator = start_qiyun("simulator", "--port", str(port), "--latency-ms", str(args.wechat_latency_ms), env=env)
    sim_url = f"http://127.0.0.1:{port}"
    asyncio.run(wait_http(f"{sim_url}/_sim", timeout=60))
    return simulator, sim_url


async def custom_messages(sim_url: str) -> int:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sim_url}/_sim/stats", params={"summary": "1"}) as response:
            stats = await response.json()
    return int(stats.get("totals", {}).get("custom", 0))


def run_alternative(args: argparse.Namespace, scratch: Path, contents: Sequence[str], worker_class: str) -> Measured:
    workers = args.gunicorn_workers
    before = asyncio.run(database_activity(args.database_url))
    process, url = start_alternative(
        scratch, workers=workers, worker_class=worker_class, threads=args.threads,
        database_url=args.database_url, redis_url=args.redis_url,
    )
    name = f"flask+wechatpy gunicorn {worker_class}"
    described = f"{workers} gunicorn {worker_class} worker(s)" + (
        f" x {args.threads} threads" if worker_class == "gthread" else ""
    )
    try:
        asyncio.run(wait_ready(url, process=process))
        titles = asyncio.run(check_replies(
            url, contents, token=BENCH_TOKEN, aes_key=BENCH_AES_KEY, appid=BENCH_APPID, database_url=args.database_url
        ))
        print(f"  {name}: all {len(titles)} queries answered with a policy of the database, e.g. {titles[0]!r}")
        result = measure(name, described, url, args, contents=contents, pgid=process.pid)
    finally:
        stop(process)
    messages = args.warmup + args.requests + len(contents)
    result.db_per_message = per_message(before, asyncio.run(database_activity(args.database_url)), messages)
    return result


def print_table(results: list[Measured], args: argparse.Namespace) -> None:
    print(f"{'server':<34} {'processes':<36} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'ok':>6} {'failed':>6} {'CPU ms/msg':>10}  load avg before/after")
    for r in results:
        if r.latencies:
            figures = (f"{r.throughput:7,.0f} {percentile(r.latencies, 0.5):8.1f} {percentile(r.latencies, 0.99):8.1f} "
                       f"{max(r.latencies):8.1f}")
        else:
            figures = f"{'-':>7} {'-':>8} {'-':>8} {'-':>8}"
        cpu = f"{r.cpu_ms_per_message:10.1f}" if r.cpu_ms_per_message is not None else f"{'-':>10}"
        print(f"{r.name:<34} {r.processes:<36} {figures} {len(r.latencies):6} {r.failures:6} {cpu}  "
              f"{r.load_before[0]:.2f} / {r.load_after[0]:.2f}")
    print("(failed: no encrypted reply: an error, 10 s client timeout, or Qiyun's `success` after its 4 s deadline, "
          "whose reply then goes out as a customer-service message)")
    print("(CPU ms/msg: user + system CPU of the server's own processes during the timed run, per message; "
          "the database, Redis, the simulator and the load generator are not in it)")
    for r in results:
        if r.db_per_message:
            print(f"database work per message, {r.name}: {r.db_per_message}")
        for note in r.notes:
            print(f"{r.name}: {note}")
    for qiyun in (r for r in results if r.name.startswith("qiyun")):
        for other in results:
            if other.name.startswith("qiyun") or not other.throughput:
                continue
            ratio = f"throughput ratio {qiyun.name} / {other.name}: {qiyun.throughput / other.throughput:.2f}x"
            if qiyun.cpu_ms_per_message and other.cpu_ms_per_message:
                ratio += (f"; server CPU per message {qiyun.cpu_ms_per_message:.1f} ms against "
                          f"{other.cpu_ms_per_message:.1f} ms")
            print(ratio)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an already running server (loopback only); default: start one")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--followers", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1, help="server processes when the script starts the server")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--token", default=os.environ.get("WECHAT_TOKEN", BENCH_TOKEN), help="with --url")
    parser.add_argument("--aes-key", default=os.environ.get("WECHAT_AES_KEY", BENCH_AES_KEY), help="with --url")
    parser.add_argument("--appid", default=os.environ.get("WECHAT_APPID", BENCH_APPID), help="with --url")
    parser.add_argument("--database-url", help="postgres://…/NAME on loopback (created if missing); default embedded SQLite")
    parser.add_argument("--redis-url", help="redis://127.0.0.1:6379/N (FLUSHED before each run); default embedded")
    parser.add_argument("--policies", type=int, default=0, help="seed this many generated policies; messages become searches")
    parser.add_argument("--drop-database", action="store_true", help="drop --database-url's database at the end")
    parser.add_argument("--compare-flask", action="store_true", help="also run the wechatpy + Flask alternative")
    parser.add_argument(
        "--gunicorn-workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
        help="default 2 x cores + 1, gunicorn's documented recommendation",
    )
    parser.add_argument("--worker-classes", default="sync,gthread", help="gunicorn worker classes to try, comma separated")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (and its pool size)")
    parser.add_argument(
        "--no-auto-head", action="store_true",
        help="start Qiyun without sanic-ext's automatic HEAD/OPTIONS routes (much faster worker start on a busy host)",
    )
    parser.add_argument("--seed-only", action="store_true", help="seed --policies into --database-url and stop")
    parser.add_argument("--keep-logs", metavar="DIR", help="copy the servers' stderr logs there at the end")
    parser.add_argument("--only-flask", action="store_true", help="skip Qiyun (with --compare-flask; for development)")
    parser.add_argument("--search-cache", choices=("both", "on", "off"), default="both",
                        help="with --policies: run Qiyun with the shared search page cache, without, or both")
    parser.add_argument("--wechat-latency-ms", type=int, default=50,
                        help="the simulator's latency for Qiyun's follow-up customer-service messages")
    args = parser.parse_args(argv)

    if not 1 <= args.requests <= MAX_REQUESTS or not 0 < args.max_seconds <= MAX_SECONDS:
        parser.error(f"--requests must be 1..{MAX_REQUESTS} and --max-seconds 1..{MAX_SECONDS}")
    if not 1 <= args.concurrency <= 1024:
        parser.error("--concurrency must be 1..1024")
    if not 0 <= args.policies <= MAX_POLICIES:
        parser.error(f"--policies must be 0..{MAX_POLICIES}")
    for option in ("url", "database_url", "redis_url"):
        value = getattr(args, option)
        if value and urlsplit(value).hostname not in LOOPBACK:
            parser.error(f"--{option.replace('_', '-')} must be a loopback address (127.0.0.1, localhost, ::1)")
    if args.compare_flask and not (args.database_url and args.database_url.startswith("postgres") and args.redis_url):
        parser.error("--compare-flask needs --database-url postgres://… and --redis-url (the alternative shares them)")
    if args.url and (args.compare_flask or args.policies):
        parser.error("--url measures a running server as it is: no --compare-flask or --policies")
    classes = [name.strip() for name in args.worker_classes.split(",") if name.strip()]
    if not set(classes) <= {"sync", "gthread"}:
        parser.error("--worker-classes: sync and/or gthread")

    contents = search_queries() if args.policies else ["帮助"]
    print(machine_line(f"{platform.system()} {platform.release()}"))

    if args.url:  # an already running server, as before
        results = [measure("server at " + args.url, "?", args.url, args, contents=contents,
                           token=args.token, aes_key=args.aes_key, appid=args.appid)]
        print_table(results, args)
        return 0 if results[0].latencies and not results[0].failures else 1

    scratch = tempfile.TemporaryDirectory(prefix="qiyun-bench-")
    results: list[Measured] = []
    try:
        if args.database_url and args.database_url.startswith("postgres"):
            asyncio.run(ensure_database(args.database_url))
        if args.policies:
            started = time.perf_counter()
            url = args.database_url or f"sqlite://{Path(scratch.name) / 'db.sqlite3'}"
            if not args.database_url:
                args.database_url = url
            print(f"data: {asyncio.run(seed_policies(url, args.policies))} ({time.perf_counter() - started:.0f} s)")
        if args.seed_only:
            return 0
        backend = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "embedded SQLite"
        print(
            f"config: {backend} + {'Redis ' + args.redis_url if args.redis_url else 'embedded Redis'}; "
            f"{args.requests} messages ({'keyword searches: ' + ', '.join(contents) if args.policies else '帮助'}) "
            f"after {args.warmup} warm-up, {args.concurrency} concurrent, {args.followers} followers; "
            f"Qiyun {args.workers} worker(s){' (no automatic HEAD/OPTIONS routes)' if args.no_auto_head else ''}"
            + (f"; gunicorn {args.gunicorn_workers} workers ({'/'.join(classes)}"
               f"{f', gthread {args.threads} threads' if 'gthread' in classes else ''})" if args.compare_flask else "")
        )
        if not args.only_flask:
            variants = {"on": [True], "off": [False], "both": [True, False]}[args.search_cache]
            for search_cache in variants if args.policies else [True]:
                if args.redis_url:
                    flush_redis(args.redis_url)
                results.append(run_qiyun(args, Path(scratch.name), contents, search_cache=search_cache))
        if args.compare_flask:
            for worker_class in classes:
                flush_redis(args.redis_url)
                results.append(run_alternative(args, Path(scratch.name), contents, worker_class))
    finally:
        if args.redis_url and not args.seed_only:
            flush_redis(args.redis_url)
        if args.drop_database and args.database_url and args.database_url.startswith("postgres"):
            asyncio.run(drop_database(args.database_url))
        if args.keep_logs:
            for log in Path(scratch.name).glob("*.log"):
                target = Path(args.keep_logs) / log.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(log.read_bytes())
        scratch.cleanup()

    print_table(results, args)
    return 0 if results and all(r.latencies and not r.failures for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
