"""The organisation tree and its edits, scoped like everything else."""

from __future__ import annotations

import re

from app.audit.models import AuditLog
from app.organisation.models import Organisation, OrganisationKind

CODES = re.compile(r'<td class="mono">([a-z0-9._-]+)</td>')


async def tree_codes(browser) -> list[str]:
    status, page, _ = await browser.get("/admin/organisations")
    assert status == 200, page
    return CODES.findall(page)


async def test_the_city_sees_the_whole_tree_with_children_under_parents(signed_in):
    codes = await tree_codes(await signed_in("admin"))
    assert codes[0] == "city.coordination"
    assert len(codes) == await Organisation.all().count()
    pudong = codes.index("district.310115")
    assert codes[pudong + 1] == "district.310115.service-centre"


async def test_a_district_admin_sees_their_district_only(signed_in):
    assert await tree_codes(await signed_in("pudong")) == ["district.310115", "district.310115.service-centre"]


async def test_a_department_handler_sees_their_own_organisation(signed_in):
    assert await tree_codes(await signed_in("keji")) == ["city.science-tech"]


async def test_a_district_admin_creates_within_their_district_only(signed_in):
    pudong = await signed_in("pudong")
    own = await Organisation.get(code="district.310115")
    other = await Organisation.get(code="district.310104")
    form = {"code": "district.310115.finance", "name": "浦东新区财政局", "kind": "district_department",
            "district": "310115", "parent_id": other.id}
    status, page, _ = await pudong.post("/admin/organisations/new", form, token_from="/admin/organisations/new")
    assert status == 400 and "上级机构不存在，或不在您的管理范围内" in page
    status, _, _ = await pudong.post("/admin/organisations/new", form | {"parent_id": own.id},
                                     token_from="/admin/organisations/new")
    assert status == 303
    created = await Organisation.get(code="district.310115.finance")
    assert created.parent_id == own.id and created.kind == OrganisationKind.district_department
    assert await AuditLog.filter(action="organisation.create", target_id=str(created.id), username="pudong").exists()
    assert "district.310115.finance" in await tree_codes(pudong)


async def test_validation_messages(signed_in):
    admin = await signed_in("admin")
    root = await Organisation.get(code="city.coordination")
    base = {"code": "city.new-office", "name": "新设机构", "kind": "city_department", "parent_id": root.id}
    cases = [
        ({"code": "Bad Code"}, "机构编码须为"),
        ({"code": "city.taxation"}, "机构编码 city.taxation 已被使用"),
        ({"name": ""}, "机构名称为必填项"),
        ({"kind": "district_department"}, "区级部门须选择所属区"),
        ({"parent_id": ""}, "请选择上级机构"),
    ]
    for change, message in cases:
        status, page, _ = await admin.post("/admin/organisations/new", base | change, token_from="/admin/organisations/new")
        assert status == 400 and message in page, change


async def test_editing_refuses_cycles_and_records_the_change(signed_in):
    admin = await signed_in("admin")
    government = await Organisation.get(code="district.310115")
    centre = await Organisation.get(code="district.310115.service-centre")
    form = {"name": government.name, "short_name": "浦东", "kind": "district_government", "district": "310115",
            "parent_id": centre.id, "is_active": "on"}
    path = f"/admin/organisations/{government.id}"
    status, page, _ = await admin.post(path, form, token_from=path)
    assert status == 400 and "不能把机构移到它自己或它的下级机构之下" in page
    status, _, _ = await admin.post(path, form | {"parent_id": government.parent_id}, token_from=path)
    assert status == 303
    assert (await Organisation.get(id=government.id)).short_name == "浦东"
    entry = await AuditLog.get(action="organisation.update", target_id=str(government.id))
    assert entry.detail["changed"] == {"short_name": {"from": "浦东新区", "to": "浦东"}}


async def test_a_district_admin_cannot_edit_their_district_government(signed_in):
    pudong = await signed_in("pudong")
    government = await Organisation.get(code="district.310115")
    path = f"/admin/organisations/{government.id}"
    form = {"name": "改名", "kind": "district_government", "district": "310115", "parent_id": government.parent_id,
            "is_active": "on"}
    status, page, _ = await pudong.post(path, form, token_from="/admin/organisations")
    assert status == 400 and "根机构只能由市级管理员修改" in page
    assert (await Organisation.get(id=government.id)).name != "改名"


async def test_an_organisation_with_active_staff_cannot_be_deactivated(signed_in):
    admin = await signed_in("admin")
    keji = await Organisation.get(code="city.science-tech")
    path = f"/admin/organisations/{keji.id}"
    form = {"name": keji.name, "short_name": keji.short_name, "kind": "city_department", "parent_id": keji.parent_id}
    status, page, _ = await admin.post(path, form, token_from=path)  # no is_active: deactivate
    assert status == 400 and "仍有启用的下级机构或工作人员" in page
