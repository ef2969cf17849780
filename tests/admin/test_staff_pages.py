"""Staff management over HTTP: the scoped list, creating accounts, and changing them."""

from __future__ import annotations

import re

from app.audit.models import AuditLog
from app.organisation.models import Organisation
from app.staff.models import Staff, StaffRole
from app.staff.service import verify_password

USERNAMES = re.compile(r'<td class="mono">([a-z0-9._-]+)</td>')


async def listed(browser, query: str = "") -> set[str]:
    status, page, _ = await browser.get("/admin/staff" + query)
    assert status == 200, page
    return set(USERNAMES.findall(page))


async def test_the_city_sees_every_account(signed_in, accounts):
    assert await listed(await signed_in("admin")) == set(accounts)


async def test_a_district_admin_sees_only_their_district(signed_in):
    assert await listed(await signed_in("pudong")) == {"pudong", "pudong-centre"}
    assert await listed(await signed_in("xuhui")) == {"xuhui", "xuhui-centre"}


async def test_search_stays_within_scope(signed_in):
    pudong = await signed_in("pudong")
    assert await listed(pudong, "?q=centre") == {"pudong-centre"}
    assert await listed(pudong, "?q=keji") == set()


async def test_an_account_outside_the_scope_is_not_found(signed_in, accounts):
    pudong = await signed_in("pudong")
    status, page, _ = await pudong.get(f"/admin/staff/{accounts['xuhui-centre'].id}")
    assert status == 404 and "未找到该工作人员" in page
    status, _, _ = await pudong.post(f"/admin/staff/{accounts['xuhui-centre'].id}/deactivate")
    assert status == 303
    assert (await Staff.get(username="xuhui-centre")).is_active


async def test_the_city_creates_an_account_and_the_audit_log_has_no_password(signed_in):
    admin = await signed_in("admin")
    organisation = await Organisation.get(code="city.taxation")
    form = {"username": "shuiwu", "display_name": "市税务局承办人", "role": "department_handler",
            "organisation_id": organisation.id, "password": "Shuiwu-2024-x", "password_again": "Shuiwu-2024-x"}
    status, _, response = await admin.post("/admin/staff/new", form, token_from="/admin/staff/new")
    assert status == 303, _
    created = await Staff.get(username="shuiwu")
    assert response.headers["Location"] == f"/admin/staff/{created.id}"
    assert created.role == StaffRole.department_handler and created.organisation_id == organisation.id
    assert verify_password(created.password_hash, "Shuiwu-2024-x")
    entry = await AuditLog.get(action="staff.create")
    assert entry.target_id == str(created.id) and entry.username == "admin"
    assert entry.detail == {"username": "shuiwu", "role": "department_handler", "organisation": "city.taxation"}
    status, page, _ = await admin.get(f"/admin/staff/{created.id}")
    assert "已创建账号 shuiwu" in page


async def test_creation_errors_are_shown_in_chinese(signed_in, accounts):
    admin = await signed_in("admin")
    organisation = await Organisation.get(code="city.taxation")
    base = {"username": "new-user", "display_name": "新同事", "role": "department_handler",
            "organisation_id": organisation.id, "password": "Strong-pass-2024", "password_again": "Strong-pass-2024"}
    cases = [
        ({"username": "Bad User"}, "用户名须为"),
        ({"username": "keji"}, "用户名 keji 已被使用"),
        ({"password": "short1", "password_again": "short1"}, "密码至少 10 个字符"),
        ({"password_again": "different-2024"}, "两次输入的密码不一致"),
        ({"display_name": " "}, "姓名为必填项"),
    ]
    for change, message in cases:
        status, page, _ = await admin.post("/admin/staff/new", base | change, token_from="/admin/staff/new")
        assert status == 400 and message in page, (change, page[-2000:])
    assert not await Staff.filter(username="new-user").exists()


async def test_a_district_admin_cannot_widen_their_reach(signed_in):
    pudong = await signed_in("pudong")
    own = await Organisation.get(code="district.310115.service-centre")
    other = await Organisation.get(code="district.310104.service-centre")
    form = {"username": "pd-new", "display_name": "浦东新人", "organisation_id": own.id,
            "password": "Pudong-new-2024", "password_again": "Pudong-new-2024"}
    status, page, _ = await pudong.post("/admin/staff/new", form | {"role": "city_admin"}, token_from="/admin/staff/new")
    assert status == 400 and "您无权授予“市级管理员”角色" in page
    status, page, _ = await pudong.post("/admin/staff/new", form | {"role": "department_handler", "organisation_id": other.id},
                                        token_from="/admin/staff/new")
    assert status == 400 and "不在您的管理范围内" in page
    status, _, _ = await pudong.post("/admin/staff/new", form | {"role": "department_handler"}, token_from="/admin/staff/new")
    assert status == 303
    assert (await Staff.get(username="pd-new")).organisation_id == own.id


async def test_deactivate_reset_and_change_role(signed_in, accounts):
    admin = await signed_in("admin")
    keji = await signed_in("keji")
    target = accounts["keji"].id

    assert (await admin.post(f"/admin/staff/{target}/deactivate", token_from=f"/admin/staff/{target}"))[0] == 303
    assert not (await Staff.get(id=target)).is_active
    assert (await keji.get("/admin/"))[0] == 303  # their session ended
    assert (await admin.post(f"/admin/staff/{target}/activate", token_from=f"/admin/staff/{target}"))[0] == 303

    await Staff.filter(id=target).update(failed_logins=3)
    status, _, _ = await admin.post(f"/admin/staff/{target}/password",
                                    {"new_password": "Reset-pass-2024", "new_password_again": "Reset-pass-2024"},
                                    token_from=f"/admin/staff/{target}")
    assert status == 303
    staff = await Staff.get(id=target)
    assert verify_password(staff.password_hash, "Reset-pass-2024") and staff.failed_logins == 0

    status, _, _ = await admin.post(f"/admin/staff/{target}/role",
                                    {"role": "policy_editor", "organisation_id": staff.organisation_id},
                                    token_from=f"/admin/staff/{target}")
    assert status == 303
    assert (await Staff.get(id=target)).role == StaffRole.policy_editor

    actions = [e.action for e in await AuditLog.filter(target_type="staff", target_id=str(target)).order_by("id")]
    assert actions == ["staff.deactivate", "staff.activate", "staff.password_reset", "staff.role_change"]
    for entry in await AuditLog.all():
        assert "Reset-pass-2024" not in str(entry.detail)


async def test_nobody_changes_their_own_role_or_status(signed_in, accounts):
    admin = await signed_in("admin")
    me = accounts["admin"].id
    status, _, _ = await admin.post(f"/admin/staff/{me}/deactivate", token_from=f"/admin/staff/{me}")
    _, page, _ = await admin.get(f"/admin/staff/{me}")
    assert "不能停用或启用本人的账号" in page
    assert (await Staff.get(id=me)).is_active
    assert "这是您本人的账号" in page


async def test_a_district_admin_cannot_touch_city_wide_accounts(signed_in, accounts):
    # Even if one were placed in their district, a city-wide role is beyond a district admin.
    await Staff.filter(username="fuwu").update(organisation_id=(await Organisation.get(code="district.310115")).id)
    pudong = await signed_in("pudong")
    target = accounts["fuwu"].id
    await pudong.post(f"/admin/staff/{target}/deactivate", token_from=f"/admin/staff/{target}")
    _, page, _ = await pudong.get(f"/admin/staff/{target}")
    assert "您无权停用或启用服务管理员的账号" in page
    assert (await Staff.get(id=target)).is_active


async def test_a_password_someone_else_chose_must_be_changed_before_anything_else(signed_in, client, accounts):
    admin = await signed_in("admin")
    target = accounts["keji"].id
    status, _, _ = await admin.post(f"/admin/staff/{target}/password",
                                    {"new_password": "Reset-pass-2024", "new_password_again": "Reset-pass-2024"},
                                    token_from=f"/admin/staff/{target}")
    assert status == 303 and (await Staff.get(id=target)).must_change_password

    keji = client()
    assert (await keji.login("keji", "Reset-pass-2024"))[0] == 303
    status, _, response = await keji.get("/admin/organisations")
    assert status == 303 and response.headers["Location"] == "/admin/password"
    status, page, _ = await keji.get("/admin/password")
    assert status == 200 and "请先修改为只有您知道的新密码" in page

    status, _, _ = await keji.post("/admin/password", {"old_password": "Reset-pass-2024",
                                                       "new_password": "Keji-own-choice-2024",
                                                       "new_password_again": "Keji-own-choice-2024"},
                                   token_from="/admin/password")
    assert status == 303 and not (await Staff.get(id=target)).must_change_password
    keji = client()
    assert (await keji.login("keji", "Keji-own-choice-2024"))[0] == 303
    assert (await keji.get("/admin/organisations"))[0] == 200


async def test_a_new_account_starts_with_a_password_to_change(signed_in):
    admin = await signed_in("admin")
    own = await Organisation.get(code="district.310115.service-centre")
    form = {"username": "first-login", "display_name": "新同事", "organisation_id": own.id, "role": "department_handler",
            "password": "First-login-2024", "password_again": "First-login-2024"}
    assert (await admin.post("/admin/staff/new", form, token_from="/admin/staff/new"))[0] == 303
    assert (await Staff.get(username="first-login")).must_change_password
