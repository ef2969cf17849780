"""Automatic replies in the panel: create, edit, toggle (htmx), delete, welcome text — live at once."""

from __future__ import annotations

from app.audit.models import AuditLog
from app.autoreply.models import AutoReplyRule
from app.autoreply.service import find_reply, welcome_text

RULE = {"name": "政策咨询", "match_kind": "contains", "pattern": "政策", "reply_kind": "text",
        "reply_text": "点击菜单“政策服务”可查询最新惠企政策。", "priority": "5", "enabled": "on"}


async def test_create_edit_toggle_and_delete_a_rule(signed_in, resources):
    redis = resources.redis
    fuwu = await signed_in("fuwu")
    status, _, response = await fuwu.post("/admin/autoreplies/new", RULE, token_from="/admin/autoreplies/new")
    assert status == 303 and response.headers["Location"] == "/admin/autoreplies"
    rule = await AutoReplyRule.get(name="政策咨询")
    assert rule.priority == 5 and rule.enabled
    assert (await find_reply(text="有什么新政策", redis=redis)).text == RULE["reply_text"]
    _, page, _ = await fuwu.get("/admin/autoreplies")
    assert "规则已保存，从下一条消息起生效" in page and "政策咨询" in page

    edit = f"/admin/autoreplies/{rule.id}"
    status, _, _ = await fuwu.post(edit, RULE | {"reply_text": "请回复区名查询本区政策。"}, token_from=edit)
    assert status == 303
    assert (await find_reply(text="有什么新政策", redis=redis)).text == "请回复区名查询本区政策。"

    token = await fuwu.token("/admin/autoreplies")
    status, fragment, _ = await fuwu.post(f"{edit}/toggle", {"enabled": ""}, token=None,
                                          headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert status == 200 and "已停用" in fragment and "<html" not in fragment
    assert await find_reply(text="有什么新政策", redis=redis) is None

    status, _, _ = await fuwu.post(f"{edit}/delete", token_from="/admin/autoreplies")
    assert status == 303 and not await AutoReplyRule.exists()
    actions = [e.action for e in await AuditLog.filter(target_type="autoreply").order_by("id")]
    assert actions == ["autoreply.create", "autoreply.update", "autoreply.update", "autoreply.delete"]


async def test_a_refused_rule_keeps_what_was_typed(signed_in):
    fuwu = await signed_in("fuwu")
    status, page, _ = await fuwu.post("/admin/autoreplies/new", RULE | {"match_kind": "regex", "pattern": "([a-z"},
                                      token_from="/admin/autoreplies/new")
    assert status == 400 and "正则表达式有误" in page
    assert 'value="([a-z"' in page and "点击菜单“政策服务”可查询最新惠企政策。" in page
    assert not await AutoReplyRule.exists()


async def test_the_welcome_text_is_edited_in_the_panel(signed_in, resources):
    fuwu = await signed_in("fuwu")
    status, _, _ = await fuwu.post("/admin/autoreplies/welcome", {"text": "欢迎关注企业服务云（浦东）！"},
                                   token_from="/admin/autoreplies")
    assert status == 303
    assert await welcome_text(redis=resources.redis) == "欢迎关注企业服务云（浦东）！"
    _, page, _ = await fuwu.get("/admin/autoreplies")
    assert "欢迎关注企业服务云（浦东）！" in page
    assert await AuditLog.filter(action="autoreply.welcome").exists()


async def test_the_evaluator_sees_rules_without_edit_controls(signed_in):
    fuwu = await signed_in("fuwu")
    await fuwu.post("/admin/autoreplies/new", RULE, token_from="/admin/autoreplies/new")
    status, page, _ = await (await signed_in("pinggu")).get("/admin/autoreplies")
    assert status == 200 and "政策咨询" in page
    assert "新建规则" not in page and "/toggle" not in page and "保存欢迎语" not in page
