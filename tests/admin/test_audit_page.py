"""The audit page lists staff actions, scoped, with Chinese labels."""

from __future__ import annotations

import re

ROWS = re.compile(r"<tr>\s*<td class=\"nowrap\">")


async def test_the_audit_page_shows_sign_ins_failures_and_changes(client, signed_in):
    await client().login("admin", "wrong-password-1")
    admin = await signed_in("admin")
    await admin.post("/admin/autoreplies/welcome", {"text": "欢迎！"}, token_from="/admin/autoreplies")
    status, page, _ = await admin.get("/admin/audit")
    assert status == 200
    table = page[page.index('id="audit-table"'):]
    for label in ("登录失败", "登录", "修改关注欢迎语"):
        assert f"<td>{label}</td>" in table, label
    assert "wrong-password-1" not in page

    _, page, _ = await admin.get("/admin/audit?action=auth.sign_in_failed")
    table = page[page.index('id="audit-table"'):]
    assert len(ROWS.findall(table)) == 1 and "wrong_password" in table


async def test_a_district_admin_sees_their_district_only(signed_in):
    await signed_in("keji")
    await signed_in("pudong-centre")
    pudong = await signed_in("pudong")
    _, page, _ = await pudong.get("/admin/audit")
    table = page[page.index('id="audit-table"'):]
    assert "pudong-centre" in table and "keji" not in table
