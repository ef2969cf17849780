"""The public interface, the follower page, the control API's own behaviour and
the blocking `run` used by `qiyun simulator`."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

from app.simulator import RunningSimulator, SimulatorConfig, SimulatorState, create_app, run, start_simulator

from .conftest import OA_APPID, Sim

ROOT = Path(__file__).resolve().parents[2]


def test_public_names() -> None:
    assert callable(run) and callable(start_simulator)
    config = SimulatorConfig(apps={"wx1": "s1"})
    assert (config.latency_ms, config.callback_url, config.callback_aes_key, config.token_ttl, config.seed) == (
        0, None, None, 7200, 0)
    assert (config.strict_openids, config.require_grants, config.enforce_48h, config.template_finish_events) == (
        False, False, False, True)
    assert config.max_records == 100_000 and config.timeout_hold_s == 30


async def test_create_app_exposes_the_state() -> None:
    app = create_app(SimulatorConfig(apps={"wx1": "s1"}))
    assert isinstance(app, web.Application)
    assert isinstance(app["state"], SimulatorState)


async def test_start_simulator_serves_on_a_free_port() -> None:
    running = await start_simulator(SimulatorConfig(apps={"wx1": "s1"}), port=0)
    try:
        assert isinstance(running, RunningSimulator)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", running.url)
        async with aiohttp.ClientSession() as session, session.get(running.url + "/_sim") as response:
            assert response.status == 200
            assert "POST /_sim/push" in (await response.json())["control"]
    finally:
        await running.stop()


async def test_follower_page_is_self_contained_chinese_html(sim: Sim) -> None:
    async with sim.http.get(sim.url + "/") as response:
        assert response.status == 200
        assert response.content_type == "text/html" and response.charset == "utf-8"
        html = await response.text()
    assert '<meta charset="utf-8">' in html
    for text in ("关注", "取消关注", "发送", "/_sim/conversation", "/_sim/push", "/_sim/menu"):
        assert text in html
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html), "the page must not load external resources"


async def test_control_api_rejects_bad_input(sim: Sim) -> None:
    for method, path, body in [
        ("POST", "/_sim/followers", {"openid": "x"}),
        ("POST", "/_sim/followers", {}),
        ("POST", "/_sim/grants", {"openid": "o_user_1"}),
        ("POST", "/_sim/login_codes", {"appid": "wx_nobody", "openid": "o_user_1"}),
        ("POST", "/_sim/phone_codes", {"appid": OA_APPID, "phone": "abc"}),
        ("POST", "/_sim/latency", {"ms": -1}),
        ("POST", "/_sim/clock", {"advance": -5}),
        ("POST", "/_sim/config", {"apps": {}}),
        ("POST", "/_sim/config", {"strict_openids": "yes"}),
        ("POST", "/_sim/config", {"callback_aes_key": "too-short"}),
        ("POST", "/_sim/config", {"miniprogram_aes_key": "too-short"}),
        ("POST", "/_sim/config", {"miniprogram_data_format": "yaml"}),
        ("POST", "/_sim/config", {"latency_ms": -3}),
        ("POST", "/_sim/config", {"risky_words": "违禁"}),
        ("GET", "/_sim/conversation", None),
    ]:
        status, answer = await sim.request(method, path, json=body)
        assert status == 400 and answer["error"], (path, body)
    status, _ = await sim.request("POST", "/_sim/faults", data=b"not json")
    assert status == 400


async def test_rules_can_be_switched_at_run_time(sim: Sim) -> None:
    assert (await sim.send_template("o_stranger_1"))["errcode"] == 0
    config = await sim.control("POST", "/_sim/config", json={"strict_openids": True, "risky_words": ["新词"]})
    assert config["strict_openids"] is True and config["risky_words"] == ["新词"]
    assert (await sim.send_template("o_stranger_1"))["errcode"] == 40003
    await sim.control("POST", "/_sim/reset")
    assert (await sim.control("GET", "/_sim/config"))["strict_openids"] is False


async def test_clock_control_moves_token_time(sim: Sim) -> None:
    token = await sim.token()
    moved = await sim.control("POST", "/_sim/clock", json={"advance": 7200})
    assert moved["offset"] == 7200
    assert (await sim.api("GET", "/cgi-bin/menu/get", token=token))["errcode"] == 42001


async def test_control_calls_are_not_recorded(sim: Sim) -> None:
    await sim.control("GET", "/_sim/stats")
    await sim.control("POST", "/_sim/followers", json={"openid": "o_user_1"})
    stats = await sim.stats()
    assert stats["calls"] == {} and stats["records_total"] == 0


async def test_stop_does_not_wait_for_held_requests() -> None:
    running = await start_simulator(SimulatorConfig(apps={"wx1": "s1"}))
    async with aiohttp.ClientSession() as session:
        await session.post(running.url + "/_sim/faults", json={"api": "/cgi-bin/stable_token", "kind": "timeout"})
        held = asyncio.create_task(session.post(running.url + "/cgi-bin/stable_token", json={}))
        await asyncio.sleep(0.1)
        started = asyncio.get_running_loop().time()
        await running.stop()
        assert asyncio.get_running_loop().time() - started < 3
        held.cancel()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_run_serves_until_interrupted() -> None:
    port = _free_port()
    code = (
        "from app.simulator import run, SimulatorConfig\n"
        f"run('127.0.0.1', {port}, SimulatorConfig(apps={{'wx1': 's1'}}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, cwd=str(ROOT), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/_sim/config") as response:
                        assert (await response.json())["apps"] == ["wx1"]
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the simulator did not start")
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    stdout, _ = await proc.communicate()
    assert f"http://127.0.0.1:{port}/" in stdout.decode()
