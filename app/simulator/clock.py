"""An adjustable wall clock, so tests can jump over token lifetimes without sleeping."""

from __future__ import annotations

import time

__all__ = ["SimClock"]


class SimClock:
    """Unix time plus an offset that only moves forward through `advance`."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Current simulated Unix time in seconds."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        """Move simulated time forward (tokens, codes and windows expire accordingly)."""
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        self.offset += seconds
        return self.now()

    def reset(self) -> None:
        self.offset = 0.0
