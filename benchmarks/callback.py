"""Throughput and latency of the official-account callback under concurrent followers.

Sends signed, AES-encrypted text messages (safe mode, as WeChat does) with distinct
MsgIds from a few hundred followers, and prints requests/s, p50/p99 latency and the
machine. Each message takes the full path: signature and decryption, de-dup claim,
follower update, message log in and out, router, encrypted reply.

    python benchmarks/callback.py                      # starts `qiyun serve` on the embedded default
    python benchmarks/callback.py --workers 4          # ... with 4 server processes
    python benchmarks/callback.py --url http://127.0.0.1:8000   # an already running server

Bounded on purpose: at most --requests messages and --max-seconds of sending, and only
against loopback addresses (this is a load generator; it must not be pointed elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from wechatpy.crypto import WeChatCrypto

ROOT = Path(__file__).resolve().parent.parent
BENCH_APPID = "wx" + "00112233445566aa"
BENCH_TOKEN = "qiyunbenchtoken"
BENCH_AES_KEY = "benchmarkbenchmarkbenchmarkbenchmark1234567"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_REQUESTS = 200_000
MAX_SECONDS = 600


@dataclass(frozen=True)
class Prepared:
    params: dict[str, str]
    body: bytes


def prepare(count: int, *, followers: int, token: str, aes_key: str, appid: str) -> list[Prepared]:
    """Every request built (and encrypted) before the clock starts, so the client's own
    crypto is not what is measured."""
    crypto = WeChatCrypto(token, aes_key, appid)
    base_msg_id = secrets.randbelow(10**12) * 10**6
    prepared = []
    for n in range(count):
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(8)
        openid = f"oBench{n % followers:08d}"
        xml = (
            f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[帮助]]></Content><MsgId>{base_msg_id + n}</MsgId></xml>"
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(var_dir: Path, *, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **os.environ,
        "QIYUN_ENV": "development",
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "WECHAT_APPID": BENCH_APPID,
        "WECHAT_SECRET": "0" * 32,
        "WECHAT_TOKEN": BENCH_TOKEN,
        "WECHAT_AES_KEY": BENCH_AES_KEY,
        "WECHAT_API_BASE": "http://127.0.0.1:9",  # nothing should call out; if it does, it fails fast
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
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
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


async def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"server at {url} not ready after {timeout:.0f} s")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


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
    args = parser.parse_args(argv)

    if not 1 <= args.requests <= MAX_REQUESTS or not 0 < args.max_seconds <= MAX_SECONDS:
        parser.error(f"--requests must be 1..{MAX_REQUESTS} and --max-seconds 1..{MAX_SECONDS}")
    if not 1 <= args.concurrency <= 1024:
        parser.error("--concurrency must be 1..1024")
    if args.url and urlsplit(args.url).hostname not in LOOPBACK:
        parser.error("--url must be a loopback address (127.0.0.1, localhost, ::1)")

    process = None
    scratch = None
    url = args.url
    token, aes_key, appid = args.token, args.aes_key, args.appid
    if url is None:
        scratch = tempfile.TemporaryDirectory(prefix="qiyun-bench-")
        process, url = start_server(Path(scratch.name), workers=args.workers)
        token, aes_key, appid = BENCH_TOKEN, BENCH_AES_KEY, BENCH_APPID
    try:
        asyncio.run(wait_ready(url))
        warmup = prepare(args.warmup, followers=args.followers, token=token, aes_key=aes_key, appid=appid)
        asyncio.run(drive(url, warmup, concurrency=args.concurrency, max_seconds=args.max_seconds))
        requests = prepare(args.requests, followers=args.followers, token=token, aes_key=aes_key, appid=appid)
        latencies, failures, wall = asyncio.run(
            drive(url, requests, concurrency=args.concurrency, max_seconds=args.max_seconds)
        )
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if scratch is not None:
            scratch.cleanup()

    done = len(latencies)
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}"
    )
    print(
        f"server: {'started by the script' if process else url}, workers={args.workers if process else '?'}, "
        "embedded SQLite + Redis"
        if process
        else f"server: {url}"
    )
    print(f"messages: {done} answered, {failures} failed, concurrency {args.concurrency}, {args.followers} followers")
    if done:
        print(f"throughput: {done / wall:.0f} requests/s over {wall:.1f} s")
        print(
            f"latency: p50 {percentile(latencies, 0.50):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
            f"max {max(latencies):.1f} ms, mean {statistics.fmean(latencies):.1f} ms"
        )
    return 0 if done and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
