"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import signed_in_only
from admin.render import redirect_to, render
from admin.security import auth_stamp, client_ip, store_for, use_session
from app.staff.auth import PASSWORD_RULE, SignInError, change_password, sign_in, sign_out
from app.staff.service import StaffError


def _next_path(value: str) -> str:
    """Where to go after signing in: only a path inside the panel (no open redirect)."""
    if value.startswith("/admin/") and not value.startswith("//") and "\\" not in value and "\n" not in value:
        return value
    return "/admin/"


@bp.get("/login")
async def login_form(request: Request) -> HTTPResponse:
    if request.ctx.staff is not None:
        return redirect_to(request, "/admin/")
    if request.ctx.session is None:
        use_session(request, await store_for(request).create())
    return render(request, "login.html", error="", username="", next=_next_path(forms.query(request, "next")))


@bp.post("/login")
async def login(request: Request) -> HTTPResponse:
    username = forms.text(request, "username")
    next_path = _next_path(forms.text(request, "next"))
    try:
        staff = await sign_in(
            username=username, password=forms.text(request, "password"),
            redis=request.app.ctx.resources.redis, ip=client_ip(request),
        )
    except SignInError as exc:
        return render(request, "login.html", status=401, error=exc.message, username=username[:64], next=next_path)
    session = await store_for(request).rotate(request.ctx.session, staff_id=staff.id, auth_stamp=auth_stamp(staff))
    use_session(request, session)
    return redirect_to(request, next_path)


@bp.post("/logout")
@signed_in_only
async def logout(request: Request) -> HTTPResponse:
    await sign_out(staff=request.ctx.staff, ip=client_ip(request))
    await store_for(request).destroy(request.ctx.session.id)
    use_session(request, None)
    return redirect_to(request, "/admin/login")


@bp.get("/password")
@signed_in_only
async def password_form(request: Request) -> HTTPResponse:
    return render(request, "password.html", error="", rule=PASSWORD_RULE)


@bp.post("/password")
@signed_in_only
async def password_change(request: Request) -> HTTPResponse:
    new_password = forms.text(request, "new_password")
    if new_password != forms.text(request, "new_password_again"):
        return render(request, "password.html", status=400, error="两次输入的新密码不一致。", rule=PASSWORD_RULE)
    try:
        staff = await change_password(
            staff=request.ctx.staff, old_password=forms.text(request, "old_password"),
            new_password=new_password, ip=client_ip(request),
        )
    except StaffError as exc:
        return render(request, "password.html", status=400, error=str(exc), rule=PASSWORD_RULE)
    session = await store_for(request).rotate(request.ctx.session, staff_id=staff.id, auth_stamp=auth_stamp(staff))
    session.flash("ok", "密码已修改。其他设备上的登录已失效。")
    use_session(request, session)
    request.ctx.session_dirty = True
    return redirect_to(request, "/admin/")
