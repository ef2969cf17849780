"""Rating a completed service from the chat, as a follower experiences it in the simulator:
the engagement is requested, accepted, delivered and confirmed through the services, the
completion's prompt reaches the follower, and 评价 runs the rating flow to a stored rating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.engagement.models import EngagementChannel, ProviderRating
from app.identity.models import Follower
from app.outbox.delivery import deliver_pending
from app.outbox.models import OutboxMessage
from handlers.flows.rate_provider import NOTHING_TO_RATE
from tests.engagement.factories import configured, engage, make_cast, take_to

OPENID = "oRateFlow000001"


async def say(sim, *texts: str, openid: str = OPENID) -> str:
    reply = ""
    for text in texts:
        reply = await sim.say(openid, text)
    return reply


async def test_an_enterprise_rates_a_completed_service_from_the_chat(sim, settings, resources):
    cast = await make_cast(user_openid=OPENID)
    await say(sim, "你好")  # the follower writes: the 48-hour window is open
    engagement = await take_to("completed", cast, settings)

    await deliver_pending(configured(resources))
    [prompt] = await sim.messages(OPENID, kind="custom")
    text = prompt["payload"]["text"]["content"]
    assert f"您委托「{cast.provider.name}」的「高新技术企业认定辅导」服务已完成" in text
    assert "回复“评价”" in text and f"/h5/engagements/{engagement.id}#rate" in text

    first = await say(sim, "评价")
    assert "【服务评价" in first and f"请为「{cast.provider.name}」提供的「高新技术企业认定辅导」打分" in first
    assert (await say(sim, "六")).startswith("请回复 1 到 5 之间的一个数字")
    assert "专业能力、响应速度、服务态度、收费合理" in await say(sim, "4")
    assert (await say(sim, "5 4 5")).startswith("请按顺序回复 4 个 1–5 的数字")
    assert "请输入评语" in await say(sim, "5 4 5 5")
    summary = await say(sim, "材料准备很专业，就是前期响应稍慢。")
    assert "· 总体：★★★★☆ 满意" in summary and "· 分项：专业能力5，响应速度4，服务态度5，收费合理5" in summary
    done = await say(sim, "确认")
    assert done.startswith(f"感谢您的评价！您为「{cast.provider.name}」打了 4 分。")

    rating = await ProviderRating.get(engagement_id=engagement.id)
    assert (rating.overall, rating.rated_by_id, rating.channel) == (4, cast.user.id, EngagementChannel.chat)
    assert rating.dimensions == {"专业能力": 5, "响应速度": 4, "服务态度": 5, "收费合理": 5}
    assert rating.comment == "材料准备很专业，就是前期响应稍慢。" and rating.counts
    assert await OutboxMessage.filter(topic="provider.refresh", dedupe_key__startswith="provider_rating:").count() == 1
    assert await say(sim, "评价") == NOTHING_TO_RATE  # once per engagement


async def test_outside_the_window_the_prompt_is_a_template_message_and_the_flow_skips_optional_steps(
    sim, settings, resources
):
    cast = await make_cast(user_openid=OPENID)
    await say(sim, "你好")
    await Follower.filter(openid=OPENID).update(last_interaction_at=datetime.now(UTC) - timedelta(days=3))
    engagement = await take_to("completed", cast, settings)

    await deliver_pending(configured(resources))
    assert await sim.messages(OPENID, kind="custom") == []
    templates = await sim.messages(OPENID, kind="template")
    [prompt] = [m for m in templates if m["payload"]["template_id"] == "TPL_provider_engagement_progress"
                and m["payload"]["data"]["phrase3"]["value"] == "待评价"]
    assert prompt["payload"]["url"] == f"https://qiyun.example.gov.cn/h5/engagements/{engagement.id}#rate"

    await say(sim, "评价", "5", "跳过")
    summary = await say(sim, "跳过")
    assert "· 分项：未填写" in summary and "· 评语：未填写" in summary
    await say(sim, "1")
    rating = await ProviderRating.get(engagement_id=engagement.id)
    assert (rating.overall, rating.dimensions, rating.comment) == (5, {}, "")


async def test_with_two_unrated_services_the_follower_chooses_and_a_doubtful_comment_is_held(sim, settings, resources):
    cast = await make_cast(user_openid=OPENID)
    other = await make_cast()
    from app.identity.models import EnterpriseBinding

    await EnterpriseBinding.create(user=cast.user, enterprise=other.enterprise, role="contact", verified_by="test")
    first = await take_to("completed", cast, settings)
    second = await take_to("completed", other, settings, engagement=await engage(other, user=cast.user))
    choice = await say(sim, "评价")
    assert "您有多项已完成的服务待评价" in choice and f"{other.provider.name}｜高新技术企业认定辅导" in choice
    assert (await say(sim, "7")).startswith("请回复服务前的数字（1-2）")
    await say(sim, "1", "2", "跳过", "这是一段包含违禁词测试的评语")
    done = await say(sim, "确认")
    assert "评语正在审核中" in done
    rating = await ProviderRating.get(engagement_id=second.id)
    assert rating.overall == 2 and not rating.counts and rating.comment_check == "held"
    assert not await ProviderRating.filter(engagement_id=first.id).exists()


async def test_a_member_of_the_provider_has_nothing_to_rate(sim, settings):
    cast = await make_cast(member_openid=OPENID)
    from app.identity.models import EnterpriseBinding

    await EnterpriseBinding.create(user=cast.member, enterprise=cast.enterprise, role="contact", verified_by="test")
    await take_to("completed", cast, settings)
    assert await say(sim, "评价") == NOTHING_TO_RATE


@pytest.mark.parametrize("scene", ["provider:{id}", "provider:999999"])
async def test_scanning_a_providers_code_answers_with_its_card(sim, scene):
    cast = await make_cast()
    key = scene.format(id=cast.provider.id)
    result = await sim.event(OPENID, "subscribe", event_key=f"qrscene_{key}")
    reply = result["reply"]
    if "999999" in key:
        assert "未在服务机构名录中展示" in reply["Content"]
    else:
        assert cast.provider.name in str(reply) and f"/h5/providers/{cast.provider.id}" in str(reply)
