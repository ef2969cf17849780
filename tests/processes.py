"""Real `qiyun serve` and `qiyun worker` processes for tests: start, wait until ready, read
their logs, stop or kill them.

Each process runs `python -m app ...` in its own session (so its own process group: Sanic's
worker processes and anything else it spawns go with it), sees the tests' configuration
through `settings_env(settings)`, and has its stdout and stderr read by a background task
into `lines`, so a test can assert on the logs and a chatty child never blocks on a full pipe.

    async with Cluster(settings) as cluster:
        a, b = await cluster.server(), await cluster.server()
        w1, w2 = await cluster.worker(), await cluster.worker()
        ...  # a.url, w1.lines, await w2.kill(), ...
    # every process is stopped here, even when the test failed

Readiness: a server is ready when GET /readyz answers 200 (database, Redis and migrations
ok) and, with several Sanic workers, each has logged "Worker ready"; a job worker when it
has logged "job worker ready" (app/jobs/worker.py, after arq's on_startup opened its
connections). Both lines are INFO: do not start them with LOG_LEVEL above INFO.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from app.config import Settings
from tests.conftest import free_port, settings_env

ROOT = Path(__file__).resolve().parents[1]
WORKER_READY = "job worker ready"
SANIC_WORKER_READY = "Worker ready"


class ProcessFailed(AssertionError):
    """The process ended, or did not get ready in time; the message ends with its output."""


class StillRunning(Exception):
    """The process outlived SIGTERM by the timeout and was killed; args[0] is its output."""


class AppProcess:
    """One running `python -m app ...` and everything it has printed so far."""

    def __init__(self, name: str, argv: Sequence[str], env: Mapping[str, str], url: str | None = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.url = url
        self.lines: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> AppProcess:
        """Start the process (not waiting for readiness; see `wait_ready`)."""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", *self.argv,
            env=self.env, cwd=str(ROOT), start_new_session=True,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._read(), name=f"read {self.name}")
        return self

    async def wait_ready(self, timeout: float = 60) -> None:
        """Until the process can do its work; ProcessFailed if it ends or takes too long."""
        if self.argv[0] == "worker":
            await self.wait_for_line(WORKER_READY, timeout=timeout)
            return
        if self.argv[0] == "serve":
            await self._wait_http_ready(timeout)
            workers = int(self.argv[self.argv.index("--workers") + 1]) if "--workers" in self.argv else 1
            if workers > 1:
                await self.wait_for_line(SANIC_WORKER_READY, count=workers, timeout=timeout)

    async def stop(self, timeout: float = 30, *, strict: bool = False) -> int:
        """SIGTERM, wait up to `timeout`, then SIGKILL the whole group.

        Returns the exit code. With `strict`, a process that needed the SIGKILL raises
        StillRunning (for tests about clean shutdown); otherwise it returns -SIGKILL.
        """
        process = self._require()
        if process.returncode is None:
            self.resume()  # a stopped (paused) process would not see the SIGTERM
            _signal(process.pid, signal.SIGTERM, group=False)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                await self.kill()
                if strict:
                    raise StillRunning(self.output[-3000:]) from None
                return process.returncode if process.returncode is not None else -signal.SIGKILL
        await self._finish()
        return process.returncode if process.returncode is not None else 0

    async def kill(self) -> int:
        """SIGKILL the whole process group at once (a crash, for fault tests)."""
        process = self._require()
        _signal(process.pid, signal.SIGKILL, group=True)
        await process.wait()
        await self._finish()
        return process.returncode if process.returncode is not None else -signal.SIGKILL

    def pause(self) -> None:
        """SIGSTOP the group: frozen mid-whatever, connections held (a long GC pause, a
        hung host); also how a test hands a queued job to one particular worker."""
        _signal(self._require().pid, signal.SIGSTOP, group=True)

    def resume(self) -> None:
        """SIGCONT the group after `pause` (harmless if it was not paused)."""
        _signal(self._require().pid, signal.SIGCONT, group=True)

    @property
    def pid(self) -> int:
        return self._require().pid

    @property
    def returncode(self) -> int | None:
        return self._require().returncode

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    # -- output -------------------------------------------------------------------------

    @property
    def output(self) -> str:
        """Everything printed so far, as one string."""
        return "\n".join(self.lines)

    def count(self, text: str) -> int:
        """How many lines so far contain `text`."""
        return sum(text in line for line in self.lines)

    async def wait_for_line(self, text: str, *, count: int = 1, timeout: float = 60) -> str:
        """Until `count` lines contain `text`; returns the last of them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._changed:
            while self.count(text) < count:
                if not self.running and (self._reader is None or self._reader.done()):
                    raise ProcessFailed(self._explain(f"ended (code {self.returncode}) before {text!r} x{count}"))
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise ProcessFailed(self._explain(f"no {text!r} x{count} after {timeout}s"))
                try:
                    await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))
                except TimeoutError:
                    pass
        return [line for line in self.lines if text in line][-1]

    # -- internals ----------------------------------------------------------------------

    def _require(self) -> asyncio.subprocess.Process:
        if self.process is None:
            raise RuntimeError(f"{self.name} was not started")
        return self.process

    def _explain(self, what: str) -> str:
        return f"{self.name} ({' '.join(self.argv)}): {what}; output:\n{self.output[-3000:]}"

    async def _read(self) -> None:
        """Keep every line; read in chunks so an over-long line cannot stall the reader."""
        stream = self._require().stdout
        assert stream is not None
        pending = b""
        while True:
            chunk = await stream.read(65536)
            if chunk:
                *complete, pending = (pending + chunk).split(b"\n")
            else:
                complete, pending = [pending], b""
            self.lines.extend(line.decode("utf-8", errors="replace").rstrip("\r") for line in complete if line)
            async with self._changed:
                self._changed.notify_all()
            if not chunk:
                return

    async def _finish(self) -> None:
        """After the main process ended: no orphans left in its group, all output read."""
        _signal(self._require().pid, signal.SIGKILL, group=True)
        if self._reader is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._reader), 10)
            except TimeoutError:
                self._reader.cancel()

    async def _wait_http_ready(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last = "no answer"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            while True:
                if not self.running:
                    raise ProcessFailed(self._explain(f"ended (code {self.returncode}) before /readyz said ok"))
                try:
                    async with http.get(f"{self.url}/readyz") as response:
                        if response.status == 200:
                            return
                        last = f"{response.status} {await response.text()}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    last = repr(exc)
                if loop.time() > deadline:
                    raise ProcessFailed(self._explain(f"/readyz not ok after {timeout}s (last: {last})"))
                await asyncio.sleep(0.1)


def _signal(pid: int, signum: int, *, group: bool) -> None:
    try:
        if group:
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _environment(settings: Settings, env: Mapping[str, str] | None) -> dict[str, str]:
    merged = settings_env(settings)
    merged.setdefault("LOG_LEVEL", "INFO")
    merged["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    merged.update(env or {})
    return merged


async def start_server(
    settings: Settings, *, port: int | None = None, workers: int = 1, env: Mapping[str, str] | None = None,
    ready: bool = True, timeout: float = 120, name: str = "server",
) -> AppProcess:
    """`qiyun serve` on 127.0.0.1:`port` (a free one by default); ready unless `ready=False`."""
    port = port or free_port()
    argv = ["serve", "--port", str(port), *(["--workers", str(workers)] if workers != 1 else [])]
    process = AppProcess(name, argv, _environment(settings, env), url=f"http://127.0.0.1:{port}")
    await process.start()
    if ready:
        await _ready_or_kill(process, timeout)
    return process


async def start_worker(
    settings: Settings, *, env: Mapping[str, str] | None = None, ready: bool = True, timeout: float = 120,
    name: str = "worker",
) -> AppProcess:
    """`qiyun worker` (arq, with its cron jobs); ready unless `ready=False`."""
    process = AppProcess(name, ["worker"], _environment(settings, env))
    await process.start()
    if ready:
        await _ready_or_kill(process, timeout)
    return process


async def _ready_or_kill(process: AppProcess, timeout: float) -> None:
    try:
        await process.wait_ready(timeout)
    except BaseException:
        await process.kill()
        raise


class Cluster:
    """Several processes on one configuration, all stopped on exit (even on failure).

    Exiting stops them concurrently: SIGTERM, then SIGKILL of the group after `stop_timeout`.
    """

    def __init__(self, settings: Settings, *, env: Mapping[str, str] | None = None, stop_timeout: float = 20) -> None:
        self.settings = settings
        self.env = dict(env or {})
        self.stop_timeout = stop_timeout
        self.processes: list[AppProcess] = []
        self._started = {"serve": 0, "worker": 0}

    async def server(self, **options: Any) -> AppProcess:
        """Start one more `qiyun serve` (options as for `start_server`)."""
        options["env"] = {**self.env, **(options.get("env") or {})}
        options.setdefault("name", self._name("serve", "server"))
        process = await start_server(self.settings, **options)
        self.processes.append(process)
        return process

    async def worker(self, **options: Any) -> AppProcess:
        """Start one more `qiyun worker` (options as for `start_worker`)."""
        options["env"] = {**self.env, **(options.get("env") or {})}
        options.setdefault("name", self._name("worker", "worker"))
        process = await start_worker(self.settings, **options)
        self.processes.append(process)
        return process

    def _name(self, kind: str, prefix: str) -> str:
        self._started[kind] += 1
        return f"{prefix}{self._started[kind]}"

    @property
    def servers(self) -> list[AppProcess]:
        return [p for p in self.processes if p.argv[0] == "serve"]

    @property
    def workers(self) -> list[AppProcess]:
        return [p for p in self.processes if p.argv[0] == "worker"]

    def output(self) -> str:
        """Every process's output, each under its name (for assertion messages)."""
        return "\n".join(f"--- {p.name}\n{p.output[-3000:]}" for p in self.processes)

    async def stop(self) -> None:
        await asyncio.gather(*(p.stop(self.stop_timeout) for p in self.processes if p.process is not None))

    async def __aenter__(self) -> Cluster:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


@asynccontextmanager
async def running(settings: Settings, *, servers: int = 0, workers: int = 0, **options: Any) -> AsyncIterator[Cluster]:
    """A Cluster with `servers` servers and `workers` job workers started (concurrently) and ready."""
    async with Cluster(settings, **options) as cluster:
        await asyncio.gather(
            *(cluster.server() for _ in range(servers)), *(cluster.worker() for _ in range(workers))
        )
        yield cluster


class DevProcess:
    """`qiyun dev` as a newcomer runs it: no configuration of ours (every QIYUN_, DATABASE_,
    REDIS_, WECHAT_ and MINIPROGRAM_ variable removed), its own VAR_DIR, free ports.

        with DevProcess(tmp_path) as dev:
            dev.url, dev.simulator_url, dev.credentials["MINIPROGRAM_APPID"], dev.output()
        # stopped with SIGINT (Ctrl-C) here; dev.returncode says how it ended

    Started synchronously (it is a whole product, not a piece of the test's event loop);
    its output is drained by a thread so a full pipe never blocks the children.
    """

    READY_LINE = "Press Ctrl-C to stop."

    def __init__(self, tmp_path: Path, *, enterprises: int = 60, timeout: float = 120.0) -> None:
        self.var_dir = tmp_path / "var"
        self.cwd = tmp_path
        self.port, self.simulator_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.simulator_url = f"http://127.0.0.1:{self.simulator_port}"
        self.enterprises = enterprises
        self.timeout = timeout
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.returncode: int | None = None

    def output(self) -> str:
        return "".join(self.lines)

    @property
    def credentials(self) -> dict[str, str]:
        return json.loads((self.var_dir / "dev-credentials.json").read_text())

    def __enter__(self) -> DevProcess:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("QIYUN_", "DATABASE_", "REDIS_", "WECHAT_", "MINIPROGRAM_"))
        }
        env["VAR_DIR"] = str(self.var_dir)
        argv = [sys.executable, "-m", "app", "dev", "--port", str(self.port),
                "--simulator-port", str(self.simulator_port), "--enterprises", str(self.enterprises)]
        self.process = subprocess.Popen(
            argv, env=env, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                line = self.process.stdout.readline()
                if not line and self.process.poll() is not None:
                    break
                self.lines.append(line)
                if self.READY_LINE in line:
                    break
            threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True).start()
            if "Qiyun is running" not in self.output():
                raise ProcessFailed(f"qiyun dev did not start:\n{self.output()[-3000:]}")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            self.returncode = self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
