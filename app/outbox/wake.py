"""Waking the outbox worker after a commit that queued messages.

Every domain step that `put()`s outbox rows calls `wake()` after its transaction commits.
The server and the job worker install the hook (it enqueues the outbox job in Redis); it
is only a speed-up: without it, or when it fails, the outbox sweep delivers within its
interval, so a failed wake-up never fails the step.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

__all__ = ["WakeHook", "set_wake_hook", "wake"]

logger = logging.getLogger(__name__)

WakeHook = Callable[[], Awaitable[None]]
_hook: WakeHook | None = None


def set_wake_hook(hook: WakeHook | None) -> None:
    """Install (or with None remove) the process's wake-up; called by the app factory's and the
    job worker's start-up and shut-down."""
    global _hook
    _hook = hook


async def wake() -> None:
    """Ask the outbox worker to deliver now; never raises."""
    hook = _hook
    if hook is None:
        return
    try:
        await hook()
    except Exception:  # the sweep delivers anyway
        logger.warning("could not wake the outbox worker", exc_info=True)
