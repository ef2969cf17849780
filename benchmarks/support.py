"""What every benchmark script needs, in one place.

Databases (a dedicated one kept between runs, or a scratch one dropped afterwards), a free
loopback port, the loopback guard for load generators, percentiles, the machine line that
goes with every figure (cores, CPU model, RAM, load average, Python, database version), and
`qiyun` subprocesses (simulator, server, worker) started and stopped as a group.

Benchmarks are scripts, not a package: each does `sys.path.insert(0, <repo root>)` and then
`from benchmarks.support import ...` (the repository root holds the `benchmarks` directory).
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

__all__ = [
    "LOOPBACK",
    "ROOT",
    "QiyunProcess",
    "database_version",
    "drop_database",
    "ensure_database",
    "free_port",
    "group_cpu_seconds",
    "load_average",
    "machine_line",
    "percentile",
    "require_loopback",
    "rss_kib",
    "scratch_database",
    "start_qiyun",
    "stop_processes",
    "wait_http",
]


# -- databases -------------------------------------------------------------------------------


def _admin_dsn(url: str) -> str:
    """An asyncpg DSN for the server's `postgres` database (tortoise's postgres:// query dropped)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres", query=""))


def _is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in {"postgres", "postgresql", "asyncpg", "psycopg"}


async def ensure_database(url: str, *, announce: bool = False) -> bool:
    """Create the PostgreSQL database the URL names if it does not exist (True if created).

    Other backends (SQLite files) need nothing: migrating creates the file."""
    if not _is_postgres(url):
        return False
    import asyncpg

    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(_admin_dsn(url))
    try:
        if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    if announce:
        print(f"created database {name}")
    return True


async def drop_database(url: str) -> None:
    """Drop the PostgreSQL database the URL names (connections are forced off)."""
    if not _is_postgres(url):
        return
    import asyncpg

    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(_admin_dsn(url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def scratch_database(server_url: str, prefix: str = "qiyun_bench") -> str:
    """Create a fresh database on the server the URL points at; returns its URL (same query).

    The caller drops it with `drop_database` when done."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    await ensure_database(url)
    return url


async def database_version(url: str | None = None) -> str:
    """'PostgreSQL 15.x' / 'SQLite 3.x' of the open tortoise connection (or SQLite's library)."""
    from tortoise import connections

    if url is not None and not _is_postgres(url):
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    try:
        connection = connections.get("default")
    except Exception:  # noqa: BLE001 — no database open: say so rather than fail the run
        return "database ?"
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query("SHOW server_version")
        return f"PostgreSQL {dict(rows[0])['server_version'].split()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


# -- the machine -----------------------------------------------------------------------------


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load ?"
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram() -> str:
    try:
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        return f"{kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, IndexError, ValueError):
        return "RAM ?"


def machine_line(database: str = "") -> str:
    """One line to print with every figure: the same figures on a busy machine mean little.

    `database` is e.g. the result of `database_version()`."""
    parts = [
        f"{os.cpu_count()} cores ({_cpu_model()})",
        _ram(),
        load_average(),
        f"Python {platform.python_version()}",
    ]
    if database:
        parts.append(database)
    return "machine: " + ", ".join(parts)


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of process group `pgid`
    (a server started in its own session: Sanic's or gunicorn's manager and its workers).
    Read before and after a timed run: the difference is the server's own work, whatever
    else runs on the machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ..., utime (12), stime (13)
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A process's resident set (VmRSS) or its peak (VmHWM), in KiB (Linux /proc); 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# -- numbers ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` in 0..1) of the values; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# -- network ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def require_loopback(url: str, what: str = "URL") -> None:
    """Load generators and scratch databases stay on this machine: refuse anything else."""
    if urlsplit(url).hostname not in LOOPBACK:
        raise SystemExit(f"{what} must be a loopback address (127.0.0.1, localhost, ::1): {url}")


async def wait_http(url: str, *, ok_below: int = 500, timeout: float = 60) -> None:
    """Poll `url` until it answers with a status below `ok_below`."""
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url) as response:
                    if response.status < ok_below:
                        return
            except (aiohttp.ClientError, OSError):
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not answer in {timeout:.0f} s")


# -- qiyun subprocesses ----------------------------------------------------------------------


class QiyunProcess:
    """One `python -m app <command>` child in its own process group (Sanic spawns workers)."""

    def __init__(self, args: Sequence[str], env: dict[str, str], *, quiet: bool = True, log: Path | None = None) -> None:
        self.args = list(args)
        self._log = log.open("ab") if log is not None else None
        output = self._log or (subprocess.DEVNULL if quiet else None)
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "app", *self.args], env=env, cwd=ROOT,
            stdout=output, stderr=output, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def group_pids(self) -> list[int]:
        """This process and its children (e.g. Sanic's workers), for RSS figures."""
        found = [self.pid]
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.pid:  # pgrp of the child's own session
                pid = int(status.parent.name)
                if pid != self.pid:
                    found.append(pid)
        return found

    def stop(self, timeout: float = 40) -> None:
        """SIGTERM to the group, SIGKILL to the group if it does not stop in time."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        try:  # the group may hold children that outlived the leader (see docs/known-issues.md)
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.popen.poll() is None:
            self.popen.wait(timeout=10)
        if self._log is not None:
            self._log.close()


def start_qiyun(*args: str, env: dict[str, str], quiet: bool = True, log: Path | None = None) -> QiyunProcess:
    """Start `python -m app <args>` (serve, worker, simulator, ...) with the given environment."""
    return QiyunProcess(args, env, quiet=quiet, log=log)


def stop_processes(processes: Sequence[QiyunProcess], timeout: float = 40) -> None:
    """Stop the processes, newest first (workers before the simulator they talk to)."""
    for process in reversed(processes):
        process.stop(timeout=timeout)

