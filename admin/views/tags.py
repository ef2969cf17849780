"""Follower tags: the list, create / rename / delete, and sync from WeChat."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.render import flash, redirect_to, render
from app.identity.tags import TagError, create_tag, delete_tag, list_tags, rename_tag, sync_from_wechat


def _wechat(request: Request) -> dict:
    resources = request.app.ctx.resources
    return {"client": resources.official_account, "redis": resources.redis}


@bp.get("/tags")
@requires("follower.view")
async def tag_list(request: Request) -> HTTPResponse:
    error = ""
    try:
        tags = await list_tags(**_wechat(request))
    except TagError as exc:
        tags, error = [], str(exc)
    return render(request, "tags.html", tags=tags, error=error)


@bp.post("/tags")
@requires("follower.tag")
async def tag_create(request: Request) -> HTTPResponse:
    return await _do(request, "标签已创建。", create_tag(actor=request.ctx.staff, name=forms.text(request, "name"),
                                                   **_wechat(request)))


@bp.post("/tags/<tag_id:int>/rename")
@requires("follower.tag")
async def tag_rename(request: Request, tag_id: int) -> HTTPResponse:
    return await _do(request, "标签已重命名。", rename_tag(actor=request.ctx.staff, tag_id=tag_id,
                                                    name=forms.text(request, "name"), **_wechat(request)))


@bp.post("/tags/<tag_id:int>/delete")
@requires("follower.tag")
async def tag_delete(request: Request, tag_id: int) -> HTTPResponse:
    return await _do(request, "标签已删除。", delete_tag(actor=request.ctx.staff, tag_id=tag_id, **_wechat(request)))


@bp.post("/tags/sync")
@requires("follower.tag")
async def tag_sync(request: Request) -> HTTPResponse:
    try:
        report = await sync_from_wechat(actor=request.ctx.staff, **_wechat(request))
    except TagError as exc:
        flash(request, "error", str(exc))
    else:
        flash(request, "ok", f"已从微信同步：{report.tags} 个标签，{report.followers_updated} 位粉丝的标签有变化。")
    return redirect_to(request, "/admin/tags")


async def _do(request: Request, done: str, change) -> HTTPResponse:
    try:
        await change
    except TagError as exc:
        flash(request, "error", str(exc))
    else:
        flash(request, "ok", done)
    return redirect_to(request, "/admin/tags")
