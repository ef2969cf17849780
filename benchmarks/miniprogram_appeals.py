"""Mini-program users filing and listing appeals against `qiyun serve --workers 2` on PostgreSQL.

    python benchmarks/miniprogram_appeals.py --database-url postgres://postgres@127.0.0.1:5432/postgres \\
        --redis-url redis://127.0.0.1:6379/9
    python benchmarks/miniprogram_appeals.py --database-url ... --users 20 --appeals-per-user 2 --workers 1

--users people sign in as the mini-program does (a login code minted by the WeChat simulator,
POST /mp/v1/auth/login); half of them get an enterprise binding, written directly in the
database (setup, not measured). Then all of them at once, each in its own loop: file
--appeals-per-user appeals (POST /mp/v1/appeals, multipart; every other one with one small
PNG photo, those of bound users for their enterprise), each with its own Idempotency-Key, and
list their appeals (GET /mp/v1/appeals) after each filing. Prints requests/s and p50/p99 per
endpoint, the error count (must be 0) and, from the database afterwards, that every filed
appeal is there exactly once: one row per idempotency key, per user exactly the number they
filed, attachments on the photo ones. Exits 1 otherwise.

The API's per-person rate limit (API_RATE_LIMIT_PER_MINUTE, 120 by default) is raised for the
run to --rate-limit (default 100,000): this measures the service, not the limiter.

A scratch database is created on the given PostgreSQL server and dropped afterwards; the
server, its workers and the simulator run on loopback and are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import statistics
import struct
import sys
import tempfile
import time
import uuid
import zlib
from collections import defaultdict
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.support import (  # noqa: E402
    QiyunProcess,
    database_version,
    drop_database,
    free_port,
    machine_line,
    percentile,
    require_loopback,
    rss_kib,
    scratch_database,
    start_qiyun,
    stop_processes,
    wait_http,
)

OA_APPID, OA_SECRET = "wx" + "00112233445566cc", "c" * 32
MP_APPID, MP_SECRET = "wx" + "00112233445566dd", "d" * 32
DESCRIPTION = "高新技术企业认定材料已提交两个月，至今没有收到任何反馈，请帮助了解办理进度。第{n}次反映。"


def png(seed: int) -> bytes:
    """A tiny valid PNG (1×1 pixel)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixel = zlib.compress(b"\x00" + bytes([seed % 256, 80, 160]))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixel) + chunk(b"IEND", b"")


def environment(args: argparse.Namespace, var_dir: Path, *, database_url: str, sim_url: str, port: int) -> dict:
    return {
        **os.environ,
        "QIYUN_ENV": "development",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "WECHAT_APPID": OA_APPID,
        "WECHAT_SECRET": OA_SECRET,
        "WECHAT_TOKEN": "qiyunbenchtoken",
        "WECHAT_AES_KEY": "benchmarkbenchmarkbenchmarkbenchmark1234567",
        "WECHAT_API_BASE": sim_url,
        "MINIPROGRAM_APPID": MP_APPID,
        "MINIPROGRAM_SECRET": MP_SECRET,
        "MINIPROGRAM_TOKEN": "qiyunbenchmptoken",
        "MINIPROGRAM_AES_KEY": "minibenchminibenchminibenchminibench1234567",
        "API_RATE_LIMIT_PER_MINUTE": str(args.rate_limit),
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }


async def setup_database(database_url: str) -> None:
    """Schema and the demo organisations (appeals are routed to the coordination office)."""
    from app import db
    from app.demo import demo_organisations
    from app.organisation.service import upsert_organisations

    await db.apply_migrations(database_url)
    await db.open_database(database_url)
    await upsert_organisations(demo_organisations())


async def bind_enterprises(user_ids: list[int]) -> dict[int, int]:
    """One enterprise and an active binding for each of `user_ids` (setup, straight into the DB)."""
    from datetime import date
    from decimal import Decimal

    from app.enterprise.models import Enterprise
    from app.identity.models import EnterpriseBinding

    await Enterprise.bulk_create([
        Enterprise(credit_code=f"9131B{user_id:013d}", name=f"基准诉求企业{user_id}有限公司", legal_representative="王五",
                   district="310115", industry_section="C", industry_division="39", size_class="small",
                   ownership="private", registered_capital=Decimal(100), established_on=date(2015, 1, 1),
                   lifecycle_stage="growth", tags=[])
        for user_id in user_ids
    ], batch_size=1000)
    found = dict(await Enterprise.filter(credit_code__startswith="9131B").values_list("credit_code", "id"))
    bound = {user_id: found[f"9131B{user_id:013d}"] for user_id in user_ids}
    await EnterpriseBinding.bulk_create([
        EnterpriseBinding(user_id=user_id, enterprise_id=enterprise_id, role="contact", verified_by="bench")
        for user_id, enterprise_id in bound.items()
    ], batch_size=1000)
    return bound


class Client:
    """One mini-program user: signs in, files appeals, lists them; timings per endpoint."""

    def __init__(self, http: aiohttp.ClientSession, base: str, sim_url: str, n: int) -> None:
        self.http, self.base, self.sim_url, self.n = http, base, sim_url, n
        self.openid = f"oBenchMp{n:07d}-{uuid.uuid4().hex[:6]}"
        self.token = ""
        self.user_id = 0
        self.enterprise_id: int | None = None
        self.keys: list[str] = []
        self.photos = 0

    async def login(self, timings: dict[str, list[float]], errors: list[str]) -> None:
        async with self.http.post(f"{self.sim_url}/_sim/login_codes", json={"appid": MP_APPID, "openid": self.openid}) as r:
            code = (await r.json())["code"]
        started = time.perf_counter()
        async with self.http.post(f"{self.base}/mp/v1/auth/login", json={"code": code}) as response:
            body = await response.json(content_type=None)
            timings["POST /mp/v1/auth/login"].append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                errors.append(f"login {response.status}: {body}")
                return
        self.token, self.user_id = body["token"], int(body["user"]["id"])

    async def file(self, number: int, timings: dict[str, list[float]], errors: list[str]) -> None:
        form = aiohttp.FormData()
        fields = {"category": "technology", "description": DESCRIPTION.format(n=number), "contact_name": "张三",
                  "contact_phone": "13812345678", "contact_preference": "phone"}
        if self.enterprise_id is not None:
            fields["enterprise_id"] = str(self.enterprise_id)
        for name, value in fields.items():
            form.add_field(name, value)
        with_photo = number % 2 == 1
        if with_photo:
            form.add_field("photos", png(self.n + number), filename="现场照片.png", content_type="image/png")
        key = f"bench-{self.openid}-{number}"
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        label = "POST /mp/v1/appeals (photo)" if with_photo else "POST /mp/v1/appeals (text)"
        started = time.perf_counter()
        async with self.http.post(f"{self.base}/mp/v1/appeals", data=form, headers=headers) as response:
            text = await response.text()
            timings[label].append((time.perf_counter() - started) * 1000)
            if response.status != 201:
                errors.append(f"{label} {response.status}: {text[:200]}")
                return
        self.keys.append(key)
        self.photos += with_photo

    async def list(self, timings: dict[str, list[float]], errors: list[str]) -> None:
        started = time.perf_counter()
        async with self.http.get(f"{self.base}/mp/v1/appeals", headers={"Authorization": f"Bearer {self.token}"}) as r:
            body = await r.json(content_type=None)
            timings["GET /mp/v1/appeals"].append((time.perf_counter() - started) * 1000)
            if r.status != 200 or body.get("total", -1) < len(self.keys):
                errors.append(f"list {r.status}: total {body.get('total')} < filed {len(self.keys)}")


async def verify(clients: list[Client]) -> list[str]:
    """Every filed appeal exactly once: per idempotency key, per user, photos attached."""
    import hashlib

    from app.appeal.models import Appeal, AppealAttachment
    from app.identity.models import MiniProgramUser

    failures = []
    accounts = dict(await MiniProgramUser.filter(openid__in=[c.openid for c in clients]).values_list("openid", "id"))
    expected_keys = {f"mp:{accounts.get(c.openid)}:{hashlib.sha256(k.encode()).hexdigest()}"
                     for c in clients for k in c.keys}
    rows = await Appeal.filter(idempotency_key__startswith="mp:").values_list("idempotency_key", "submitter_id")
    keys = [key for key, _ in rows]
    per_user: dict[int, int] = defaultdict(int)
    for _, submitter in rows:
        per_user[submitter] += 1
    filed = sum(len(c.keys) for c in clients)
    if len(keys) != filed or set(keys) != expected_keys:
        failures.append(f"{len(keys):,} appeal rows ({len(set(keys)):,} keys) for {filed:,} filed")
    wrong = [c.n for c in clients if per_user.get(c.user_id, 0) != len(c.keys)]
    if wrong:
        failures.append(f"{len(wrong)} users with another number of appeals than they filed, e.g. user #{wrong[0]}")
    photos = await AppealAttachment.filter(appeal__idempotency_key__startswith="mp:").count()
    if photos != sum(c.photos for c in clients):
        failures.append(f"{photos} attachments for {sum(c.photos for c in clients)} photo appeals")
    return failures


async def run(args: argparse.Namespace, var_dir: Path, database_url: str) -> int:
    from app import db

    sim_port, port = free_port(), free_port()
    sim_url, base = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{port}"
    env = environment(args, var_dir, database_url=database_url, sim_url=sim_url, port=port)
    processes: list[QiyunProcess] = []
    try:
        started = time.perf_counter()
        await setup_database(database_url)
        version = await database_version(database_url)
        print(f"schema          : migrated and seeded in {time.perf_counter() - started:.1f} s")
        processes.append(start_qiyun("simulator", "--port", str(sim_port), env=env))
        processes.append(start_qiyun("serve", "--port", str(port), "--workers", str(args.workers), env=env,
                                     quiet=not args.verbose))
        await wait_http(f"{sim_url}/_sim", timeout=60)
        await wait_http(f"{base}/healthz", ok_below=300, timeout=300)  # /readyz times its probes out under load

        timings: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        gate = asyncio.Semaphore(args.concurrency)
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
            clients = [Client(http, base, sim_url, n) for n in range(args.users)]

            async def login(client: Client) -> None:
                async with gate:
                    await client.login(timings, errors)

            started = time.perf_counter()
            await asyncio.gather(*(login(c) for c in clients))
            print(f"sign-in         : {args.users:,} users in {time.perf_counter() - started:.1f} s")
            signed_in = [c for c in clients if c.token]
            bound = await bind_enterprises([c.user_id for c in signed_in[::2]])
            for client in signed_in:
                client.enterprise_id = bound.get(client.user_id)

            async def user_loop(client: Client) -> None:
                for number in range(args.appeals_per_user):
                    async with gate:
                        await client.file(number, timings, errors)
                    async with gate:
                        await client.list(timings, errors)

            started = time.perf_counter()
            await asyncio.gather(*(user_loop(c) for c in signed_in))
            wall = time.perf_counter() - started
        rss = {p.args[0]: sum(rss_kib(pid) for pid in p.group_pids()) for p in processes}

        requests = sum(len(v) for k, v in timings.items() if not k.startswith("POST /mp/v1/auth"))
        print(f"load            : {len(signed_in):,} users × {args.appeals_per_user} appeals (+ a list after each), "
              f"{args.concurrency} requests in flight, server --workers {args.workers}, "
              f"API_RATE_LIMIT_PER_MINUTE={args.rate_limit}")
        print(f"throughput      : {requests / wall:,.1f} requests/s ({requests:,} requests in {wall:.1f} s)")
        print(f"  {'endpoint':<30} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for label, values in sorted(timings.items()):
            print(f"  {label:<30} {len(values):>6,} {statistics.median(values):>8.0f} {percentile(values, 0.99):>8.0f} "
                  f"{max(values):>8.0f}")
        print(f"errors          : {len(errors)}" + (f", e.g. {errors[0]}" if errors else ""))
        failures = await verify(signed_in)
        filed = sum(len(c.keys) for c in signed_in)
        print(f"exactly once    : {'yes' if not failures else 'NO'}: {filed:,} appeals filed, "
              + ("each once in the database (by idempotency key and per user), photos attached"
                 if not failures else "; ".join(failures)))
        print(f"RSS             : server {rss.get('serve', 0) / 1024:.0f} MiB (all its processes), "
              f"simulator {rss.get('simulator', 0) / 1024:.0f} MiB")
        print(machine_line(version))
        return 0 if not errors and not failures and len(signed_in) == args.users else 1
    finally:
        stop_processes(processes)
        await db.close_database()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--appeals-per-user", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    parser.add_argument("--workers", type=int, default=2, help="qiyun serve --workers")
    parser.add_argument("--rate-limit", type=int, default=100_000, help="API_RATE_LIMIT_PER_MINUTE for the run")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""),
                        help="a PostgreSQL server (a scratch database is created on it and dropped)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""), help="a loopback Redis (e.g. db 9)")
    parser.add_argument("--reuse-database", action="store_true",
                        help="run in the database the URL names (kept; migrations must be there) instead of a scratch one")
    parser.add_argument("--verbose", action="store_true", help="show the server's output")
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL server (several server processes share it)")
    if not args.redis_url:
        parser.error("--redis-url is required (the server processes share it)")
    require_loopback(args.database_url, "--database-url")
    require_loopback(args.redis_url, "--redis-url")
    var_dir = Path(tempfile.mkdtemp(prefix="qiyun-bench-mp-"))
    scratch = None if args.reuse_database else asyncio.run(scratch_database(args.database_url, prefix="qiyun_bench_mp"))
    try:
        print(f"mini-program appeals benchmark: {args.users:,} users, {args.appeals_per_user} appeals each")
        return asyncio.run(run(args, var_dir, scratch or args.database_url))
    finally:
        if scratch is not None:
            asyncio.run(drop_database(scratch))
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
