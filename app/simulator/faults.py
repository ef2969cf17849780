"""Injected faults: what WeChat does on a bad day, on demand.

A fault names an API path (or '*' for every token-protected API; token endpoints
must be named explicitly so a cached-token client is not surprised), a kind, and
how often it fires: `times` calls (None/0 = until cleared), each with
`probability` (drawn from the simulator's seeded RNG).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["FAULT_KINDS", "Fault", "FaultRegistry", "parse_fault"]

FAULT_KINDS = frozenset({"errcode", "http", "timeout", "invalidate_token"})


@dataclass(slots=True)
class Fault:
    api: str
    kind: str
    errcode: int = -1
    http_status: int = 502
    times: int | None = 1
    probability: float = 1.0
    process: bool = False  # timeout only: handle the request, then lose the response
    fired: int = 0

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def parse_fault(body: Any) -> Fault:
    """Build a Fault from the control API's JSON, or raise ValueError."""
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    api = body.get("api")
    kind = body.get("kind", "errcode")
    if not isinstance(api, str) or not (api == "*" or api.startswith("/")):
        raise ValueError("api must be a path like /cgi-bin/message/template/send or '*'")
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {sorted(FAULT_KINDS)}")
    times = body.get("times", 1)
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 0):
        raise ValueError("times must be a non-negative integer or null")
    probability = body.get("probability", 1.0)
    if probability is None:
        probability = 1.0
    if not isinstance(probability, (int, float)) or not 0.0 <= probability <= 1.0:
        raise ValueError("probability must be between 0 and 1")
    errcode = body.get("errcode", -1 if kind == "errcode" else 40001)
    if kind == "invalidate_token":
        errcode = 40001
    if not isinstance(errcode, int) or isinstance(errcode, bool):
        raise ValueError("errcode must be an integer")
    http_status = body.get("http_status", 502)
    if not isinstance(http_status, int) or not 100 <= http_status <= 599:
        raise ValueError("http_status must be an HTTP status code")
    return Fault(
        api=api,
        kind=kind,
        errcode=errcode,
        http_status=http_status,
        times=times or None,
        probability=float(probability),
        process=bool(body.get("process", False)),
    )


class FaultRegistry:
    """Active faults in the order they were added; the first match fires."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.active: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.active.append(fault)

    def clear(self) -> None:
        self.active.clear()

    def take(self, api: str, *, protected: bool) -> Fault | None:
        """The fault that fires for this call, if any (counting it down)."""
        if not self.active:
            return None
        for fault in self.active:
            if fault.api != api and not (fault.api == "*" and protected):
                continue
            if fault.kind == "invalidate_token" and not protected:
                continue
            if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                continue
            fault.fired += 1
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.active.remove(fault)
            return fault
        return None
