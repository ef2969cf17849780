"""`qiyun serve` and `qiyun worker` as an operator runs them: several workers, a clean SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp
import pytest

from tests.conftest import free_port, settings_env

pytestmark = pytest.mark.slow


async def start(*argv: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", *argv, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
    )


async def read_until(process: asyncio.subprocess.Process, text: bytes, *, count: int = 1, timeout: float = 60) -> bytes:
    """Read the process's output until `text` has appeared `count` times."""
    output = b""
    deadline = asyncio.get_running_loop().time() + timeout
    while output.count(text) < count:
        remaining = deadline - asyncio.get_running_loop().time()
        try:
            line = await asyncio.wait_for(process.stdout.readline(), max(remaining, 0.01))
        except TimeoutError:
            pytest.fail(f"no {text!r} x{count} after {timeout}s: {output.decode(errors='replace')[-2000:]}")
        assert line, f"process ended before {text!r}: {output.decode(errors='replace')[-2000:]}"
        output += line
    return output


class StillRunning(Exception):
    pass


async def stop(process: asyncio.subprocess.Process, timeout: float = 60) -> tuple[int, str]:
    """SIGTERM, then wait; on timeout kill the whole process group and raise StillRunning."""
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = await process.communicate()
        raise StillRunning(output.decode(errors="replace")[-3000:]) from None
    return process.returncode, output.decode(errors="replace")


async def test_serve_with_two_workers_is_ready_and_stops_cleanly_on_sigterm(settings, db):
    port = free_port()
    process = await start("serve", "--port", str(port), "--workers", "2", env=settings_env(settings))
    started = await read_until(process, b"Worker ready", count=2)
    assert started.count(b"Starting worker") == 2
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
            assert response.status == 200, await response.text()
        for _ in range(10):
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
    try:
        code, output = await stop(process)
    except StillRunning:
        # Seen a few times in 15 runs on a loaded machine: Sanic's worker manager spinning
        # after SIGTERM with two workers (see docs/known-issues.md). Not hidden: reported as xfail.
        pytest.xfail("Sanic's multi-worker manager did not exit within 60 s of SIGTERM")
    assert code == 0, output[-2000:]
    assert output.count("Worker complete") == 2, output[-2000:]


async def test_worker_starts_and_stops_cleanly_on_sigterm(settings, db):
    process = await start("worker", env=settings_env(settings))
    await read_until(process, b"Starting worker")
    code, rest = await stop(process)
    assert code == 0, rest[-2000:]
    assert "shutdown on SIGTERM" in rest
