"""Helpers for the hostile-input tests: Hypothesis driven from a thread against the in-process
server, and the strings every text field is tried with.

The `server` fixture serves from the test's own event loop, so a Hypothesis test (which is
synchronous) runs in a thread (`drive`) and reaches the database through that loop (`on_loop`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

INJECTIONS = [
    "' OR 1=1 --",
    "'); DROP TABLE appeal; --",
    "{{7*7}}",
    "${7*7}",
    "{% if 1 %}49{% endif %}",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "%s%s%n",
    "a\x00b",
]
"""SQL, template and markup injection, printf and a NUL byte: each must be stored as sent
(NUL is refused or dropped, never a 500) and shown escaped."""


class LoopBridge:
    """Run coroutines on the test's loop from the Hypothesis thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def __call__(self, coroutine: Awaitable[T]) -> T:
        async def wait() -> T:  # a query set is awaitable but not a coroutine
            return await coroutine

        return asyncio.run_coroutine_threadsafe(wait(), self.loop).result(timeout=60)


async def drive(test: Callable[[LoopBridge], Any]) -> Any:
    """Run a synchronous (Hypothesis) test in a thread while this loop keeps serving."""
    return await asyncio.to_thread(test, LoopBridge(asyncio.get_running_loop()))
