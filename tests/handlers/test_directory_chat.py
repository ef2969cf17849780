"""Public services in the chat, through the simulator: a keyword search answers with the
policies and, after them, the matching public services; a keyword only services match is
answered with those services."""

from __future__ import annotations

import re

from app.directory.models import DirectoryCategory, DirectoryKind, UtilityType
from app.enterprise.reference import District
from tests.directory.factories import make_entry
from tests.handlers.test_policy_chat import custom_texts, publish

OPENID = "oDirectoryChat0001"


async def test_a_policy_search_also_lists_the_related_public_services(sim, db):
    await publish("人才公寓租赁补贴办法", summary="人才公寓")
    await publish("人才公寓建设管理办法", summary="人才公寓")
    entrance = await make_entry(DirectoryKind.entrance, title="人才公寓申请", category=DirectoryCategory.talent)
    await make_entry(DirectoryKind.park, title="张江科学城")  # unrelated

    card = (await sim.push(OPENID, type="text", content="人才公寓"))["reply"]
    assert card["MsgType"] == "news"

    texts = await custom_texts(sim, OPENID, at_least=2)
    assert texts[0].startswith("更多相关政策：")
    services = texts[1]
    assert services.startswith("相关公共服务：")
    assert re.search(rf'<a href="[^"]+/h5/services/{entrance.id}">人才公寓申请</a>（人才服务）', services)
    assert "张江科学城" not in services and "/h5/services?q=" in services


async def test_a_keyword_only_services_match_is_answered_with_the_services(sim, db):
    guide = await make_entry(DirectoryKind.utility_guide, title="浦东新区企业用电接入指南", district=District.pudong)
    await make_entry(DirectoryKind.utility_guide, title="浦东新区企业用水接入指南", district=District.pudong,
                     utility_type=UtilityType.water)

    reply = await sim.say(OPENID, "用电接入")

    assert reply.startswith("没有找到与“用电接入”相关的政策。")
    assert f"/h5/services/{guide.id}" in reply and "（用电接入）" in reply
    assert reply.index("用电接入指南") < reply.index("用水接入指南")


async def test_the_number_reply_still_opens_policies_only(sim, db):
    for n in range(1, 3):
        await publish(f"专精特新企业奖励办法第{n}号", summary="专精特新")
    await make_entry(title="专精特新服务站", category=DirectoryCategory.other)
    await sim.say(OPENID, "专精特新")
    card = (await sim.push(OPENID, type="text", content="2"))["reply"]
    article = card["Articles"][0] if isinstance(card.get("Articles"), list) else card["Articles"]["item"]
    assert "/h5/policies/" in article["Url"]
