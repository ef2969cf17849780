"""Policies in the chat, through the simulator: a keyword finds policies (one card, then a
numbered list), a number opens a listed policy, 为我推荐 matches the bound enterprise."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

from app.identity.models import EnterpriseBinding, Follower, WeChatUser
from app.enterprise.reference import BindingRole, District
from app.messagelog.models import MessageLog
from app.policy.models import Policy, PolicyStatus, SupportType
from app.policy.search import reindex_policy
from app.policy.search_cache import KEY_PREFIX
from tests.identity.factories import make_enterprise

OPENID = "oPolicyChat0001"


async def custom_texts(sim, openid: str, *, at_least: int) -> list[str]:
    """Customer-service texts the follower received (follow-ups are sent just after the reply)."""
    for _ in range(100):
        sent = [m["payload"]["text"]["content"] for m in await sim.messages(openid, kind="custom")
                if m.get("msgtype") == "text"]
        if len(sent) >= at_least:
            return sent
        await asyncio.sleep(0.05)
    return sent


async def publish(title: str, *, summary: str = "", body: str = "", targeting: dict | None = None,
                  support_type: SupportType = SupportType.subsidy, expiry: date | None = None,
                  status: PolicyStatus = PolicyStatus.published) -> Policy:
    policy = await Policy.create(
        title=title, summary=summary, body=body or summary, support_type=support_type, status=status,
        targeting=targeting or {}, publish_date=date.today() - timedelta(days=10), expiry_date=expiry,
        doc_number="沪科规〔2026〕1号",
    )
    await reindex_policy(policy_id=policy.id)
    return policy


async def test_a_keyword_returns_the_best_match_as_a_card_and_the_rest_as_a_numbered_list(sim, db):
    best = await publish("科技型中小企业研发费用补贴实施细则", summary="对研发投入给予资助")
    others = [await publish(f"研发补贴配套政策第{n}号", summary="研发补贴") for n in range(1, 4)]
    await publish("人才公寓租赁管理办法", summary="人才公寓", support_type=SupportType.talent)

    result = await sim.push(OPENID, type="text", content="研发补贴")
    card = result["reply"]
    assert card["MsgType"] == "news" and card["ArticleCount"] == "1"
    article = card["Articles"][0] if isinstance(card.get("Articles"), list) else card["Articles"]["item"]
    assert "研发" in article["Title"]
    assert article["Url"].endswith(f"/h5/policies/{best.id}") or any(
        article["Url"].endswith(f"/h5/policies/{p.id}") for p in others
    )

    followups = await custom_texts(sim, OPENID, at_least=1)
    assert len(followups) == 1
    listing = followups[0]
    assert listing.startswith("更多相关政策：") and "2. <a href=" in listing and "4. <a href=" in listing
    assert "人才公寓" not in listing
    # The card and the list are both in the message log.
    for _ in range(100):
        kinds = [entry.kind for entry in await MessageLog.filter(direction="outbound").order_by("id")]
        if len(kinds) >= 2:
            break
        await asyncio.sleep(0.05)
    assert kinds == ["passive_reply", "custom"]


async def test_followers_asking_the_same_words_share_one_ranked_page_for_a_few_seconds(sim, db, resources, redis):
    resources.settings = resources.settings.model_copy(update={"policy_search_cache_seconds": 30})
    first = await publish("科技型中小企业研发费用补贴实施细则", summary="研发补贴")
    card = (await sim.push(OPENID, type="text", content="研发补贴"))["reply"]
    assert [key async for key in redis.scan_iter(match=KEY_PREFIX + "*")] != []

    # Published after the first search: the next follower within the TTL gets the shared page.
    await publish("研发补贴配套政策", summary="研发补贴")
    again = (await sim.push("oPolicyChat0002", type="text", content="研发补贴"))["reply"]
    article = again["Articles"][0] if isinstance(again.get("Articles"), list) else again["Articles"]["item"]
    assert article["Url"].endswith(f"/h5/policies/{first.id}")
    assert len([key async for key in redis.scan_iter(match=KEY_PREFIX + "*")]) == 1
    assert card["MsgType"] == again["MsgType"] == "news"


async def test_a_number_after_a_search_opens_that_result(sim, db):
    for n in range(1, 4):
        await publish(f"专精特新企业奖励办法第{n}号", summary="专精特新")
    assert (await sim.say(OPENID, "3")).startswith("请先发送关键词搜索政策")  # no list yet
    await sim.say(OPENID, "专精特新")
    listing = (await custom_texts(sim, OPENID, at_least=1))[0]
    third = re.search(r'3\. <a href="([^"]+)">', listing).group(1)
    card = (await sim.push(OPENID, type="text", content="3"))["reply"]
    article = card["Articles"][0] if isinstance(card.get("Articles"), list) else card["Articles"]["item"]
    assert card["MsgType"] == "news" and article["Url"] == third
    assert await sim.say(OPENID, "9") == "列表中没有第9条，请回复1到3之间的数字。"


async def test_no_result_gives_a_useful_suggestion(sim, db):
    await publish("贷款贴息支持办法", summary="贷款贴息")
    reply = await sim.say(OPENID, "火星移民")
    assert reply.startswith("没有找到与“火星移民”相关的政策") and "为我推荐" in reply


async def test_drafts_are_never_found_and_expired_policies_are_flagged(sim, db):
    await publish("首台套装备保险补偿办法（草案）", summary="首台套", status=PolicyStatus.draft)
    assert (await sim.say(OPENID, "首台套")).startswith("没有找到")
    await publish("首台套装备保险补偿办法", summary="首台套", expiry=date.today() - timedelta(days=1),
                  status=PolicyStatus.expired)
    card = (await sim.push(OPENID, type="text", content="首台套"))["reply"]
    article = card["Articles"][0] if isinstance(card.get("Articles"), list) else card["Articles"]["item"]
    assert article["Title"].startswith("【已失效】")


async def test_recommend_asks_an_unbound_follower_to_bind_first(sim, db):
    await sim.event(OPENID, "subscribe")
    reply = (await sim.event(OPENID, "CLICK", event_key="policy_recommend"))["reply"]["Content"]
    assert "先绑定企业" in reply and "回复“绑定”" in reply


async def test_recommend_returns_the_policies_the_bound_enterprise_qualifies_for(sim, db):
    await sim.event(OPENID, "subscribe")
    follower = await Follower.get(openid=OPENID)
    user = await WeChatUser.create()
    follower.user_id = user.id
    await follower.save()
    enterprise = await make_enterprise()  # Pudong, small, section I
    await EnterpriseBinding.create(user=user, enterprise=enterprise, role=BindingRole.legal_representative,
                                   verified_by="test")
    fits = await publish("浦东新区小微企业研发补贴", summary="研发",
                         targeting={"districts": [District.pudong.value], "size_classes": ["small", "micro"]})
    await publish("闵行区企业研发补贴", summary="研发", targeting={"districts": [District.minhang.value]})

    card = (await sim.event(OPENID, "CLICK", event_key="policy_recommend"))["reply"]
    article = card["Articles"][0] if isinstance(card.get("Articles"), list) else card["Articles"]["item"]
    assert article["Title"] == fits.title and article["Url"].endswith(f"/h5/policies/{fits.id}")
    assert "符合：" in article["Description"] and "浦东新区" in article["Description"]
