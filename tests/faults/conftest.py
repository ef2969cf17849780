"""Fixtures for the fault tests: a Redis of their own to kill and restart, the simulator's
control API, and settings that make faults show quickly (short WeChat timeouts).

The shared test Redis (embedded, or QIYUN_TEST_REDIS_URL) is never killed: a test that
takes Redis down starts its own `redis-server` on a free port in a temporary directory,
with AOF (a restart keeps the data) or with no persistence at all (a restart loses it).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync

from app.redis_client import ping
from tests.conftest import free_port
from tests.push.conftest import SimControl as PushSimControl


class RedisServer:
    """A `redis-server` the test owns: start, kill (SIGKILL, a crash), restart on the same port."""

    def __init__(self, directory: Path, *, persistent: bool) -> None:
        self.directory = directory
        self.persistent = persistent
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        # AOF with fsync on every write: a SIGKILL loses nothing that was acknowledged (the
        # "appendfsync everysec" of most deployments may lose the last second).
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             *persistence, "--dir", str(self.directory), "--loglevel", "warning",
             "--logfile", str(self.directory / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self.alive():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.directory / 'redis.log'}")
            time.sleep(0.02)

    def alive(self) -> bool:
        return ping(host="127.0.0.1", port=self.port)

    def kill(self) -> None:
        """SIGKILL: every connection drops at once, nothing is written on the way out."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def dbsize(self) -> int:
        client = redis_sync.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)
        try:
            return int(client.dbsize())
        finally:
            client.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Callable[..., RedisServer]:
    """`redis_server(persistent=True)`: a started redis-server of this test, stopped afterwards."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not on PATH")
    started: list[RedisServer] = []

    def make(*, persistent: bool) -> RedisServer:
        server = RedisServer(tmp_path / f"redis{len(started)}", persistent=persistent)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.kill()


@dataclass
class SimControl(PushSimControl):
    """The push tests' simulator control, plus clearing faults, latency, configuration and
    call counts by API."""

    async def clear_faults(self) -> None:
        await self.call("DELETE", "/_sim/faults")

    async def latency(self, ms: int) -> None:
        await self.call("POST", "/_sim/latency", json={"ms": ms})

    async def configure(self, **values: Any) -> None:
        await self.call("POST", "/_sim/config", json=values)

    async def calls(self, api: str) -> int:
        stats = await self.call("GET", "/_sim/stats", params={"summary": "1"})
        return int(stats["calls"].get(api, 0))


@pytest.fixture
async def simctl(wechat, http) -> SimControl:
    return SimControl(url=wechat.url, http=http)


async def eventually(check: Callable[[], Any], *, timeout: float, interval: float = 0.1, what: str = "") -> Any:
    """Poll `check` (sync or async) until it returns something truthy; AssertionError after `timeout`.

    A bound on waiting, not a timed assertion: the tests assert outcomes, and the timeout
    only keeps a broken recovery from hanging the run."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            try:  # a check that hangs (a frozen connection) fails the test instead of hanging it
                result = await asyncio.wait_for(result, max(1.0, deadline - loop.time()))
            except TimeoutError:
                raise AssertionError(f"check hung for {timeout}s: {what or check}") from None
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout}s: {what or check}")
        await asyncio.sleep(interval)


async def stop_worker(worker: Any, running: asyncio.Task, *, timeout: float = 30) -> None:
    """Stop an in-process arq worker as SIGTERM does in production: no new jobs, the running ones
    finish (up to `timeout`), then the poll loop is cancelled and the worker closed. arq's
    `close()` alone cancels running jobs and then raises their CancelledError."""
    worker.allow_pick_jobs = False
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while any(not task.done() for task in worker.tasks.values()) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await worker.close()


@pytest.fixture
async def cleanup() -> AsyncIterator[list[Callable[[], Any]]]:
    """Callbacks (sync or async) run after the test, last added first."""
    callbacks: list[Callable[[], Any]] = []
    yield callbacks
    for callback in reversed(callbacks):
        result = callback()
        if asyncio.iscoroutine(result):
            await result
