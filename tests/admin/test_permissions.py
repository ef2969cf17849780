"""Roles decide pages: a wrong role gets the Chinese 403 page, and every page declares its permission."""

from __future__ import annotations

import functools

import pytest

from app.staff.scope import PERMISSIONS
from app.staff.models import StaffRole

# (account, page) pairs that must be refused, and pages the same account may open.
REFUSED = [
    ("keji", "/admin/staff"),
    ("keji", "/admin/followers"),
    ("keji", "/admin/audit"),
    ("zhengce", "/admin/menu"),
    ("pinggu", "/admin/staff"),
    ("pudong", "/admin/followers"),
    ("fuwu", "/admin/staff/new"),
]


@pytest.mark.parametrize(("username", "path"), REFUSED)
async def test_a_wrong_role_gets_a_chinese_403_page(signed_in, username, path):
    browser = await signed_in(username)
    status, page, response = await browser.get(path)
    assert status == 403, page
    assert response.headers["Content-Type"].startswith("text/html")
    assert "无权访问" in page and "您的角色无权访问此页面" in page


async def test_the_navigation_offers_only_permitted_pages(signed_in):
    keji = await signed_in("keji")
    _, page, _ = await keji.get("/admin/")
    assert 'href="/admin/organisations"' in page
    for hidden in ("/admin/staff", "/admin/followers", "/admin/audit", "/admin/menu"):
        assert f'href="{hidden}"' not in page
    assert "办理并反馈企业诉求" in page  # what they can do, in Chinese


async def test_the_read_only_evaluator_reads_but_cannot_change(signed_in):
    pinggu = await signed_in("pinggu")
    for path in ("/admin/autoreplies", "/admin/menu", "/admin/audit", "/admin/followers", "/admin/organisations"):
        assert (await pinggu.get(path))[0] == 200, path
    token = await pinggu.token()
    attempts = [
        ("/admin/autoreplies/new", {"name": "x", "match_kind": "exact", "pattern": "x", "reply_kind": "text",
                                    "reply_text": "x", "priority": "0"}),
        ("/admin/autoreplies/welcome", {"text": "改掉欢迎语"}),
        ("/admin/menu", {"menu": "{}"}),
        ("/admin/tags", {"name": "评估员的标签"}),
        ("/admin/organisations/new", {"code": "x.y", "name": "x", "kind": "city_department"}),
    ]
    for path, form in attempts:
        status, page, _ = await pinggu.post(path, form, token=token)
        assert status == 403 and "无权访问" in page, path


def test_the_evaluator_role_holds_only_read_actions():
    manage = {a for a in PERMISSIONS[StaffRole.evaluator] if a.endswith((".manage", ".edit", ".tag", ".dispatch", ".handle"))}
    assert manage == set()
    assert "follower.phone" not in PERMISSIONS[StaffRole.evaluator]


def test_every_admin_route_declares_its_permission(running_app):
    app, _ = running_app
    public = {"admin.login_form", "admin.login_form_head", "admin.login", "admin.static"}
    undeclared = []
    checked = 0
    for route in app.router.routes:
        if not route.path.startswith("admin"):
            continue
        if route.name.removeprefix(app.name + ".") in public:
            continue
        handler = route.handler
        if isinstance(handler, functools.partial):  # sanic-ext's automatic HEAD / OPTIONS
            if "get_handler" not in handler.keywords:
                continue  # OPTIONS only lists the allowed methods
            handler = handler.keywords["get_handler"]
        if not hasattr(handler, "__admin_action__"):
            undeclared.append(f"{sorted(route.methods)} {route.path}")
        checked += 1
    assert undeclared == []
    assert checked >= 30
