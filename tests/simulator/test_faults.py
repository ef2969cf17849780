"""Injected faults: errcodes, HTTP errors, timeouts, token invalidation, latency."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from .conftest import OA_APPID, Sim

TEMPLATE = "/cgi-bin/message/template/send"


async def add_fault(sim: Sim, **body: object) -> dict:
    return await sim.control("POST", "/_sim/faults", json=body)


@pytest.mark.parametrize("errcode", [-1, 45009, 43004, 43101, 40001, 12345])
async def test_errcode_fault_fires_the_given_number_of_times(sim: Sim, errcode: int) -> None:
    await sim.token()
    await add_fault(sim, api=TEMPLATE, kind="errcode", errcode=errcode, times=2)
    answers = [await sim.send_template("o_user_1") for _ in range(3)]
    assert [a["errcode"] for a in answers] == [errcode, errcode, 0]
    assert answers[0]["errmsg"]
    stats = await sim.stats()
    assert stats["calls"][TEMPLATE] == 3
    assert stats["errors"] == {str(errcode): 2}
    assert stats["messages"]["o_user_1"]["template"] == 1  # failed attempts are not deliveries
    assert (await sim.control("GET", "/_sim/faults"))["faults"] == []


async def test_fault_until_cleared_and_clearing(sim: Sim) -> None:
    await add_fault(sim, api=TEMPLATE, kind="errcode", errcode=-1, times=0)
    for _ in range(5):
        assert (await sim.send_template("o_user_1"))["errcode"] == -1
    await sim.control("DELETE", "/_sim/faults")
    assert (await sim.send_template("o_user_1"))["errcode"] == 0


async def test_wildcard_fault_hits_protected_apis_but_not_token_endpoints(sim: Sim) -> None:
    await add_fault(sim, api="*", kind="errcode", errcode=-1, times=1)
    await sim.token()  # not consumed by the token fetch
    answer = await sim.api("GET", "/cgi-bin/menu/get")
    assert answer["errcode"] == -1
    assert (await sim.api("GET", "/cgi-bin/get_current_selfmenu_info"))["is_menu_open"] == 0


async def test_token_endpoint_fault_when_named(sim: Sim) -> None:
    await add_fault(sim, api="/cgi-bin/stable_token", kind="errcode", errcode=-1)
    status, answer = await sim.request(
        "POST", "/cgi-bin/stable_token",
        json={"grant_type": "client_credential", "appid": OA_APPID, "secret": "x"},
    )
    assert answer["errcode"] == -1
    assert await sim.token()


async def test_http_fault_answers_the_status_with_an_html_body(sim: Sim) -> None:
    token = await sim.token()
    await add_fault(sim, api=TEMPLATE, kind="http", http_status=502, times=1)
    status, body = await sim.request("POST", TEMPLATE, params={"access_token": token},
                                     json={"touser": "o_user_1", "template_id": "t", "data": {"a": {"value": "b"}}})
    assert status == 502
    assert b"502 Bad Gateway" in body
    assert (await sim.send_template("o_user_1"))["errcode"] == 0
    stats = await sim.stats()
    assert stats["errors"] == {"http_502": 1}
    records = (await sim.control("GET", "/_sim/records", params={"api": TEMPLATE}))["records"]
    assert [(r["http_status"], r["fault"]) for r in records] == [(502, "http"), (200, None)]


async def test_timeout_fault_holds_the_request_past_the_client_timeout(make_sim: Callable[..., Awaitable[Sim]]) -> None:
    sim = await make_sim(timeout_hold_s=5.0)
    token = await sim.token()
    await add_fault(sim, api=TEMPLATE, kind="timeout", times=1)
    body = {"touser": "o_user_1", "template_id": "t", "data": {"thing1": {"value": "x"}}}
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        async with sim.http.post(sim.url + TEMPLATE, params={"access_token": token}, json=body,
                                 timeout=aiohttp.ClientTimeout(total=0.3)) as response:
            await response.read()
    assert time.monotonic() - started < 2
    assert (await sim.send_template("o_user_1"))["errcode"] == 0
    stats = await sim.stats()
    assert stats["calls"][TEMPLATE] == 2
    assert stats["errors"] == {"timeout": 1}
    assert stats["totals"]["template"] == 1  # the held request was not processed


async def test_timeout_fault_answers_system_error_after_the_hold(make_sim: Callable[..., Awaitable[Sim]]) -> None:
    sim = await make_sim(timeout_hold_s=0.2)
    await sim.token()
    await add_fault(sim, api=TEMPLATE, kind="timeout")
    started = time.monotonic()
    answer = await sim.send_template("o_user_1")
    assert time.monotonic() - started >= 0.2
    assert answer["errcode"] == -1


async def test_timeout_fault_with_process_delivers_but_loses_the_answer(
    make_sim: Callable[..., Awaitable[Sim]],
) -> None:
    """The double-send hazard client_msg_id protects against."""
    sim = await make_sim(timeout_hold_s=0.2)
    await sim.token()
    await add_fault(sim, api=TEMPLATE, kind="timeout", process=True)
    first = await sim.send_template("o_user_1", client_msg_id="job-1")
    assert first["errcode"] == 0  # the client would have given up long before
    retry = await sim.send_template("o_user_1", client_msg_id="job-1")
    assert retry["msgid"] == first["msgid"]
    assert (await sim.stats())["messages"]["o_user_1"]["template"] == 1


async def test_reset_releases_held_requests(make_sim: Callable[..., Awaitable[Sim]]) -> None:
    sim = await make_sim(timeout_hold_s=30)
    await sim.token()
    await add_fault(sim, api=TEMPLATE, kind="timeout")
    held = asyncio.create_task(sim.send_template("o_user_1"))
    await asyncio.sleep(0.1)
    assert not held.done()
    await sim.control("POST", "/_sim/reset")
    answer = await asyncio.wait_for(held, 2)
    assert answer["errcode"] == -1


async def test_invalidate_token_fault_makes_the_current_token_fail(sim: Sim) -> None:
    token = await sim.token()
    await add_fault(sim, api=TEMPLATE, kind="invalidate_token")
    assert (await sim.send_template("o_user_1"))["errcode"] == 40001
    assert (await sim.api("GET", "/cgi-bin/get_current_selfmenu_info", token=token))["errcode"] == 40001
    fresh = await sim.token()  # normal mode must hand out a new token now
    assert fresh != token
    assert (await sim.send_template("o_user_1"))["errcode"] == 0


async def test_probabilistic_fault_is_deterministic_for_a_seed(make_sim: Callable[..., Awaitable[Sim]]) -> None:
    async def pattern(seed: int) -> list[int]:
        sim = await make_sim(seed=seed)
        await sim.token()
        await add_fault(sim, api=TEMPLATE, kind="errcode", errcode=-1, times=None, probability=0.5)
        return [(await sim.send_template("o_user_1"))["errcode"] for _ in range(30)]

    first, again = await pattern(7), await pattern(7)
    assert first == again
    assert 0 < first.count(-1) < 30


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "errcode"},
        {"api": "no-slash", "kind": "errcode"},
        {"api": TEMPLATE, "kind": "explode"},
        {"api": TEMPLATE, "kind": "errcode", "probability": 2},
        {"api": TEMPLATE, "kind": "http", "http_status": 999},
        {"api": TEMPLATE, "kind": "errcode", "times": -1},
    ],
)
async def test_bad_fault_requests_are_rejected(sim: Sim, body: dict) -> None:
    status, answer = await sim.request("POST", "/_sim/faults", json=body)
    assert status == 400 and answer["error"]


async def test_latency_is_added_to_every_api_answer(sim: Sim) -> None:
    await sim.token()
    await sim.control("POST", "/_sim/latency", json={"ms": 150})
    started = time.monotonic()
    await sim.send_template("o_user_1")
    assert time.monotonic() - started >= 0.15
    started = time.monotonic()
    await sim.control("GET", "/_sim/stats")  # control calls are not slowed down
    assert time.monotonic() - started < 0.15
