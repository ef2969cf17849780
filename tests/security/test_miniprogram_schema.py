"""Schemathesis over the served /mp/v1/openapi.json as a signed-in user: no operation answers
5xx, every answer matches the document (bounded; the long run is `fuzz_miniprogram_api.py`)."""

from __future__ import annotations

import asyncio
import os

from tests.security import apifuzz

EXAMPLES = int(os.environ.get("QIYUN_FUZZ_EXAMPLES", "6"))


async def test_every_operation_survives_generated_requests_and_answers_as_documented(mp, server_with) -> None:
    base = server_with(api_rate_limit_per_minute=1_000_000)  # the fuzzer is one very busy user
    token, _ = await mp.login()
    report = await asyncio.to_thread(apifuzz.run, base, token, examples=EXAMPLES)
    assert report.operations >= 60 and report.requests > report.operations, report.summary()
    print(report.summary())
    assert not report.failures, report.summary()
    assert not [status for status in report.statuses if status >= 500], report.summary()
    # The session survived the run: the fuzzer never got itself signed out.
    assert (await mp.call("GET", "/mp/v1/me", token=token)).status == 200
