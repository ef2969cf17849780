"""退订 in chat, as a follower types it (through the simulator and the callback)."""

from __future__ import annotations

import pytest

from app.identity.models import Follower
from app.push import service
from tests.handlers.conftest import Simulator

OPENID = "oTuiDing00001"


@pytest.fixture
async def chat(wechat, server, http) -> Simulator:
    """The simulator talking to this test's server as a follower."""
    callback_url = f"{server}/wechat/callback"
    async with http.post(f"{wechat.url}/_sim/config", json={"callback_url": callback_url}) as response:
        assert response.status == 200
    return Simulator(url=wechat.url, callback_url=callback_url, http=http)


async def test_a_follower_sees_what_they_receive_and_mutes_a_type(db, chat):
    reply = await chat.say(OPENID, "退订")
    assert "资金补贴" in reply and "退订 全部" in reply

    reply = await chat.say(OPENID, "退订 资金补贴")

    assert "已为您退订“资金补贴”" in reply
    follower = await Follower.get(openid=OPENID)
    state = await service.push_subscriptions(follower=follower)
    assert [t.label for t in state.muted] == ["资金补贴"]
    assert "资金补贴" not in reply.split("已退订")[0].split("接收以下类型的政策推送")[1]


async def test_a_follower_mutes_everything_and_comes_back(db, chat):
    assert "全部政策推送" in await chat.say(OPENID, "退订全部")
    follower = await Follower.get(openid=OPENID)
    assert (await service.push_subscriptions(follower=follower)).all_muted

    reply = await chat.say(OPENID, "恢复推送")

    assert "已为您恢复全部政策推送" in reply
    assert (await service.push_subscriptions(follower=follower)).muted == []


async def test_an_unknown_type_gets_the_list_of_types(db, chat):
    reply = await chat.say(OPENID, "退订 天气预报")
    assert "没有“天气预报”这一政策类型" in reply and "税收优惠" in reply
