"""A follower's unionid is learnt after they subscribe, joining them to their mini-program self."""

from __future__ import annotations

import aiohttp

from app.enterprise.reference import BindingRole
from app.identity.jobs import learn_follower_unionid
from app.identity.linking import resolve_miniprogram_account
from app.identity.models import EnterpriseBinding, Follower, WeChatUser
from app.identity import followers

from .factories import make_enterprise


async def register(wechat, settings, openid: str, unionid: str | None) -> None:
    async with aiohttp.ClientSession() as http:
        body = {"appid": settings.wechat_appid, "openid": openid, **({"unionid": unionid} if unionid else {})}
        async with http.post(f"{wechat.url}/_sim/followers", json=body) as response:
            assert response.status == 200, await response.text()


async def test_the_follower_joins_the_person_who_signed_in_to_the_mini_program(resources, wechat, settings):
    account = await resolve_miniprogram_account(openid="mp-1", unionid="u-1")
    enterprise = await make_enterprise()
    await EnterpriseBinding.create(user_id=account.user_id, enterprise=enterprise, role=BindingRole.contact,
                                   verified_by="test")
    await register(wechat, settings, "oa-unionid-1", "u-1")
    follower = (await followers.subscribe(openid="oa-unionid-1")).follower
    chat_self = await followers.ensure_user(follower=follower)  # e.g. used 为我推荐 before the job ran
    assert chat_self.id != account.user_id

    assert await learn_follower_unionid({"resources": resources}, "oa-unionid-1") == "u-1"

    follower = await Follower.get(openid="oa-unionid-1")
    assert follower.unionid == "u-1" and follower.user_id == account.user_id
    assert await WeChatUser.filter(id=chat_self.id).count() == 0  # merged away
    assert await EnterpriseBinding.filter(user_id=follower.user_id).count() == 1  # the chat now sees the binding


async def test_no_unionid_no_change(resources, wechat, settings):
    await register(wechat, settings, "oa-unionid-2", None)
    await followers.subscribe(openid="oa-unionid-2")
    assert await learn_follower_unionid({"resources": resources}, "oa-unionid-2") is None
    assert (await Follower.get(openid="oa-unionid-2")).unionid is None


async def test_a_follower_wechat_does_not_know_is_left_alone(resources, wechat):
    await followers.subscribe(openid="oa-ghost")
    assert await learn_follower_unionid({"resources": resources}, "oa-ghost") is None
