"""The router's contract: the order of stages, priorities, PASS, and ownership of keys."""

from __future__ import annotations

import pytest

from handlers.context import Context
from handlers.inbound import parse_inbound
from handlers.replies import SILENT, News, Text
from handlers.router import PASS, Router, router


def ctx_for(xml_body: str) -> Context:
    head = "<ToUserName>gh</ToUserName><FromUserName>oRouter0001</FromUserName><CreateTime>1</CreateTime>"
    xml = f"<xml>{head}{xml_body}</xml>"
    return Context(inbound=parse_inbound(xml), follower=None, resources=None)  # type: ignore[arg-type]


def text(content: str) -> Context:
    return ctx_for(f"<MsgType>text</MsgType><Content><![CDATA[{content}]]></Content><MsgId>1</MsgId>")


def event(name: str, key: str = "") -> Context:
    return ctx_for(f"<MsgType>event</MsgType><Event>{name}</Event><EventKey><![CDATA[{key}]]></EventKey>")


@pytest.fixture
def fresh() -> Router:
    r = Router()

    @r.message("text")
    async def typed(ctx):
        return "type handler"

    @r.fallback("message")
    async def message_default(ctx):
        return "default"

    @r.fallback("event")
    async def event_default(ctx):
        return None

    return r


async def test_interceptors_come_first_then_keywords_then_auto_replies_then_the_type_handler(fresh):
    seen = []

    @fresh.interceptor()
    async def flow(ctx):
        seen.append("interceptor")
        return "in a flow" if ctx.text == "flow" else PASS

    @fresh.keyword(r"^kw$")
    async def kw(ctx):
        return "keyword"

    @fresh.auto_reply
    async def staff(ctx):
        return "auto" if ctx.text in ("auto", "kw") else PASS

    assert await fresh.dispatch(text("flow")) == Text("in a flow")
    assert await fresh.dispatch(text("kw")) == Text("keyword")
    assert await fresh.dispatch(text("auto")) == Text("auto")
    assert await fresh.dispatch(text("other")) == Text("type handler")
    assert seen == ["interceptor"] * 4


async def test_keywords_run_by_priority_then_registration_and_see_their_match(fresh):
    @fresh.keyword(r"政策(\w+)", priority=0)
    async def low(ctx):
        return f"low {ctx.match.group(1)}"

    @fresh.keyword(r"政策", priority=5)
    async def high(ctx):
        return PASS if "跳过" in ctx.text else "high"

    assert await fresh.dispatch(text("查政策")) == Text("high")
    assert await fresh.dispatch(text("政策补贴跳过")) == Text("low 补贴跳过")


async def test_keywords_match_full_width_text_and_never_events(fresh):
    @fresh.keyword(r"^help$")
    async def kw(ctx):
        return "help"

    assert await fresh.dispatch(text("ｈｅｌｐ ")) == Text("help")
    assert await fresh.dispatch(event("CLICK", "help")) is SILENT


async def test_a_click_goes_to_its_key_else_to_the_generic_click_handler(fresh):
    @fresh.click("policy_search")
    async def search(ctx):
        return "search"

    @fresh.event("CLICK")
    async def any_click(ctx):
        return f"other {ctx.inbound.event_key}"

    assert await fresh.dispatch(event("CLICK", "policy_search")) == Text("search")
    assert await fresh.dispatch(event("CLICK", "survey")) == Text("other survey")


async def test_unknown_types_get_the_message_fallback_and_unknown_events_silence(fresh):
    assert await fresh.dispatch(ctx_for("<MsgType>hologram</MsgType><MsgId>9</MsgId>")) == Text("default")
    assert await fresh.dispatch(event("some_new_event")) is SILENT


async def test_notices_are_put_before_the_reply(fresh):
    @fresh.interceptor()
    async def notice(ctx):
        ctx.notices.append("已为您暂停")
        return PASS

    assert await fresh.dispatch(text("other")) == Text("已为您暂停\n\n" + "type handler")
    assert await fresh.dispatch(event("VIEW")) == Text("已为您暂停")


async def test_a_key_has_one_owner(fresh):
    with pytest.raises(ValueError, match="already handled"):

        @fresh.message("text")
        async def another(ctx):
            return "x"


async def test_a_scene_placeholder_gives_way_to_its_real_owner(fresh):
    @fresh.scene("activity:", placeholder=True)
    async def placeholder(ctx, value):
        return PASS

    @fresh.scene("activity:")
    async def real(ctx, value):
        return f"签到 {value}"

    @fresh.scene("activity:", placeholder=True)  # a late placeholder does not displace it
    async def late_placeholder(ctx, value):
        return PASS

    assert await fresh.dispatch_scene(text("x"), "activity:42") == "签到 42"
    assert await fresh.dispatch_scene(text("x"), "unknown:1") is PASS
    with pytest.raises(ValueError, match="already handled"):

        @fresh.scene("activity:")
        async def second_owner(ctx, value):
            return "x"


async def test_handlers_may_answer_with_a_link_card(fresh):
    @fresh.keyword("^card$")
    async def card(ctx):
        return News(())

    assert isinstance(await fresh.dispatch(text("card")), News)


def test_the_official_account_router_has_every_menu_click_covered():
    from app.menu import load_menu
    from handlers import modules  # noqa: F401

    keys = [sub["key"] for button in load_menu()["button"] for sub in button.get("sub_button", []) if "key" in sub]
    assert router.click_handler("bind_enterprise") is not None
    assert router.event_handler("CLICK") is not None  # buttons of later issues say "coming soon"
    assert all(router.click_handler(key) or router.event_handler("click") for key in keys)
