"""Staff accounts: the scoped list, creating accounts, and changing one account."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.paging import page_number, paginate
from admin.render import flash, not_found, redirect_to, render
from app.organisation.service import visible_organisations
from app.staff.auth import PASSWORD_RULE
from app.staff.management import (
    assignable_roles,
    create_staff_account,
    get_managed_staff,
    list_staff,
    reset_password,
    set_active,
    set_role,
)
from app.staff.service import StaffError


@bp.get("/staff")
@requires("staff.manage")
async def staff_list(request: Request) -> HTTPResponse:
    search = forms.query(request, "q")
    page = await paginate(await list_staff(viewer=request.ctx.staff, search=search),
                          number=page_number(forms.query(request, "page")))
    return render(request, "staff_list.html", page=page, q=search)


@bp.get("/staff/new")
@requires("staff.manage")
async def staff_new_form(request: Request) -> HTTPResponse:
    values = {"username": "", "display_name": "", "role": "", "phone": "", "organisation_id": None}
    return await _new_form(request, values=values, error="")


@bp.post("/staff/new")
@requires("staff.manage")
async def staff_create(request: Request) -> HTTPResponse:
    values = {name: forms.text(request, name) for name in ("username", "display_name", "role", "phone")}
    values["organisation_id"] = forms.number(request, "organisation_id")
    if forms.text(request, "password") != forms.text(request, "password_again"):
        return await _new_form(request, values=values, error="两次输入的密码不一致。", status=400)
    try:
        staff = await create_staff_account(
            actor=request.ctx.staff, username=values["username"], display_name=values["display_name"],
            password=forms.text(request, "password"), role=values["role"],
            organisation_id=values["organisation_id"] or 0, phone=values["phone"],
        )
    except StaffError as exc:
        return await _new_form(request, values=values, error=str(exc), status=400)
    flash(request, "ok", f"已创建账号 {staff.username}。")
    return redirect_to(request, f"/admin/staff/{staff.id}")


@bp.get("/staff/<staff_id:int>")
@requires("staff.manage")
async def staff_detail(request: Request, staff_id: int) -> HTTPResponse:
    target = await get_managed_staff(viewer=request.ctx.staff, staff_id=staff_id)
    if target is None:
        return not_found(request, "工作人员")
    return render(
        request, "staff_detail.html", target=target, roles=assignable_roles(request.ctx.staff),
        organisations=await visible_organisations(viewer=request.ctx.staff), rule=PASSWORD_RULE,
    )


@bp.post("/staff/<staff_id:int>/role")
@requires("staff.manage")
async def staff_role(request: Request, staff_id: int) -> HTTPResponse:
    return await _change(
        request, staff_id, "角色已调整。",
        set_role(actor=request.ctx.staff, staff_id=staff_id, role=forms.text(request, "role"),
                 organisation_id=forms.number(request, "organisation_id")),
    )


@bp.post("/staff/<staff_id:int>/deactivate")
@requires("staff.manage")
async def staff_deactivate(request: Request, staff_id: int) -> HTTPResponse:
    return await _change(request, staff_id, "账号已停用，其登录已失效。",
                         set_active(actor=request.ctx.staff, staff_id=staff_id, active=False))


@bp.post("/staff/<staff_id:int>/activate")
@requires("staff.manage")
async def staff_activate(request: Request, staff_id: int) -> HTTPResponse:
    return await _change(request, staff_id, "账号已启用。",
                         set_active(actor=request.ctx.staff, staff_id=staff_id, active=True))


@bp.post("/staff/<staff_id:int>/password")
@requires("staff.manage")
async def staff_password(request: Request, staff_id: int) -> HTTPResponse:
    password = forms.text(request, "new_password")
    if password != forms.text(request, "new_password_again"):
        flash(request, "error", "两次输入的新密码不一致。")
        return redirect_to(request, f"/admin/staff/{staff_id}")
    return await _change(request, staff_id, "密码已重置，该账号的登录已失效，请将新密码告知本人。",
                         reset_password(actor=request.ctx.staff, staff_id=staff_id, new_password=password))


async def _change(request: Request, staff_id: int, done: str, change) -> HTTPResponse:
    try:
        await change
    except StaffError as exc:
        flash(request, "error", str(exc))
    else:
        flash(request, "ok", done)
    return redirect_to(request, f"/admin/staff/{staff_id}")


async def _new_form(request: Request, *, values: dict, error: str, status: int = 200) -> HTTPResponse:
    return render(
        request, "staff_new.html", status=status, values=values, error=error, rule=PASSWORD_RULE,
        roles=assignable_roles(request.ctx.staff), organisations=await visible_organisations(viewer=request.ctx.staff),
    )
