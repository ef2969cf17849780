"""The official account's menu: edit the JSON, save versions, publish the newest to WeChat."""

from __future__ import annotations

import json

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.render import flash, redirect_to, render
from app.menu import menu_substitutions
from app.menustore.service import MenuStoreError, current_source, list_versions, save_version, upload_menu

VERSIONS_SHOWN = 20


def _substitutions(request: Request) -> dict[str, str]:
    settings = request.app.ctx.resources.settings
    return menu_substitutions(public_base_url=settings.public_base_url, miniprogram_appid=settings.miniprogram_appid)


async def _page(request: Request, *, text: str | None = None, note: str = "", error: str = "", status: int = 200):
    source, version = await current_source()
    if text is None:
        text = json.dumps(source, ensure_ascii=False, indent=2)
    return render(
        request, "menu.html", status=status, text=text, note=note, error=error, current=version,
        versions=list(await list_versions().limit(VERSIONS_SHOWN)), placeholders=sorted(_substitutions(request)),
    )


@bp.get("/menu")
@requires("menu.view")
async def menu_editor(request: Request) -> HTTPResponse:
    return await _page(request)


@bp.post("/menu")
@requires("menu.manage")
async def menu_save(request: Request) -> HTTPResponse:
    text, note = forms.text(request, "menu"), forms.text(request, "note")
    try:
        version = await save_version(actor=request.ctx.staff, text=text, note=note,
                                     substitutions=_substitutions(request))
    except MenuStoreError as exc:
        return await _page(request, text=text, note=note, error=str(exc), status=400)
    flash(request, "ok", f"已保存为第 {version.id} 版。点击“发布到微信”后粉丝才会看到新菜单。")
    return redirect_to(request, "/admin/menu")


@bp.post("/menu/upload")
@requires("menu.manage")
async def menu_upload(request: Request) -> HTTPResponse:
    try:
        version = await upload_menu(actor=request.ctx.staff, client=request.app.ctx.resources.official_account,
                                    substitutions=_substitutions(request))
    except MenuStoreError as exc:
        flash(request, "error", str(exc))
    else:
        which = f"第 {version.id} 版" if version is not None else "代码库中的默认菜单"
        flash(request, "ok", f"已将{which}发布到微信，粉丝几分钟内可见。")
    return redirect_to(request, "/admin/menu")
