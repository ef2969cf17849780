"""Subscribe-notification grants as WeChat keeps them: a follower answering a popup (pushed
to the callback like WeChat does) changes what the account may send them, and the control
API shows a user's grants."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import xmltodict

from .conftest import MP_APPID, OA_APPID, CallbackServer, Sim

MakeSim = Callable[..., Awaitable[Sim]]
BIZSEND = "/cgi-bin/message/subscribe/bizsend"


async def event(sim: Sim, openid: str, name: str, container: str, items) -> None:
    await sim.control("POST", "/_sim/push", json={
        "openid": openid, "type": "event", "event": name, "mode": "plain", "extra": {container: {"List": items}},
    })


async def test_an_accepted_popup_grants_one_notification_and_a_settings_reject_withdraws_it(
    make_sim: MakeSim, callback: CallbackServer
) -> None:
    sim = await make_sim(callback_url=callback.url, require_grants=True)
    popup = [
        {"TemplateId": "tpl_biz", "SubscribeStatusString": "accept", "PopupScene": "2"},
        {"TemplateId": "tpl_other", "SubscribeStatusString": "reject", "PopupScene": "2"},
    ]
    await event(sim, "o_user_1", "subscribe_msg_popup_event", "SubscribeMsgPopupEvent", popup)
    pushed = xmltodict.parse(callback.received[0]["body"])["xml"]["SubscribeMsgPopupEvent"]["List"]
    assert [item["TemplateId"] for item in pushed] == ["tpl_biz", "tpl_other"]  # repeated <List> elements
    grants = await sim.control("GET", "/_sim/grants", params={"openid": "o_user_1"})
    assert (grants["appid"], grants["grants"]) == (OA_APPID, {"tpl_biz": 1})

    body = {"touser": "o_user_1", "template_id": "tpl_biz", "data": {"thing1": {"value": "办事提醒"}}}
    assert [(await sim.api("POST", BIZSEND, json=body))["errcode"] for _ in range(2)] == [0, 43101]

    await event(sim, "o_user_1", "subscribe_msg_popup_event", "SubscribeMsgPopupEvent", popup[0])
    await event(sim, "o_user_1", "subscribe_msg_change_event", "SubscribeMsgChangeEvent",
                {"TemplateId": "tpl_biz", "SubscribeStatusString": "reject"})
    assert (await sim.api("POST", BIZSEND, json=body))["errcode"] == 43101


async def test_a_long_term_grant_is_not_counted_down_by_popups(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url)
    await sim.control("POST", "/_sim/grants", json={"openid": "o_user_1", "template_id": "tpl_biz", "count": None})
    await event(sim, "o_user_1", "subscribe_msg_popup_event", "SubscribeMsgPopupEvent",
                {"TemplateId": "tpl_biz", "SubscribeStatusString": "accept"})
    assert (await sim.control("GET", "/_sim/grants", params={"openid": "o_user_1"}))["grants"] == {"tpl_biz": None}


async def test_grants_are_per_app(sim: Sim) -> None:
    await sim.control("POST", "/_sim/grants",
                      json={"appid": MP_APPID, "openid": "o_user_1", "template_id": "tpl_sub", "count": 2})
    assert (await sim.control("GET", "/_sim/grants", params={"openid": "o_user_1", "appid": MP_APPID}))["grants"] == {
        "tpl_sub": 2
    }
    assert (await sim.control("GET", "/_sim/grants", params={"openid": "o_user_1"}))["grants"] == {}
