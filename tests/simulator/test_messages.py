"""Sending rules: template messages (2023 rules, template ids, followers),
subscribe messages (field types, grants) and customer-service messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from .conftest import MP_APPID, OA_APPID, Sim

TEMPLATE = "/cgi-bin/message/template/send"
BIZSEND = "/cgi-bin/message/subscribe/bizsend"
SUBSCRIBE = "/cgi-bin/message/subscribe/send"
CUSTOM = "/cgi-bin/message/custom/send"


def value(text: str) -> dict:
    return {"value": text}


async def test_template_send_returns_msgid_and_records_the_delivery(sim: Sim) -> None:
    first = await sim.send_template("o_user_1", url="https://example.com/p/1")
    second = await sim.send_template("o_user_1")
    assert first["errcode"] == 0 and first["errmsg"] == "ok"
    assert isinstance(first["msgid"], int) and second["msgid"] != first["msgid"]
    messages = (await sim.control("GET", "/_sim/messages", params={"openid": "o_user_1"}))["messages"]
    assert [m["msgid"] for m in messages] == [first["msgid"], second["msgid"]]
    assert messages[0]["payload"]["url"] == "https://example.com/p/1"
    assert messages[0]["status"] == "success"


@pytest.mark.parametrize(
    ("data", "errcode"),
    [
        ({"thing1": value("一" * 20)}, 0),
        ({"thing1": value("一" * 21)}, 47003),
        ({"thing1": value("第一行\n第二行")}, 47003),
        ({"thing1": value("回车\r")}, 47003),
        ({"first": value("x" * 50), "thing1": value("ok"), "remark": value("y\n" * 30)}, 0),
        ({"thing1": "not wrapped"}, 47003),
        ({}, 47001),
    ],
)
async def test_template_2023_field_rules(sim: Sim, data: dict, errcode: int) -> None:
    answer = await sim.send_template("o_user_1", data=data) if data else await sim.api(
        "POST", TEMPLATE, json={"touser": "o_user_1", "template_id": "t", "data": {}}
    )
    assert answer["errcode"] == errcode
    expected = 1 if errcode == 0 else 0
    assert (await sim.stats())["totals"]["template"] == expected


async def test_template_id_invalid_only_when_listed(sim: Sim) -> None:
    await sim.control("POST", "/_sim/invalid_templates", json={"template_ids": ["tpl_gone"]})
    body = {"touser": "o_user_1", "data": {"thing1": value("x")}}
    assert (await sim.api("POST", TEMPLATE, json={**body, "template_id": "tpl_gone"}))["errcode"] == 40037
    assert (await sim.api("POST", TEMPLATE, json={**body, "template_id": ""}))["errcode"] == 40037
    assert (await sim.api("POST", TEMPLATE, json={**body, "template_id": "tpl_ok"}))["errcode"] == 0


async def test_template_recipient_rules(make_sim: Callable[..., Awaitable[Sim]]) -> None:
    sim = await make_sim(strict_openids=True)
    assert (await sim.send_template("o_known_1"))["errcode"] == 40003
    await sim.control("POST", "/_sim/followers", json={"openid": "o_known_1"})
    await sim.control("POST", "/_sim/followers", json={"openid": "o_gone_1", "subscribed": False})
    assert (await sim.send_template("o_known_1"))["errcode"] == 0
    assert (await sim.send_template("o_gone_1"))["errcode"] == 43004
    assert (await sim.send_template("bad openid!"))["errcode"] == 40003


async def test_lenient_openids_accept_any_well_formed_openid(sim: Sim) -> None:
    assert (await sim.send_template("oAbC_123-xyz"))["errcode"] == 0
    assert (await sim.send_template("short"))["errcode"] == 40003
    assert (await sim.send_template("with space 1"))["errcode"] == 40003


async def test_template_body_errors(sim: Sim) -> None:
    assert (await sim.api("POST", TEMPLATE, data=b"{broken"))["errcode"] == 47001
    assert (await sim.api("POST", TEMPLATE, data=b""))["errcode"] == 44002
    assert (await sim.api("POST", TEMPLATE, json=["a"]))["errcode"] == 47001


async def test_client_msg_id_deduplicates_for_ten_minutes(sim: Sim) -> None:
    first = await sim.send_template("o_user_1", client_msg_id="push-42")
    again = await sim.send_template("o_user_1", client_msg_id="push-42")
    other_user = await sim.send_template("o_user_2", client_msg_id="push-42")
    assert again["msgid"] == first["msgid"]
    assert other_user["msgid"] != first["msgid"]
    sim.state.clock.advance(601)
    later = await sim.send_template("o_user_1", client_msg_id="push-42")
    assert later["msgid"] != first["msgid"]
    assert (await sim.stats(openid="o_user_1"))["messages"]["o_user_1"]["template"] == 2


@pytest.mark.parametrize(
    ("field", "text", "ok"),
    [
        ("thing1", "一" * 20, True),
        ("thing1", "一" * 21, False),
        ("phrase2", "已受理", True),
        ("phrase2", "一二三四五六", False),
        ("phrase2", "ok", False),
        ("character_string3", "A" * 32, True),
        ("character_string3", "A" * 33, False),
        ("character_string3", "中文", False),
        ("name4", "张" * 10, True),
        ("name4", "张" * 11, False),
        ("number5", "12.5", True),
        ("number5", "12a", False),
        ("amount6", "¥100.00", True),
        ("amount6", "一百元", False),
        ("date7", "2024年5月1日", True),
        ("time8", "15:01", True),
        ("phone_number9", "021-12345678", True),
        ("phone_number9", "1" * 18, False),
        ("letter10", "abc", True),
        ("symbol11", "%", True),
        ("car_number12", "沪A12345", True),
        ("thing13", "", False),
    ],
)
async def test_subscribe_field_type_limits(sim: Sim, field: str, text: str, ok: bool) -> None:
    body = {"touser": "o_mp_user_1", "template_id": "tpl_sub", "data": {field: value(text)}}
    answer = await sim.api("POST", SUBSCRIBE, appid=MP_APPID, json=body)
    assert answer["errcode"] == (0 if ok else 47003), answer
    if not ok:
        assert field in answer["errmsg"]
    biz = await sim.api("POST", BIZSEND, json=body)
    assert biz["errcode"] == (0 if ok else 47003)


async def test_grants_required_when_configured(make_sim: Callable[..., Awaitable[Sim]]) -> None:
    sim = await make_sim(require_grants=True)
    body = {"touser": "o_mp_user_1", "template_id": "tpl_sub", "data": {"thing1": value("提醒")}}
    assert (await sim.api("POST", SUBSCRIBE, appid=MP_APPID, json=body))["errcode"] == 43101
    await sim.control("POST", "/_sim/grants",
                      json={"appid": MP_APPID, "openid": "o_mp_user_1", "template_id": "tpl_sub", "count": 2})
    results = [(await sim.api("POST", SUBSCRIBE, appid=MP_APPID, json=body))["errcode"] for _ in range(3)]
    assert results == [0, 0, 43101]
    assert (await sim.stats())["messages"]["o_mp_user_1"]["subscribe"] == 2


async def test_grants_not_required_by_default_but_counted_once_registered(sim: Sim) -> None:
    body = {"touser": "o_mp_user_1", "template_id": "tpl_sub", "data": {"thing1": value("提醒")}}
    assert (await sim.api("POST", SUBSCRIBE, appid=MP_APPID, json=body))["errcode"] == 0
    await sim.control("POST", "/_sim/grants",
                      json={"appid": MP_APPID, "openid": "o_mp_user_1", "template_id": "tpl_sub", "count": 1})
    assert (await sim.api("POST", SUBSCRIBE, appid=MP_APPID, json=body))["errcode"] == 0
    assert (await sim.api("POST", SUBSCRIBE, appid=MP_APPID, json=body))["errcode"] == 43101


async def test_long_term_grant_is_unlimited(make_sim: Callable[..., Awaitable[Sim]]) -> None:
    sim = await make_sim(require_grants=True)
    await sim.control("POST", "/_sim/grants",
                      json={"appid": OA_APPID, "openid": "o_user_1", "template_id": "tpl_biz", "count": None})
    body = {"touser": "o_user_1", "template_id": "tpl_biz", "data": {"thing1": value("提醒")}}
    assert [(await sim.api("POST", BIZSEND, json=body))["errcode"] for _ in range(3)] == [0, 0, 0]


async def test_subscribe_send_returns_msgid_and_checks_state(sim: Sim) -> None:
    body = {"touser": "o_mp_user_1", "template_id": "tpl_sub", "data": {"thing1": value("提醒")}}
    answer = await sim.api("POST", SUBSCRIBE, appid=MP_APPID, json=body)
    assert isinstance(answer["msgid"], int)
    bad = await sim.api("POST", SUBSCRIBE, appid=MP_APPID, json={**body, "miniprogram_state": "beta"})
    assert bad["errcode"] == 47003


async def test_custom_message_types_and_content(sim: Sim) -> None:
    ok = await sim.api("POST", CUSTOM, json={"touser": "o_user_1", "msgtype": "text", "text": {"content": "您好"}})
    assert ok == {"errcode": 0, "errmsg": "ok"}
    cases = [
        ({"msgtype": "telegram", "telegram": {}}, 40008),
        ({"msgtype": "text", "text": {"content": ""}}, 44004),
        ({"msgtype": "news", "news": {"articles": []}}, 44003),
        ({"msgtype": "news", "news": {"articles": [{"title": "a"}, {"title": "b"}]}}, 45008),
        ({"msgtype": "image", "image": {}}, 40007),
    ]
    for body, errcode in cases:
        assert (await sim.api("POST", CUSTOM, json={"touser": "o_user_1", **body}))["errcode"] == errcode


async def test_custom_message_48h_window_when_enforced(make_sim: Callable[..., Awaitable[Sim]]) -> None:
    sim = await make_sim(enforce_48h=True)
    body = {"touser": "o_user_1", "msgtype": "text", "text": {"content": "您好"}}
    assert (await sim.api("POST", CUSTOM, json=body))["errcode"] == 45015
    await sim.control("POST", "/_sim/followers", json={"openid": "o_user_1", "interacted": True})
    assert (await sim.api("POST", CUSTOM, json=body))["errcode"] == 0
    sim.state.clock.advance(48 * 3600 + 1)
    fresh = await sim.token()  # the old token expired meanwhile
    assert (await sim.api("POST", CUSTOM, json=body, token=fresh))["errcode"] == 45015


async def test_custom_messages_capped_per_interaction(make_sim: Callable[..., Awaitable[Sim]]) -> None:
    sim = await make_sim(enforce_48h=True)
    await sim.control("POST", "/_sim/followers", json={"openid": "o_user_1", "interacted": True})
    body = {"touser": "o_user_1", "msgtype": "text", "text": {"content": "您好"}}
    codes = [(await sim.api("POST", CUSTOM, json=body))["errcode"] for _ in range(21)]
    assert codes == [0] * 20 + [45047]


async def test_custom_message_to_unsubscribed_follower(sim: Sim) -> None:
    await sim.control("POST", "/_sim/followers", json={"openid": "o_gone_1", "subscribed": False})
    body = {"touser": "o_gone_1", "msgtype": "text", "text": {"content": "您好"}}
    assert (await sim.api("POST", CUSTOM, json=body))["errcode"] == 45015
