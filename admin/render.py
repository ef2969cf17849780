"""Rendering admin pages: one Jinja2 environment (autoescaped), the shared page context,
and the error pages (403, 404, CSRF refusal) every view uses."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sanic import Request
from sanic.response import HTTPResponse, html, redirect

from app.messagelog.labels import kind_label, status_label
from app.staff.models import StaffRole
from app.staff.scope import ACTIONS, can

__all__ = ["NAV", "forbidden", "not_found", "redirect_to", "render"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOCAL_TIME = ZoneInfo("Asia/Shanghai")

# (label, path, the action needed to see the entry; None: everyone signed in)
NAV: tuple[tuple[str, str, str | None], ...] = (
    ("首页", "/admin/", None),
    ("工作人员", "/admin/staff", "staff.manage"),
    ("组织架构", "/admin/organisations", "organisation.view"),
    ("粉丝", "/admin/followers", "follower.view"),
    ("粉丝标签", "/admin/tags", "follower.view"),
    ("自动回复", "/admin/autoreplies", "autoreply.view"),
    ("公众号菜单", "/admin/menu", "menu.view"),
    ("惠企政策", "/admin/policies", "policy.edit"),
    ("政策推送", "/admin/campaigns", "policy.edit"),
    ("服务机构", "/admin/providers", "provider.manage"),
    ("服务订单", "/admin/engagements", "provider.manage"),
    ("公共服务", "/admin/directory", "directory.manage"),
    ("活动排片", "/admin/activities", "activity.manage"),
    ("营商环境评估", "/admin/surveys", "survey.view"),
    ("统计报表", "/admin/reports", "report.view"),
    ("消息模板", "/admin/notifications", "notification.view"),
    ("操作日志", "/admin/audit", "audit.view"),
)


def _local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        return value.strftime(fmt)
    return value.astimezone(LOCAL_TIME).strftime(fmt)


def _label(value: Any) -> str:
    return getattr(value, "label", "") or str(value or "")


_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"], default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["dt"] = _local
_env.filters["label"] = _label
_env.filters["message_kind"] = kind_label
_env.filters["delivery_status"] = status_label
_env.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)
_env.globals["role_label"] = lambda role: StaffRole(role).label if role else ""
_env.globals["ACTIONS"] = ACTIONS


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTTPResponse:
    """A page: the template with who is signed in, the navigation, the CSRF token and
    any flash messages (which are then consumed)."""
    staff = getattr(request.ctx, "staff", None)
    session = getattr(request.ctx, "session", None)
    flashes = []
    if session is not None and session.flashes:
        flashes, session.flashes = session.flashes, []
        request.ctx.session_dirty = True
    nav = [
        {"label": label, "href": href, "active": _active(request.path, href)}
        for label, href, action in NAV
        if staff is not None and (action is None or can(staff, action))
    ]
    page = _env.get_template(template).render(
        me=staff,
        can=lambda action: can(staff, action),
        csrf_token=session.csrf if session is not None else "",
        nav=nav,
        flashes=flashes,
        path=request.path,
        **context,
    )
    return html(page, status=status)


def forbidden(request: Request, *, action: str | None = None, message: str = "") -> HTTPResponse:
    """403: signed in, but this role may not open the page."""
    needed = ACTIONS.get(action or "", "")
    text = message or (f"您的角色无权访问此页面（需要“{needed}”权限）。" if needed else "您的角色无权访问此页面。")
    return render(request, "error.html", status=403, title="无权访问", message=text)


def csrf_refused(request: Request) -> HTTPResponse:
    """403: a form arrived without the page's security token (expired page, or a forged request)."""
    return render(
        request,
        "error.html",
        status=403,
        title="请求已被拒绝",
        message="表单安全校验未通过：页面可能已过期，或请求并非来自本系统。请返回上一页，刷新后重新提交。",
    )


def not_found(request: Request, what: str = "页面") -> HTTPResponse:
    """404: missing, or outside the person's scope (not disclosed which)."""
    return render(request, "error.html", status=404, title="未找到", message=f"未找到该{what}，或您无权查看。")


def redirect_to(request: Request, path: str) -> HTTPResponse:
    """After a successful POST: 303 to a page (htmx follows `HX-Redirect` instead)."""
    if request.headers.get("HX-Request"):
        return HTTPResponse(status=204, headers={"HX-Redirect": path})
    return redirect(path, status=303)


def _active(path: str, href: str) -> bool:
    if href == "/admin/":
        return path in ("/admin", "/admin/")
    return path == href or path.startswith(href + "/")


def flash(request: Request, kind: str, message: str) -> None:
    """A message shown on the next page (kind: ok, error)."""
    request.ctx.session.flash(kind, message)
    request.ctx.session_dirty = True
