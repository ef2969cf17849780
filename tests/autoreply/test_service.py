"""Automatic replies: matching, priority, the welcome text, and the Redis cache that edits invalidate."""

from __future__ import annotations

import pytest

from app.autoreply.models import AutoReplyRule, ReplyKind
from app.autoreply.service import (
    DEFAULT_WELCOME,
    AutoReplyError,
    NewsArticle,
    delete_rule,
    find_reply,
    save_rule,
    set_enabled,
    set_welcome_text,
    welcome_text,
)
from app.conversation.flows import Flow, Step, flow, unregister_flow
from app.staff.models import StaffRole
from tests.admin.support import make_staff, seed_organisations


@pytest.fixture
async def editor(db):
    await seed_organisations()
    return await make_staff("fuwu", StaffRole.service_manager, "city.coordination")


@pytest.fixture
def appeal_flow():
    @flow("test_appeal")
    class TestAppeal(Flow):
        title = "反映诉求"
        steps = (Step("content", "请描述您的诉求："),)

        async def complete(self, answers, ctx):
            return "已收到"

    yield "test_appeal"
    unregister_flow("test_appeal")


async def rule(editor, redis, **fields):
    values = {"name": "规则", "match_kind": "contains", "pattern": "政策", "reply_kind": "text", "reply_text": "回复"}
    return await save_rule(actor=editor, redis=redis, **(values | fields))


@pytest.mark.parametrize("cached", [True, False])
async def test_contains_exact_and_regex(editor, redis, cached):
    await rule(editor, redis, name="包含", match_kind="contains", pattern="高新", reply_text="高新技术企业认定指南")
    await rule(editor, redis, name="精确", match_kind="exact", pattern="人工", reply_text="正在为您转接人工客服")
    await rule(editor, redis, name="正则", match_kind="regex", pattern=r"^\d{18}$|统一社会信用代码",
               reply_text="请发送营业执照上的统一社会信用代码")
    use = redis if cached else None
    assert (await find_reply(text="请问高新企业怎么认定", redis=use)).text == "高新技术企业认定指南"
    assert (await find_reply(text="人工", redis=use)).text == "正在为您转接人工客服"
    assert (await find_reply(text=" 人工 ", redis=use)).text == "正在为您转接人工客服"
    assert await find_reply(text="我要人工服务", redis=use) is None  # exact means exact
    assert (await find_reply(text="913101150000000000", redis=use)).text.startswith("请发送")
    assert await find_reply(text="你好", redis=use) is None


async def test_matching_ignores_case_and_full_width(editor, redis):
    await rule(editor, redis, match_kind="contains", pattern="VIP", reply_text="VIP 服务")
    await rule(editor, redis, match_kind="exact", pattern="abc123", reply_text="精确")
    assert (await find_reply(text="我是ｖｉｐ客户", redis=redis)).text == "VIP 服务"
    assert (await find_reply(text="ＡＢＣ１２３", redis=redis)).text == "精确"


async def test_higher_priority_wins_then_the_older_rule(editor, redis):
    low = await rule(editor, redis, name="低", pattern="政策", reply_text="低优先级", priority=0)
    high = await rule(editor, redis, name="高", pattern="政策", reply_text="高优先级", priority=10)
    await rule(editor, redis, name="同级较新", pattern="政策", reply_text="较新", priority=0)
    assert (await find_reply(text="政策", redis=redis)).text == "高优先级"
    await delete_rule(actor=editor, redis=redis, rule_id=high.id)
    match = await find_reply(text="政策", redis=redis)
    assert (match.rule_id, match.text) == (low.id, "低优先级")


async def test_news_and_flow_replies(editor, redis, appeal_flow):
    await rule(editor, redis, pattern="指南", reply_kind="news", news_title="2024 年惠企政策汇编",
               news_description="一图读懂", news_url="https://qiyun.example.gov.cn/h5/policies",
               news_picurl="https://qiyun.example.gov.cn/static/cover.png")
    await rule(editor, redis, pattern="诉求", reply_kind="flow", flow_name=appeal_flow)
    news = await find_reply(text="办事指南", redis=redis)
    assert news.kind is ReplyKind.news and news.text == ""
    assert news.article == NewsArticle("2024 年惠企政策汇编", "一图读懂", "https://qiyun.example.gov.cn/h5/policies",
                                       "https://qiyun.example.gov.cn/static/cover.png")
    started = await find_reply(text="我要反映诉求", redis=redis)
    assert started.kind is ReplyKind.flow and started.flow_name == "test_appeal" and started.article is None
    assert (str(news.kind), str(started.kind)) == ("news", "flow")  # the router compares plain strings


async def test_edits_apply_at_once_through_the_cache(editor, redis):
    saved = await rule(editor, redis, pattern="营业时间", reply_text="工作日 9:00-17:00")
    assert (await find_reply(text="营业时间", redis=redis)).text == "工作日 9:00-17:00"  # now cached
    await save_rule(actor=editor, redis=redis, rule_id=saved.id, name="时间", match_kind="contains",
                    pattern="营业时间", reply_kind="text", reply_text="工作日 8:30-17:30")
    assert (await find_reply(text="营业时间", redis=redis)).text == "工作日 8:30-17:30"
    await set_enabled(actor=editor, redis=redis, rule_id=saved.id, enabled=False)
    assert await find_reply(text="营业时间", redis=redis) is None
    await set_enabled(actor=editor, redis=redis, rule_id=saved.id, enabled=True)
    assert await find_reply(text="营业时间", redis=redis) is not None
    await delete_rule(actor=editor, redis=redis, rule_id=saved.id)
    assert await find_reply(text="营业时间", redis=redis) is None


async def test_the_cache_is_used(editor, redis):
    await rule(editor, redis, pattern="缓存", reply_text="来自缓存")
    assert (await find_reply(text="缓存", redis=redis)).text == "来自缓存"
    await AutoReplyRule.all().update(reply_text="数据库已改，但未经服务修改")  # bypasses invalidation
    assert (await find_reply(text="缓存", redis=redis)).text == "来自缓存"
    assert (await find_reply(text="缓存", redis=None)).text == "数据库已改，但未经服务修改"


async def test_the_default_welcome_says_what_the_account_does_and_how_to_bind(redis):
    # A new follower's first message: the services on offer, and the first step to take.
    welcome = await welcome_text(redis=redis)
    assert all(word in welcome for word in ("查政策", "提诉求", "找服务", "回复“绑定”"))


async def test_welcome_text_has_a_default_and_edits_apply(editor, redis):
    assert await welcome_text(redis=redis) == DEFAULT_WELCOME
    await set_welcome_text(actor=editor, redis=redis, text="欢迎关注浦东企业服务！\r\n回复“政策”查看最新政策。")
    assert await welcome_text(redis=redis) == "欢迎关注浦东企业服务！\n回复“政策”查看最新政策。"
    assert await welcome_text() == "欢迎关注浦东企业服务！\n回复“政策”查看最新政策。"
    with pytest.raises(AutoReplyError, match="关注欢迎语不能为空"):
        await set_welcome_text(actor=editor, redis=redis, text="  ")
    with pytest.raises(AutoReplyError, match="过长"):
        await set_welcome_text(actor=editor, redis=redis, text="长" * 700)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "规则名称为必填项"),
        ({"pattern": ""}, "关键词（或正则表达式）为必填项"),
        ({"match_kind": "regex", "pattern": "(unclosed"}, "正则表达式有误"),
        ({"match_kind": "fuzzy"}, "请选择匹配方式"),
        ({"reply_text": ""}, "回复内容不能为空"),
        ({"reply_kind": "news", "news_title": "标题", "news_url": "javascript:alert(1)"}, "图文链接须为以 http"),
        ({"reply_kind": "news", "news_title": "", "news_url": "https://a.cn"}, "图文标题为必填项"),
        ({"reply_kind": "flow", "flow_name": "no_such_flow"}, "未找到名为“no_such_flow”的对话流程"),
        ({"priority": "high"}, "优先级须为"),
        ({"priority": 5000}, "优先级须为"),
    ],
)
async def test_invalid_rules_are_refused_in_chinese(editor, redis, fields, message):
    with pytest.raises(AutoReplyError, match=message):
        await rule(editor, redis, **fields)
    assert await AutoReplyRule.all().count() == 0


async def test_a_broken_regex_saved_elsewhere_does_not_break_replies(editor, redis):
    await rule(editor, redis, pattern="帮助", reply_text="帮助信息")
    await AutoReplyRule.create(name="坏规则", match_kind="regex", pattern="(", reply_kind="text", reply_text="x",
                               priority=100)
    assert (await find_reply(text="帮助", redis=None)).text == "帮助信息"
