"""Records, stats and the message log: exact per-openid counts, bounded memory."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from .conftest import MP_APPID, OA_APPID, Sim

TEMPLATE = "/cgi-bin/message/template/send"


async def test_stats_count_successful_messages_per_openid_and_kind(sim: Sim) -> None:
    await sim.send_template("o_user_1")
    await sim.send_template("o_user_1")
    await sim.send_template("o_user_2")
    await sim.send_template("o_user_2", data={"thing1": {"value": "x" * 21}})  # 47003: not counted
    await sim.api("POST", "/cgi-bin/message/custom/send",
                  json={"touser": "o_user_2", "msgtype": "text", "text": {"content": "hi"}})
    await sim.api("POST", "/cgi-bin/message/subscribe/bizsend",
                  json={"touser": "o_user_1", "template_id": "b", "data": {"thing1": {"value": "x"}}})
    await sim.api("POST", "/cgi-bin/message/subscribe/send", appid=MP_APPID,
                  json={"touser": "o_mp_1", "template_id": "s", "data": {"thing1": {"value": "x"}}})
    stats = await sim.stats()
    assert stats["messages"] == {
        "o_user_1": {"template": 2, "subscribe": 0, "custom": 0, "bizsend": 1},
        "o_user_2": {"template": 1, "subscribe": 0, "custom": 1, "bizsend": 0},
        "o_mp_1": {"template": 0, "subscribe": 1, "custom": 0, "bizsend": 0},
    }
    assert stats["totals"] == {"template": 3, "subscribe": 1, "custom": 1, "bizsend": 1}
    assert stats["calls"][TEMPLATE] == 4
    assert stats["errors"] == {"47003": 1}
    assert stats["token_fetches"] == {OA_APPID: 1, MP_APPID: 1}
    summary = await sim.stats(summary="1")
    assert "messages" not in summary
    assert summary["max_per_openid"] == {"template": 2, "subscribe": 1, "custom": 1, "bizsend": 1}
    assert summary["recipients"] == 3
    # how many openids got how many messages, per kind, and template messages per template id:
    # what a million-recipient benchmark checks instead of shipping the per-openid table
    assert summary["histograms"]["template"] == {"1": 1, "2": 1}
    assert summary["histograms"]["custom"] == {"1": 1}
    assert summary["template_ids"] == {"tpl_policy": 3}
    one = await sim.stats(openid="o_user_2")
    assert one["messages"] == {"o_user_2": {"template": 1, "subscribe": 0, "custom": 1, "bizsend": 0}}


async def test_records_keep_request_details_and_filter(sim: Sim) -> None:
    await sim.send_template("o_user_1", data={"thing1": {"value": "企业服务政策申报提醒"}})
    await sim.send_template("o_user_2")
    await sim.api("GET", "/cgi-bin/user/info", params={"openid": "o_user_1"})
    found = (await sim.control("GET", "/_sim/records", params={"openid": "o_user_1"}))["records"]
    assert [r["api"] for r in found] == [TEMPLATE, "/cgi-bin/user/info"]
    template = found[0]
    assert template["method"] == "POST"
    assert template["appid"] == OA_APPID
    assert template["errcode"] == 0
    assert template["json"]["data"]["thing1"]["value"] == "企业服务政策申报提醒"
    assert "access_token" not in template["params"]
    assert isinstance(template["time"], float)
    limited = (await sim.control("GET", "/_sim/records", params={"api": TEMPLATE, "limit": "1"}))["records"]
    assert [r["openid"] for r in limited] == ["o_user_2"]  # the newest


async def test_raw_body_is_kept_as_sent(sim: Sim) -> None:
    text = "企业服务政策申报提醒"
    raw = json.dumps({"touser": "o_user_1", "template_id": "t", "data": {"thing1": {"value": text}}},
                     ensure_ascii=False).encode("utf-8")
    await sim.api("POST", TEMPLATE, data=raw)
    record = (await sim.control("GET", "/_sim/records", params={"api": TEMPLATE}))["records"][0]
    assert text in record["raw_body"]


async def test_records_are_bounded_but_counters_exact(make_sim: Callable[..., Awaitable[Sim]]) -> None:
    sim = await make_sim(max_records=10)
    await sim.token()
    await asyncio.gather(*(sim.send_template(f"o_user_{i:03d}") for i in range(60)))
    stats = await sim.stats()
    assert stats["totals"]["template"] == 60
    assert len(stats["messages"]) == 60
    assert all(counts["template"] == 1 for counts in stats["messages"].values())
    assert stats["records_kept"] == 10
    assert stats["records_total"] == 61
    assert len((await sim.control("GET", "/_sim/records"))["records"]) == 10
    assert len((await sim.control("GET", "/_sim/messages"))["messages"]) == 10


async def test_messages_endpoint_lists_deliveries_in_order(sim: Sim) -> None:
    await sim.send_template("o_user_1", data={"thing1": {"value": "一"}})
    await sim.api("POST", "/cgi-bin/message/custom/send",
                  json={"touser": "o_user_1", "msgtype": "text", "text": {"content": "二"}})
    await sim.send_template("o_user_9")
    messages = (await sim.control("GET", "/_sim/messages", params={"openid": "o_user_1"}))["messages"]
    assert [m["kind"] for m in messages] == ["template", "custom"]
    assert messages[1]["payload"]["text"]["content"] == "二"
    customs = (await sim.control("GET", "/_sim/messages", params={"kind": "custom"}))["messages"]
    assert len(customs) == 1
    status, _ = await sim.request("GET", "/_sim/messages", params={"kind": "fax"})
    assert status == 400


async def test_reset_clears_everything(sim: Sim) -> None:
    token = await sim.token()
    await sim.send_template("o_user_1")
    await sim.control("POST", "/_sim/faults", json={"api": TEMPLATE, "kind": "errcode", "errcode": -1})
    await sim.control("POST", "/_sim/followers", json={"openid": "o_known_1"})
    sim.state.clock.advance(100)
    await sim.control("POST", "/_sim/reset")
    stats = await sim.stats()
    assert stats["calls"] == {} and stats["messages"] == {} and stats["token_fetches"] == {}
    assert (await sim.control("GET", "/_sim/faults"))["faults"] == []
    assert (await sim.control("GET", "/_sim/followers"))["followers"] == []
    assert sim.state.clock.offset == 0
    assert (await sim.api("GET", "/cgi-bin/menu/get", token=token))["errcode"] == 40001


async def test_unknown_wechat_path_is_recorded_and_404(sim: Sim) -> None:
    status, body = await sim.request("POST", "/cgi-bin/not/a/real/api", json={})
    assert status == 404
    assert (await sim.stats())["calls"] == {"/cgi-bin/not/a/real/api": 1}
