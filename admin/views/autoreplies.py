"""Automatic replies: the rules in the order they are tried, editing them, the welcome text."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.render import flash, not_found, redirect_to, render
from app.autoreply.models import MatchKind, ReplyKind
from app.autoreply.service import (
    AutoReplyError,
    delete_rule,
    flow_choices,
    get_rule,
    list_rules,
    save_rule,
    set_enabled,
    set_welcome_text,
    welcome_text,
)

_TEXT_FIELDS = ("name", "match_kind", "pattern", "reply_kind", "reply_text", "news_title", "news_description",
                "news_url", "news_picurl", "flow_name", "priority")


@bp.get("/autoreplies")
@requires("autoreply.view")
async def autoreply_list(request: Request) -> HTTPResponse:
    redis = request.app.ctx.resources.redis
    return render(request, "autoreply_list.html", rules=list(await list_rules().select_related("updated_by")),
                  welcome=await welcome_text(redis=redis), error="")


@bp.get("/autoreplies/new")
@requires("autoreply.manage")
async def autoreply_new_form(request: Request) -> HTTPResponse:
    values = {name: "" for name in _TEXT_FIELDS} | {"match_kind": "contains", "reply_kind": "text", "priority": "0",
                                                   "enabled": True}
    return _form(request, rule_id=None, values=values, error="")


@bp.post("/autoreplies/new")
@requires("autoreply.manage")
async def autoreply_create(request: Request) -> HTTPResponse:
    return await _save(request, rule_id=None)


@bp.get("/autoreplies/<rule_id:int>")
@requires("autoreply.manage")
async def autoreply_edit_form(request: Request, rule_id: int) -> HTTPResponse:
    rule = await get_rule(rule_id=rule_id)
    if rule is None:
        return not_found(request, "自动回复规则")
    values = {name: getattr(rule, name) for name in _TEXT_FIELDS}
    values.update(match_kind=rule.match_kind.value, reply_kind=rule.reply_kind.value, priority=str(rule.priority),
                  enabled=rule.enabled)
    return _form(request, rule_id=rule_id, values=values, error="")


@bp.post("/autoreplies/<rule_id:int>")
@requires("autoreply.manage")
async def autoreply_update(request: Request, rule_id: int) -> HTTPResponse:
    return await _save(request, rule_id=rule_id)


@bp.post("/autoreplies/<rule_id:int>/toggle")
@requires("autoreply.manage")
async def autoreply_toggle(request: Request, rule_id: int) -> HTTPResponse:
    enabled = forms.checked(request, "enabled")
    try:
        rule = await set_enabled(actor=request.ctx.staff, redis=request.app.ctx.resources.redis, rule_id=rule_id,
                                 enabled=enabled)
    except AutoReplyError as exc:
        flash(request, "error", str(exc))
        return redirect_to(request, "/admin/autoreplies")
    if request.headers.get("HX-Request"):
        return render(request, "autoreply_toggle.html", rule=rule)
    flash(request, "ok", "规则已启用。" if enabled else "规则已停用。")
    return redirect_to(request, "/admin/autoreplies")


@bp.post("/autoreplies/<rule_id:int>/delete")
@requires("autoreply.manage")
async def autoreply_delete(request: Request, rule_id: int) -> HTTPResponse:
    try:
        await delete_rule(actor=request.ctx.staff, redis=request.app.ctx.resources.redis, rule_id=rule_id)
    except AutoReplyError as exc:
        flash(request, "error", str(exc))
    else:
        flash(request, "ok", "规则已删除。")
    return redirect_to(request, "/admin/autoreplies")


@bp.post("/autoreplies/welcome")
@requires("autoreply.manage")
async def autoreply_welcome(request: Request) -> HTTPResponse:
    try:
        await set_welcome_text(actor=request.ctx.staff, redis=request.app.ctx.resources.redis,
                               text=forms.text(request, "text"))
    except AutoReplyError as exc:
        flash(request, "error", str(exc))
    else:
        flash(request, "ok", "关注欢迎语已保存，新关注的粉丝将收到新的欢迎语。")
    return redirect_to(request, "/admin/autoreplies")


async def _save(request: Request, *, rule_id: int | None) -> HTTPResponse:
    values: dict = {name: forms.text(request, name) for name in _TEXT_FIELDS}
    values["enabled"] = forms.checked(request, "enabled")
    try:
        await save_rule(actor=request.ctx.staff, redis=request.app.ctx.resources.redis, rule_id=rule_id, **values)
    except AutoReplyError as exc:
        return _form(request, rule_id=rule_id, values=values, error=str(exc), status=400)
    flash(request, "ok", "规则已保存，从下一条消息起生效。")
    return redirect_to(request, "/admin/autoreplies")


def _form(request: Request, *, rule_id: int | None, values: dict, error: str, status: int = 200) -> HTTPResponse:
    return render(request, "autoreply_form.html", status=status, rule_id=rule_id, values=values, error=error,
                  match_kinds=list(MatchKind), reply_kinds=list(ReplyKind), flows=flow_choices())
