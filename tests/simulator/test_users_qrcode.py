"""Followers, tags and parametric QR codes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

import pytest

from .conftest import Sim

PNG = b"\x89PNG\r\n\x1a\n"
MakeSim = Callable[..., Awaitable[Sim]]


async def test_user_info_shapes(make_sim: MakeSim) -> None:
    sim = await make_sim(strict_openids=True)
    await sim.control("POST", "/_sim/followers", json={"openid": "o_user_1", "unionid": "u_1"})
    await sim.control("POST", "/_sim/followers", json={"openid": "o_gone_1", "subscribed": False})
    info = await sim.api("GET", "/cgi-bin/user/info", params={"openid": "o_user_1", "lang": "zh_CN"})
    assert info["subscribe"] == 1 and info["unionid"] == "u_1" and info["tagid_list"] == []
    assert "nickname" not in info  # not returned since 2021-12-27
    gone = await sim.api("GET", "/cgi-bin/user/info", params={"openid": "o_gone_1"})
    assert gone["subscribe"] == 0
    assert (await sim.api("GET", "/cgi-bin/user/info", params={"openid": "o_nobody_1"}))["errcode"] == 40003
    assert (await sim.api("GET", "/cgi-bin/user/info"))["errcode"] == 41009


async def test_user_list_pages_through_subscribed_followers(sim: Sim) -> None:
    empty = await sim.api("GET", "/cgi-bin/user/get")
    assert empty == {"total": 0, "count": 0, "next_openid": ""}
    openids = [f"o_user_{i:03d}" for i in range(5)]
    await sim.control("POST", "/_sim/followers", json={"openids": openids})
    await sim.control("POST", "/_sim/followers", json={"openid": "o_gone_1", "subscribed": False})
    page = await sim.api("GET", "/cgi-bin/user/get")
    assert page["total"] == 5 and page["count"] == 5
    assert page["data"]["openid"] == openids and page["next_openid"] == "o_user_004"
    rest = await sim.api("GET", "/cgi-bin/user/get", params={"next_openid": "o_user_002"})
    assert rest["data"]["openid"] == ["o_user_003", "o_user_004"]


async def test_batchget(sim: Sim) -> None:
    body = {"user_list": [{"openid": "o_user_1", "lang": "zh_CN"}, {"openid": "o_user_2"}]}
    infos = (await sim.api("POST", "/cgi-bin/user/info/batchget", json=body))["user_info_list"]
    assert [i["openid"] for i in infos] == ["o_user_1", "o_user_2"]
    too_many = {"user_list": [{"openid": f"o_user_{i:03d}"} for i in range(101)]}
    assert (await sim.api("POST", "/cgi-bin/user/info/batchget", json=too_many))["errcode"] == 40032


async def test_tag_lifecycle(sim: Sim) -> None:
    created = await sim.api("POST", "/cgi-bin/tags/create", json={"tag": {"name": "高新企业"}})
    tag_id = created["tag"]["id"]
    assert created["tag"]["name"] == "高新企业" and tag_id >= 100
    assert (await sim.api("POST", "/cgi-bin/tags/create", json={"tag": {"name": "高新企业"}}))["errcode"] == 45157
    assert (await sim.api("POST", "/cgi-bin/tags/create", json={"tag": {"name": "长" * 31}}))["errcode"] == 45158
    members = {"tagid": tag_id, "openid_list": ["o_user_1", "o_user_2"]}
    assert (await sim.api("POST", "/cgi-bin/tags/members/batchtagging", json=members))["errcode"] == 0
    tags = (await sim.api("GET", "/cgi-bin/tags/get"))["tags"]
    assert {"id": tag_id, "name": "高新企业", "count": 2} in tags
    assert {"id": 2, "name": "星标组", "count": 0} in tags
    ids = await sim.api("POST", "/cgi-bin/tags/getidlist", json={"openid": "o_user_1"})
    assert ids["tagid_list"] == [tag_id]
    info = await sim.api("GET", "/cgi-bin/user/info", params={"openid": "o_user_1"})
    assert info["tagid_list"] == [tag_id]
    tagged = await sim.api("POST", "/cgi-bin/user/tag/get", json={"tagid": tag_id})
    assert tagged["data"]["openid"] == ["o_user_1", "o_user_2"]
    untag = {"tagid": tag_id, "openid_list": ["o_user_1"]}
    assert (await sim.api("POST", "/cgi-bin/tags/members/batchuntagging", json=untag))["errcode"] == 0
    assert (await sim.api("POST", "/cgi-bin/tags/getidlist", json={"openid": "o_user_1"}))["tagid_list"] == []
    renamed = {"tag": {"id": tag_id, "name": "专精特新"}}
    assert (await sim.api("POST", "/cgi-bin/tags/update", json=renamed))["errcode"] == 0
    assert (await sim.api("POST", "/cgi-bin/tags/update", json={"tag": {"id": 2, "name": "x"}}))["errcode"] == 45058
    assert (await sim.api("POST", "/cgi-bin/tags/delete", json={"tag": {"id": tag_id}}))["errcode"] == 0
    assert (await sim.api("POST", "/cgi-bin/tags/delete", json={"tag": {"id": tag_id}}))["errcode"] == 45159
    assert (await sim.api("POST", "/cgi-bin/tags/getidlist", json={"openid": "o_user_2"}))["tagid_list"] == []


async def test_tagging_limits(sim: Sim) -> None:
    tag_id = (await sim.api("POST", "/cgi-bin/tags/create", json={"tag": {"name": "t"}}))["tag"]["id"]
    fifty_one = {"tagid": tag_id, "openid_list": [f"o_user_{i:03d}" for i in range(51)]}
    assert (await sim.api("POST", "/cgi-bin/tags/members/batchtagging", json=fifty_one))["errcode"] == 40032
    unknown = {"tagid": 999, "openid_list": ["o_user_1"]}
    assert (await sim.api("POST", "/cgi-bin/tags/members/batchtagging", json=unknown))["errcode"] == 45159


async def test_qrcode_create_and_show(sim: Sim) -> None:
    temp = await sim.api("POST", "/cgi-bin/qrcode/create", json={
        "expire_seconds": 3600, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "policy:42"}}})
    assert temp["expire_seconds"] == 3600 and temp["url"].startswith("http://weixin.qq.com/q/")
    status, image = await sim.request("GET", "/cgi-bin/showqrcode", params={"ticket": temp["ticket"]})
    assert status == 200 and image.startswith(PNG)
    # The ticket is base64 with '+', '/' and '=': it must survive URL-encoding.
    async with sim.http.get(f"{sim.url}/cgi-bin/showqrcode?ticket={quote(temp['ticket'], safe='')}") as response:
        assert response.status == 200 and response.content_type == "image/png"
    permanent = await sim.api("POST", "/cgi-bin/qrcode/create", json={
        "action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100000}}})
    assert "expire_seconds" not in permanent
    default = await sim.api("POST", "/cgi-bin/qrcode/create", json={
        "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 7}}})
    assert default["expire_seconds"] == 60
    sim.state.clock.advance(61)
    status, _ = await sim.request("GET", "/cgi-bin/showqrcode", params={"ticket": default["ticket"]})
    assert status == 404
    status, _ = await sim.request("GET", "/cgi-bin/showqrcode", params={"ticket": permanent["ticket"]})
    assert status == 200
    status, _ = await sim.request("GET", "/cgi-bin/showqrcode", params={"ticket": "nope"})
    assert status == 404


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 0}}}, 40053),
        ({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 2**32}}}, 40053),
        ({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100001}}}, 40053),
        ({"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": ""}}}, 40053),
        ({"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "x" * 65}}}, 40053),
        ({"action_name": "QR_STR_SCENE", "action_info": {}}, 40053),
        ({"action_name": "QR_SCENE", "expire_seconds": 2_592_001, "action_info": {"scene": {"scene_id": 1}}}, 40097),
        ({"action_name": "QR_MAGIC", "action_info": {"scene": {"scene_id": 1}}}, 40097),
    ],
)
async def test_qrcode_validation(sim: Sim, body: dict, errcode: int) -> None:
    assert (await sim.api("POST", "/cgi-bin/qrcode/create", json=body))["errcode"] == errcode


async def test_qrcode_limits_at_the_boundary(sim: Sim) -> None:
    body = {"action_name": "QR_STR_SCENE", "expire_seconds": 2_592_000,
            "action_info": {"scene": {"scene_str": "x" * 64}}}
    assert (await sim.api("POST", "/cgi-bin/qrcode/create", json=body))["expire_seconds"] == 2_592_000
