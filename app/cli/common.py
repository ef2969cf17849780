"""What most commands need: settings, logging, and an event loop with the database open."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from app import db
from app.config import Settings, load_settings
from app.logs import configure_logging

T = TypeVar("T")


def settings_and_logging(*, fmt: str | None = None) -> Settings:
    settings = load_settings()
    configure_logging(
        level=settings.log_level,
        fmt=fmt or ("text" if sys.stderr.isatty() else settings.log_format),
        secrets=settings.secret_values(),
    )
    return settings


def run_with_database(settings: Settings, body: Callable[[], Awaitable[T]]) -> T:
    async def wrapper() -> T:
        await db.open_database(settings.effective_database_url)
        try:
            return await body()
        finally:
            await db.close_database()

    return asyncio.run(wrapper())


class Progress:
    """A one-line progress display: rewritten in place on a terminal, a line every few seconds otherwise."""

    def __init__(self, label: str, *, stream=sys.stderr, interval: float = 2.0) -> None:
        self.label = label
        self.stream = stream
        self.interactive = stream.isatty()
        self.interval = interval
        self._last = 0.0
        self._started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        finished = total and done >= total
        if not finished and now - self._last < (0.1 if self.interactive else self.interval):
            return
        self._last = now
        percent = f"{100 * done / total:5.1f}%" if total else ""
        line = f"{self.label}: {done:,}/{total:,} {percent} ({now - self._started:.1f}s)"
        if self.interactive:
            self.stream.write("\r" + line + ("\n" if finished else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
