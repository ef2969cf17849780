"""Followers: the list (masked phones), one follower's message log, and tags kept in step with WeChat."""

from __future__ import annotations

import re

from app.audit.models import AuditLog
from app.identity.models import Follower, WeChatUser
from app.messagelog.service import record_inbound, record_outbound
from tests.conftest import TEST_APPID, TEST_SECRET

OPENIDS = re.compile(r'<td class="mono">(o[A-Za-z0-9_-]+)</td>')


async def make_followers() -> dict[str, Follower]:
    person = await WeChatUser.create(phone="13812341234")
    made = {
        "oAlice0001": await Follower.create(openid="oAlice0001", remark="张江科技", user=person),
        "oBob000002": await Follower.create(openid="oBob000002", remark="外高桥贸易"),
        "oCarol0003": await Follower.create(openid="oCarol0003", remark="", subscribed=False),
    }
    return made


async def sim(http, wechat, method: str, path: str, **kwargs):
    async with http.request(method, f"{wechat.url}{path}", **kwargs) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def records(http, wechat, api: str) -> list[dict]:
    return (await sim(http, wechat, "GET", "/_sim/records", params={"api": api}))["records"]


async def test_phone_numbers_are_masked_unless_the_role_allows(signed_in, accounts):
    await make_followers()
    fuwu = await signed_in("fuwu")
    _, page, _ = await fuwu.get("/admin/followers")
    assert "138****1234" in page and "13812341234" not in page
    admin = await signed_in("admin")
    _, page, _ = await admin.get("/admin/followers")
    assert "13812341234" in page
    alice = await Follower.get(openid="oAlice0001")
    _, page, _ = await fuwu.get(f"/admin/followers/{alice.id}")
    assert "138****1234" in page and "13812341234" not in page


async def test_search_by_openid_or_remark_and_partial_updates(signed_in, accounts):
    await make_followers()
    fuwu = await signed_in("fuwu")
    status, page, _ = await fuwu.get("/admin/followers")
    assert set(OPENIDS.findall(page)) == {"oAlice0001", "oBob000002", "oCarol0003"}
    _, page, _ = await fuwu.get("/admin/followers?q=外高桥")
    assert OPENIDS.findall(page) == ["oBob000002"]
    _, page, _ = await fuwu.get("/admin/followers?q=Carol")
    assert OPENIDS.findall(page) == ["oCarol0003"] and "已取消关注" in page
    _, partial, _ = await fuwu.get("/admin/followers?q=Alice", headers={"HX-Request": "true"})
    assert partial.lstrip().startswith('<div id="follower-rows">') and "<html" not in partial
    assert OPENIDS.findall(partial) == ["oAlice0001"]


async def test_a_follower_page_shows_their_message_log(signed_in, accounts):
    followers = await make_followers()
    alice = followers["oAlice0001"]
    await record_inbound(openid=alice.openid, kind="text", follower=alice, summary="请问高新技术企业认定什么时候申报？")
    await record_outbound(openid=alice.openid, kind="passive_reply", follower=alice, summary="申报通知将于每年四月发布。")
    await record_inbound(openid="oBob000002", kind="text", summary="别人的消息")
    status, page, _ = await (await signed_in("pinggu")).get(f"/admin/followers/{alice.id}")
    assert status == 200
    log = page[page.index('id="message-log"'):]
    assert "请问高新技术企业认定什么时候申报？" in log and "申报通知将于每年四月发布。" in log
    assert log.index("申报通知") < log.index("请问高新")  # newest first
    assert "收到" in log and "发出" in log
    assert "文字" in log and "被动回复" in log and "passive_reply" not in log  # staff read names, not codes
    assert "别人的消息" not in log


async def test_tags_are_created_renamed_and_deleted_on_wechat(signed_in, accounts, http, wechat):
    fuwu = await signed_in("fuwu")
    status, _, _ = await fuwu.post("/admin/tags", {"name": "高新技术企业"}, token_from="/admin/tags")
    assert status == 303
    created = await records(http, wechat, "/cgi-bin/tags/create")
    assert [r["json"]["tag"]["name"] for r in created] == ["高新技术企业"]
    _, page, _ = await fuwu.get("/admin/tags")
    assert "标签已创建" in page and "高新技术企业" in page
    tags = {t["name"]: t["id"] for t in (await wechat_tags(http, wechat))}
    tag_id = tags["高新技术企业"]
    await fuwu.post(f"/admin/tags/{tag_id}/rename", {"name": "专精特新企业"}, token_from="/admin/tags")
    assert [r["json"]["tag"] for r in await records(http, wechat, "/cgi-bin/tags/update")] == [
        {"id": tag_id, "name": "专精特新企业"}
    ]
    await fuwu.post(f"/admin/tags/{tag_id}/delete", token_from="/admin/tags")
    assert [r["json"]["tag"] for r in await records(http, wechat, "/cgi-bin/tags/delete")] == [{"id": tag_id}]
    assert [e.action for e in await AuditLog.filter(target_type="wechat_tag").order_by("id")] == [
        "tag.create", "tag.rename", "tag.delete"
    ]


async def wechat_tags(http, wechat) -> list[dict]:
    """The simulator's own view of the account's tags (through its WeChat API, as WeChat would answer)."""
    token = await sim(http, wechat, "POST", "/cgi-bin/stable_token",
                      json={"grant_type": "client_credential", "appid": TEST_APPID, "secret": TEST_SECRET})
    return (await sim(http, wechat, "GET", "/cgi-bin/tags/get", params={"access_token": token["access_token"]}))["tags"]


async def test_tagging_a_follower_goes_to_wechat_and_is_mirrored(signed_in, accounts, http, wechat):
    followers = await make_followers()
    await sim(http, wechat, "POST", "/_sim/followers", json={"openids": list(followers)})
    fuwu = await signed_in("fuwu")
    for name in ("高新技术企业", "外资企业"):
        await fuwu.post("/admin/tags", {"name": name}, token_from="/admin/tags")
    tags = {t["name"]: t["id"] for t in await wechat_tags(http, wechat)}
    alice = followers["oAlice0001"]
    path = f"/admin/followers/{alice.id}"

    status, _, _ = await fuwu.post(f"{path}/tags", [("tag_ids", tags["高新技术企业"]), ("tag_ids", tags["外资企业"])],
                                   token_from=path)
    assert status == 303
    tagging = await records(http, wechat, "/cgi-bin/tags/members/batchtagging")
    assert sorted((r["json"]["tagid"], tuple(r["json"]["openid_list"])) for r in tagging) == sorted(
        [(tags["高新技术企业"], ("oAlice0001",)), (tags["外资企业"], ("oAlice0001",))]
    )
    assert (await Follower.get(id=alice.id)).wechat_tag_ids == sorted([tags["高新技术企业"], tags["外资企业"]])

    await fuwu.post(f"{path}/tags", [("tag_ids", tags["外资企业"])], token_from=path)
    untagging = await records(http, wechat, "/cgi-bin/tags/members/batchuntagging")
    assert [(r["json"]["tagid"], r["json"]["openid_list"]) for r in untagging] == [(tags["高新技术企业"], ["oAlice0001"])]
    assert (await Follower.get(id=alice.id)).wechat_tag_ids == [tags["外资企业"]]
    _, page, _ = await fuwu.get(path)
    assert "标签已更新，并已同步到微信" in page

    # Deleting a tag on the panel removes it from the mirror too.
    await fuwu.post(f"/admin/tags/{tags['外资企业']}/delete", token_from="/admin/tags")
    assert (await Follower.get(id=alice.id)).wechat_tag_ids == []


async def test_sync_from_wechat_rebuilds_the_mirror(signed_in, accounts, http, wechat):
    followers = await make_followers()
    await sim(http, wechat, "POST", "/_sim/followers", json={"openids": list(followers)})
    await Follower.filter(openid="oCarol0003").update(wechat_tag_ids=[999])  # stale: a tag deleted elsewhere
    token = (await sim(http, wechat, "POST", "/cgi-bin/stable_token",
                       json={"grant_type": "client_credential", "appid": TEST_APPID, "secret": TEST_SECRET}))["access_token"]
    # Someone tags followers in the official account's own console, bypassing Qiyun.
    created = await sim(http, wechat, "POST", "/cgi-bin/tags/create", params={"access_token": token},
                        json={"tag": {"name": "园区企业"}})
    tag_id = created["tag"]["id"]
    await sim(http, wechat, "POST", "/cgi-bin/tags/members/batchtagging", params={"access_token": token},
              json={"tagid": tag_id, "openid_list": ["oAlice0001", "oBob000002"]})

    fuwu = await signed_in("fuwu")
    status, _, _ = await fuwu.post("/admin/tags/sync", token_from="/admin/tags")
    assert status == 303
    assert len(await records(http, wechat, "/cgi-bin/user/tag/get")) >= 1
    mirrored = {f.openid: f.wechat_tag_ids for f in await Follower.all()}
    assert mirrored == {"oAlice0001": [tag_id], "oBob000002": [tag_id], "oCarol0003": []}
    _, page, _ = await fuwu.get("/admin/tags")
    assert "已从微信同步" in page and "园区企业" in page
    entry = await AuditLog.get(action="tag.sync")
    assert entry.detail["followers_updated"] == 3

    _, page, _ = await fuwu.get(f"/admin/followers?tag={tag_id}")
    assert set(OPENIDS.findall(page)) == {"oAlice0001", "oBob000002"}


async def test_wechat_refusals_are_explained_in_chinese(signed_in, accounts, http, wechat):
    fuwu = await signed_in("fuwu")
    await fuwu.post("/admin/tags", {"name": "重复的标签"}, token_from="/admin/tags")
    await fuwu.post("/admin/tags", {"name": "重复的标签"}, token_from="/admin/tags")
    _, page, _ = await fuwu.get("/admin/tags")
    assert "标签名称为空或已存在" in page
    await fuwu.post("/admin/tags/2/delete", token_from="/admin/tags")  # 星标组, WeChat's own tag
    _, page, _ = await fuwu.get("/admin/tags")
    assert "微信系统标签" in page
