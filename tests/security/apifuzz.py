"""Schemathesis over the mini-program API's own OpenAPI document, shared by the bounded test
(`test_miniprogram_schema.py`) and the longer run (`fuzz_miniprogram_api.py`).

Every documented operation is driven with generated requests — valid ones (positive) and
ones that break the schema (negative) — as a signed-in mini-program user, and every answer
is checked: never a 5xx (`not_a_server_error`) and always the documented shape
(`response_schema_conformance`: a success's model, or the error envelope). A failing
operation is recorded (with the smallest example Hypothesis finds) and the run goes on,
so one run reports every failing operation, not the first.

It is synchronous (schemathesis calls the server with `requests`): a test whose server runs
in its own event loop calls `run` in a thread.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

__all__ = ["FuzzReport", "SKIPPED_OPERATIONS", "run"]

SKIPPED_OPERATIONS = frozenset({"POST /mp/v1/auth/logout"})
"""Ending the session would make every later request a 401 (logout has its own tests)."""

CHECKS = [not_a_server_error, response_schema_conformance]


@dataclass
class FuzzReport:
    operations: int = 0
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        lines = [
            f"{self.operations} operations, {self.requests} requests in {self.seconds:.0f} s; statuses {statuses}",
            f"{len(self.failures)} failing operation(s)",
        ]
        lines += [f"  {label}: {message}" for label, message in sorted(self.failures.items())]
        return "\n".join(lines)


def run(
    base_url: str,
    token: str,
    *,
    examples: int,
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    only: str | None = None,
) -> FuzzReport:
    """Fuzz every operation of `base_url`'s /mp/v1/openapi.json with `examples` examples per
    operation and mode; `only` limits the run to labels containing that text."""
    schema = schemathesis.openapi.from_url(f"{base_url}/mp/v1/openapi.json", timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    report = FuzzReport()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIPPED_OPERATIONS or (only and only not in operation.label):
            continue
        report.operations += 1
        for mode in modes:
            _fuzz_operation(operation, mode, base_url, headers, examples, report)
    report.seconds = time.monotonic() - started
    return report


def _fuzz_operation(
    operation: Any, mode: GenerationMode, base_url: str, headers: dict[str, str], examples: int, report: FuzzReport
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        # No shrinking: a failure's example is reported as found (schemathesis prints its curl).
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=operation.as_strategy(mode))
    def check(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        report.requests += 1
        report.statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis' failure groups, hypothesis' errors
        text = str(exc).strip().replace("\n", " | ")
        report.failures[f"{operation.label} [{mode.value}]"] = text[:1500]
