"""Signing in and out over real HTTP: sessions, rotation, lock-out, CSRF, cookies, passwords."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.audit.models import AuditLog
from app.staff.auth import INACTIVE, LOCKED, MAX_FAILURES, WRONG_CREDENTIALS
from app.staff.models import Staff
from app.staff.service import verify_password
from tests.admin.support import PASSWORD


async def test_sign_in_page_is_chinese_and_sets_a_protected_session_cookie(client, accounts):
    browser = client()
    status, page, response = await browser.get("/admin/login")
    assert status == 200
    assert '<html lang="zh-CN">' in page and '<meta charset="utf-8">' in page
    assert "工作人员登录" in page
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("qiyun_admin=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is http in tests
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


async def test_cookie_is_secure_when_the_public_address_is_https(client, accounts, resources):
    resources.settings = resources.settings.model_copy(update={"public_base_url": "https://qiyun.example.gov.cn"})
    _, _, response = await client().get("/admin/login")
    assert "Secure" in response.headers["Set-Cookie"]


async def test_sign_in_rotates_the_session_and_the_old_id_is_dead(client, accounts):
    browser = client()
    await browser.get("/admin/login")
    before = browser.cookie()
    assert before
    status, _, response = await browser.login("admin")
    assert status == 303 and response.headers["Location"] == "/admin/"
    after = browser.cookie()
    assert after and after != before

    status, page, _ = await browser.get("/admin/")
    assert status == 200 and "市级管理员" in page and "admin 测试，您好" in page

    planted = client()  # an attacker who planted or kept the pre-sign-in id
    await planted.get("/admin/login")
    planted.set_cookie(before)
    status, _, response = await planted.get("/admin/")
    assert status == 303 and response.headers["Location"].startswith("/admin/login")


async def test_wrong_password_and_unknown_user_get_the_same_answer(client, accounts):
    status_wrong, page_wrong, _ = await client().login("admin", "not-the-password-1")
    status_unknown, page_unknown, _ = await client().login("nobody", "not-the-password-1")
    assert status_wrong == status_unknown == 401
    assert WRONG_CREDENTIALS in page_wrong and WRONG_CREDENTIALS in page_unknown
    entries = await AuditLog.filter(action="auth.sign_in_failed").order_by("id")
    assert [(e.username, e.detail["reason"]) for e in entries] == [("admin", "wrong_password"), ("nobody", "unknown_user")]
    for entry in entries:
        assert "not-the-password-1" not in str(entry.detail)


async def test_five_failures_lock_the_account_for_fifteen_minutes(client, accounts):
    browser = client()
    for attempt in range(1, MAX_FAILURES + 1):
        status, page, _ = await browser.login("pudong", f"wrong-guess-{attempt}")
        assert status == 401
        assert (LOCKED if attempt == MAX_FAILURES else WRONG_CREDENTIALS) in page
    staff = await Staff.get(username="pudong")
    assert staff.locked_until is not None
    assert timedelta(minutes=14) < staff.locked_until - datetime.now(UTC) <= timedelta(minutes=15)

    status, page, _ = await browser.login("pudong", PASSWORD)  # even the right password is refused now
    assert status == 401 and LOCKED in page
    assert await AuditLog.filter(action="auth.locked", staff_id=staff.id).count() == 1

    await Staff.filter(id=staff.id).update(locked_until=datetime.now(UTC) - timedelta(seconds=1))
    status, _, _ = await browser.login("pudong", PASSWORD)
    assert status == 303
    staff = await Staff.get(username="pudong")
    assert staff.failed_logins == 0 and staff.locked_until is None


async def test_unknown_usernames_lock_too_so_lock_out_reveals_nothing(client, accounts):
    browser = client()
    pages = [(await browser.login("ghost", f"guess-{i}-x"))[1] for i in range(MAX_FAILURES + 1)]
    assert LOCKED in pages[-2] and LOCKED in pages[-1]
    assert all(WRONG_CREDENTIALS in page for page in pages[: MAX_FAILURES - 1])


async def test_a_deactivated_account_cannot_sign_in(client, accounts):
    await Staff.filter(username="keji").update(is_active=False)
    status, page, _ = await client().login("keji")
    assert status == 401 and INACTIVE in page
    status, page, _ = await client().login("keji", "wrong-password-9")
    assert status == 401 and WRONG_CREDENTIALS in page and INACTIVE not in page


async def test_deactivation_ends_an_open_session(signed_in):
    keji = await signed_in("keji")
    assert (await keji.get("/admin/"))[0] == 200
    await Staff.filter(username="keji").update(is_active=False)
    status, _, response = await keji.get("/admin/")
    assert status == 303 and response.headers["Location"].startswith("/admin/login")


async def test_pages_need_a_session_and_come_back_after_sign_in(client, accounts):
    browser = client()
    status, _, response = await browser.get("/admin/staff?q=pu")
    assert status == 303 and response.headers["Location"] == "/admin/login?next=/admin/staff%3Fq%3Dpu"
    status, page, _ = await browser.get(response.headers["Location"])
    assert 'name="next" value="/admin/staff?q=pu"' in page
    token = (await browser.token("/admin/login"))
    status, _, response = await browser.post(
        "/admin/login", {"username": "admin", "password": PASSWORD, "next": "/admin/staff?q=pu"}, token=token
    )
    assert status == 303 and response.headers["Location"] == "/admin/staff?q=pu"


async def test_next_cannot_send_people_elsewhere(client, accounts):
    for target in ("https://evil.example.com/", "//evil.example.com/admin/", "/elsewhere"):
        browser = client()
        token = await browser.token("/admin/login")
        status, _, response = await browser.post(
            "/admin/login", {"username": "admin", "password": PASSWORD, "next": target}, token=token
        )
        assert status == 303 and response.headers["Location"] == "/admin/", target


async def test_sign_out_ends_the_session(signed_in, client):
    admin = await signed_in("admin")
    cookie = admin.cookie()
    status, _, response = await admin.post("/admin/logout")
    assert status == 303 and response.headers["Location"] == "/admin/login"
    assert 'qiyun_admin=""' in admin.last_set_cookie or "Max-Age=0" in admin.last_set_cookie
    stale = client()
    stale.set_cookie(cookie)
    assert (await stale.get("/admin/"))[0] == 303
    assert await AuditLog.filter(action="auth.sign_out", username="admin").exists()


async def test_csrf_token_is_required_on_every_post(client, signed_in):
    anonymous = client()
    await anonymous.get("/admin/login")
    status, page, _ = await anonymous.post("/admin/login", {"username": "admin", "password": PASSWORD}, token=None)
    assert status == 403 and "安全校验未通过" in page
    status, page, _ = await anonymous.post("/admin/login", {"username": "admin", "password": PASSWORD}, token="forged")
    assert status == 403

    admin = await signed_in("admin")
    form = {"username": "intruder", "display_name": "冒名", "role": "city_admin", "organisation_id": "1",
            "password": "Intruder-2024!", "password_again": "Intruder-2024!"}
    assert (await admin.post("/admin/staff/new", form, token=None))[0] == 403
    other = await signed_in("pudong")  # a real token, but another session's
    assert (await admin.post("/admin/staff/new", form, token=await other.token()))[0] == 403
    assert (await admin.post("/admin/logout", token=None))[0] == 403
    assert not await Staff.filter(username="intruder").exists()
    assert (await admin.get("/admin/"))[0] == 200  # still signed in


async def test_htmx_requests_may_send_the_token_as_a_header(signed_in):
    admin = await signed_in("admin")
    token = await admin.token()
    status, _, response = await admin.post(
        "/admin/logout", token=None, headers={"X-CSRF-Token": token, "HX-Request": "true"}
    )
    assert status == 204 and response.headers["HX-Redirect"] == "/admin/login"


async def test_changing_the_password_rotates_this_session_and_ends_the_others(signed_in, client):
    laptop = await signed_in("fuwu")
    phone = await signed_in("fuwu")
    before = laptop.cookie()

    status, page, _ = await laptop.post("/admin/password", {
        "old_password": "wrong-old-password1", "new_password": "New-password-2024", "new_password_again": "New-password-2024"})
    assert status == 400 and "原密码不正确" in page
    status, page, _ = await laptop.post("/admin/password", {
        "old_password": PASSWORD, "new_password": "abcdefghijkl", "new_password_again": "abcdefghijkl"})
    assert status == 400 and "须同时包含字母和数字" in page

    status, _, response = await laptop.post("/admin/password", {
        "old_password": PASSWORD, "new_password": "New-password-2024", "new_password_again": "New-password-2024"})
    assert status == 303
    assert laptop.cookie() != before
    status, page, _ = await laptop.get("/admin/")
    assert status == 200 and "密码已修改" in page
    assert (await phone.get("/admin/"))[0] == 303
    staff = await Staff.get(username="fuwu")
    assert verify_password(staff.password_hash, "New-password-2024")
    entry = await AuditLog.get(action="auth.password_change")
    assert "New-password-2024" not in str(entry.detail) and PASSWORD not in str(entry.detail)
