"""Filing an appeal in chat and 我的诉求, as a follower experiences them in the simulator."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from app.appeal import service
from app.appeal.models import Appeal, AppealAttachment, AppealChannel, AppealStatus
from app.content_check.models import CheckStatus, ContentCheck
from app.conversation import FlowContext
from app.demo import demo_organisations
from app.identity.models import EnterpriseBinding, Follower
from app.organisation.service import upsert_organisations
from handlers.appeal_chat import NO_APPEALS
from handlers.flows.file_appeal import FileAppeal
from tests.appeal.factories import file_appeal, make_cast, make_enterprise_user, take_to
from tests.identity.factories import make_enterprise

OPENID = "oAppealFlow0001"
DESCRIPTION = "公司申报的高新技术企业认定已提交两个月，一直没有收到反馈，希望了解办理进度。"


@pytest.fixture
async def organisations(db):
    """The coordination office and departments every appeal is dispatched through."""
    await upsert_organisations(demo_organisations())


def as_stored(text: str) -> str:
    """A description is kept as written: its "，" and "。" stay (only the ends are trimmed)."""
    return text.strip()


async def say(sim, *texts: str, openid: str = OPENID) -> str:
    reply = ""
    for text in texts:
        reply = await sim.say(openid, text)
    return reply


async def photo(sim, number: int, openid: str = OPENID) -> str:
    result = await sim.push(
        openid, type="image", pic_url=f"http://mmbiz.qpic.cn/sim/photo{number}", media_id=f"media-{number}"
    )
    assert result["status"] == 200 and result["reply_error"] is None, result
    return result["reply"]["Content"]


async def click(sim, key: str, openid: str = OPENID) -> str:
    return (await sim.event(openid, "CLICK", event_key=key))["reply"]["Content"]


async def test_an_appeal_filed_from_the_menu_with_two_photos_gets_its_number(sim, organisations):
    user = await make_enterprise_user(openid=OPENID)  # bound to one enterprise: used without asking
    binding = await EnterpriseBinding.get(user_id=user.id).prefetch_related("enterprise")

    first = await click(sim, "appeal_new")
    assert "【反映诉求 1/4】" in first and "4. 科技创新（科技项目、高新技术企业认定、研发费用）" in first
    assert "请描述您遇到的问题" in await say(sim, "4")
    assert "如有现场照片" in await say(sim, DESCRIPTION)
    assert (await photo(sim, 1)).startswith("已收到第1张照片。")
    assert (await photo(sim, 2)).startswith("已收到第2张照片。")
    summary = await say(sim, "完成")
    assert "请核对您的诉求" in summary and "· 类别：科技创新" in summary
    assert "· 照片：2 张" in summary and f"· 企业：{binding.enterprise.name}" in summary
    assert "1. 确认提交\n2. 修改描述\n3. 取消" in summary

    done = await say(sim, "1")
    appeal = await Appeal.get()
    assert done.startswith(f"您的诉求已提交，编号：{appeal.number}。")
    assert "受理时限1个工作日" in done and f"/h5/appeals/{appeal.id}" in done
    assert appeal.channel == AppealChannel.official_account and appeal.status == AppealStatus.submitted
    assert appeal.category == "technology" and appeal.description == as_stored(DESCRIPTION)
    assert appeal.submitter_id == user.id and appeal.enterprise_id == binding.enterprise_id
    photos = await AppealAttachment.filter(appeal_id=appeal.id).order_by("id")
    # Pages show a chat photo by its PicUrl (WeChat keeps a MediaId only 3 days).
    assert [p.storage_key for p in photos] == ["url:http://mmbiz.qpic.cn/sim/photo1", "url:http://mmbiz.qpic.cn/sim/photo2"]
    assert "请先发送关键词搜索政策" in await say(sim, "1")  # the conversation is over


async def test_a_retried_confirmation_files_one_appeal(sim, organisations):
    await say(sim, "我要反映", "税费办理", DESCRIPTION, "跳过", "上海重试测试有限公司")
    first = await sim.push(OPENID, type="text", content="确认", msg_id=880001)
    again = await sim.push(OPENID, type="text", content="确认", msg_id=880001)  # WeChat's retry
    assert first["reply"]["Content"].startswith("您的诉求已提交，编号：SQ")
    assert again["reply"]["Content"] == first["reply"]["Content"]
    assert await Appeal.all().count() == 1


async def test_completing_the_same_conversation_twice_returns_the_appeal_already_filed(sim, organisations, resources):
    await sim.say(OPENID, "你好")  # the follower exists
    follower = await Follower.get(openid=OPENID)
    deps = SimpleNamespace(follower=follower, settings=resources.settings, resources=resources)
    ctx = FlowContext(subject=OPENID, data={"token": "abc123"}, deps=deps)
    answers = {"category": "tax", "description": DESCRIPTION, "photos": [], "enterprise_name": None}
    first = await FileAppeal().complete(dict(answers), ctx)
    second = await FileAppeal().complete(dict(answers), ctx)
    assert first == second and await Appeal.all().count() == 1
    assert (await Appeal.get()).idempotency_key == f"oa:{OPENID}:abc123"
    another = FlowContext(subject=OPENID, data={"token": "def456"}, deps=deps)  # a new conversation
    await FileAppeal().complete(dict(answers), another)
    assert await Appeal.all().count() == 2


async def test_text_the_content_check_flags_is_filed_for_review_and_the_follower_told_so(sim, organisations):
    done = await say(sim, "我要反映", "其他诉求", "这是一段包含违禁词测试的诉求内容", "跳过", "跳过", "1")
    appeal = await Appeal.get()
    assert done.startswith(f"您的诉求已提交，编号：{appeal.number}。")
    assert "诉求内容正在审核中" in done and "受理时限" not in done
    assert appeal.status == AppealStatus.held
    check = await ContentCheck.get()
    assert (check.subject_type, check.subject_id, check.status) == ("appeal", appeal.id, CheckStatus.risky)


async def test_cancelling_at_any_step_files_nothing(sim, organisations):
    assert "已退出「反映诉求」" in await say(sim, "我要反映", "1", DESCRIPTION, "取消")
    await say(sim, "我要反映", "1", DESCRIPTION)
    await photo(sim, 1)
    assert "已退出「反映诉求」" in await say(sim, "完成", "跳过", "3")  # 3 = 取消 on the summary
    assert await Appeal.all().count() == 0


async def test_a_too_short_description_is_asked_again(sim, organisations):
    reply = await say(sim, "诉求", "其他诉求", "太慢")
    assert reply.startswith("描述太简短了，请至少写5个字")
    assert "请描述您遇到的问题" in reply
    assert "如有现场照片" in await say(sim, DESCRIPTION)


async def test_the_description_can_be_changed_from_the_summary(sim, organisations):
    await say(sim, "我要反映", "1", "第一次写的描述不够清楚", "跳过", "跳过")
    again = await say(sim, "2")
    assert "请描述您遇到的问题" in again and "（上次填写：第一次写的描述不够清楚）" in again
    summary = await say(sim, DESCRIPTION)
    assert "请核对您的诉求" in summary and "· 描述：公司申报的高新技术企业认定" in summary
    assert "· 企业：未填写" in summary
    await say(sim, "1")
    assert (await Appeal.get()).description == as_stored(DESCRIPTION)


async def test_with_several_bound_enterprises_the_follower_chooses_one(sim, organisations):
    user = await make_enterprise_user(openid=OPENID)
    other = await make_enterprise(name="上海第二家测试有限公司")
    await EnterpriseBinding.create(user=user, enterprise=other, role="contact", verified_by="test")
    choice = await say(sim, "我要反映", "1", DESCRIPTION, "跳过")
    assert "您绑定了多家企业" in choice and "1. 上海第二家测试有限公司" in choice
    assert "请回复企业前的数字（1-2）" in await say(sim, "5")
    assert "· 企业：上海第二家测试有限公司" in await say(sim, "1")
    await say(sim, "确认")
    assert (await Appeal.get()).enterprise_id == other.id


async def test_a_photo_where_none_is_asked_for_and_a_tenth_photo_are_refused(sim, organisations):
    await say(sim, "我要反映")
    assert (await photo(sim, 0)).startswith("这一步需要按提示回复文字。")  # the category step
    await say(sim, "1", DESCRIPTION)
    for number in range(1, 10):
        await photo(sim, number)
    assert (await photo(sim, 10)).startswith("最多可以上传9张照片，这张没有收下。")
    assert "· 照片：9 张" in await say(sim, "完成", "跳过")


async def test_photos_sent_together_are_all_kept(sim, organisations):
    """WeChat delivers several photos picked at once as separate, near-simultaneous messages."""
    await say(sim, "我要反映", "1", DESCRIPTION)
    replies = await asyncio.gather(*(photo(sim, number) for number in range(1, 6)))
    assert sorted(reply[:6] for reply in replies) == [f"已收到第{n}张" for n in range(1, 6)]
    assert "· 照片：5 张" in await say(sim, "完成", "跳过")


async def test_my_appeals_lists_the_latest_with_status_deadline_and_verdict(sim, organisations, settings):
    assert await say(sim, "我的诉求") == NO_APPEALS
    cast = await make_cast()
    follower = await Follower.get(user_id=cast.user.id)
    rated = await take_to("replied", cast, settings)
    await service.confirm(appeal_id=rated.id, user=cast.user, resolved=True, satisfaction="satisfied", settings=settings)
    waiting = await file_appeal(cast, settings, description="企业开办后税务登记一直无法完成，请协助处理。", category="tax")

    listed = await click(sim, "appeal_mine", openid=follower.openid)
    assert listed.startswith("您的诉求：")
    first, second = listed.index(waiting.number), listed.index(rated.number)
    assert first < second  # newest first
    assert f"{waiting.title[:16]}…【已提交】\n   受理时限：" in listed
    assert "【已办结】\n   评价：满意" in listed
    assert "/h5/appeals" in listed and "查看全部诉求" in listed
    assert await say(sim, "我的诉求", openid=follower.openid) == listed
