"""Followers: the searchable list, one follower with their messages, and their tags."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.paging import page_number, paginate
from admin.render import flash, not_found, redirect_to, render
from app.exports import xlsx_response
from app.identity import export as follower_export
from app.identity.directory import get_follower, message_log, phone_for, search_followers
from app.identity.tags import TagError, list_tags, set_follower_tags
from app.wechat.errors import WeChatAPIError

MESSAGES_PER_PAGE = 50


@bp.get("/followers")
@requires("follower.view")
async def follower_list(request: Request) -> HTTPResponse:
    staff = request.ctx.staff
    search = forms.query(request, "q")
    tag_id = forms.query_number(request, "tag")
    page = await paginate(await search_followers(viewer=staff, search=search, tag_id=tag_id),
                          number=page_number(forms.query(request, "page")))
    rows = [{"follower": f, "phone": phone_for(staff, f)} for f in page.items]
    template = "follower_rows.html" if request.headers.get("HX-Request") else "follower_list.html"
    params = {key: value for key, value in (("q", search), ("tag", tag_id)) if value}
    return render(request, template, page=page, rows=rows, q=search, tag=tag_id or "", params=params,
                  tags=await _tag_names(request))


@bp.get("/followers/export.xlsx")
@requires("follower.view")
async def follower_list_export(request: Request) -> HTTPResponse:
    """The list as filtered, every page; phones as `app.identity.export` decides."""
    return xlsx_response(await follower_export.export_followers(
        staff=request.ctx.staff, search=forms.query(request, "q"), tag_id=forms.query_number(request, "tag"),
        tag_names=await _tag_names(request),
    ))


@bp.get("/followers/<follower_id:int>")
@requires("follower.view")
async def follower_detail(request: Request, follower_id: int) -> HTTPResponse:
    staff = request.ctx.staff
    follower = await get_follower(viewer=staff, follower_id=follower_id)
    if follower is None:
        return not_found(request, "粉丝")
    messages = await paginate(message_log(follower=follower), number=page_number(forms.query(request, "page")),
                              per_page=MESSAGES_PER_PAGE)
    return render(request, "follower_detail.html", follower=follower, phone=phone_for(staff, follower),
                  messages=messages, tags=await _tag_names(request))


@bp.post("/followers/<follower_id:int>/tags")
@requires("follower.tag")
async def follower_tags(request: Request, follower_id: int) -> HTTPResponse:
    resources = request.app.ctx.resources
    try:
        await set_follower_tags(
            actor=request.ctx.staff, client=resources.official_account, redis=resources.redis,
            follower_id=follower_id, tag_ids=forms.numbers(request, "tag_ids"),
        )
    except TagError as exc:
        flash(request, "error", str(exc))
    else:
        flash(request, "ok", "标签已更新，并已同步到微信。")
    return redirect_to(request, f"/admin/followers/{follower_id}")


async def _tag_names(request: Request) -> dict[int, str]:
    """Tag id -> name for display; an unreachable WeChat shows ids instead of failing the page."""
    resources = request.app.ctx.resources
    try:
        return {t.id: t.name for t in await list_tags(client=resources.official_account, redis=resources.redis)}
    except (TagError, WeChatAPIError):
        return {}
