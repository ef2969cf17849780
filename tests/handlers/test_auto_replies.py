"""Staff-managed replies (app.autoreply) in the router: after the built-in keywords,
answering with a text, a link card, or by starting a chat flow; and the staff's welcome."""

from __future__ import annotations

from app.autoreply.models import AutoReplyRule, AutoReplyText, MatchKind, ReplyKind

OPENID = "oAutoReply001"


async def rule(**fields) -> AutoReplyRule:
    return await AutoReplyRule.create(name=fields.pop("name", "测试规则"), **fields)


async def test_a_text_rule_answers_after_the_built_in_keywords(sim, db):
    await rule(match_kind=MatchKind.contains, pattern="社保", reply_kind=ReplyKind.text, reply_text="社保补贴请看……")
    await rule(match_kind=MatchKind.exact, pattern="帮助", reply_kind=ReplyKind.text, reply_text="被内置关键词抢先")
    assert await sim.say(OPENID, "请问社保补贴怎么申请") == "社保补贴请看……"
    assert (await sim.say(OPENID, "帮助")).startswith("您可以这样使用企业服务云")


async def test_a_news_rule_answers_with_a_link_card(sim, db):
    await rule(match_kind=MatchKind.exact, pattern="指南", reply_kind=ReplyKind.news, news_title="办事指南",
               news_description="常见事项", news_url="https://example.invalid/guide")
    reply = (await sim.push(OPENID, type="text", content="指南"))["reply"]
    assert reply["MsgType"] == "news" and reply["Articles"]["item"]["Title"] == "办事指南"


async def test_a_flow_rule_starts_the_chat_flow(sim, db):
    await rule(match_kind=MatchKind.exact, pattern="我要绑定", reply_kind=ReplyKind.flow, flow_name="bind_enterprise")
    assert "【绑定企业 1/4】" in await sim.say(OPENID, "我要绑定")


async def test_the_staff_welcome_replaces_the_built_in_one(sim, db):
    await AutoReplyText.create(key="welcome", text="欢迎来到企业服务云（工作人员编辑）")
    assert (await sim.event(OPENID, "subscribe"))["reply"]["Content"] == "欢迎来到企业服务云（工作人员编辑）"
