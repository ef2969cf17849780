"""Roles and scope, decided in one place (app/staff/scope.py)."""

from __future__ import annotations

import pytest

from app.organisation.models import Organisation
from app.staff.models import Staff, StaffRole
from app.staff.scope import (
    ACTIONS,
    PERMISSIONS,
    SCOPE_FIELDS,
    allowed_actions,
    can,
    in_scope,
    register_scope,
    scope_queryset,
    visible_organisation_ids,
)
from tests.admin.support import seed_accounts


@pytest.fixture
async def people(db):
    return await seed_accounts()


async def codes(ids: set[int] | None) -> set[str] | None:
    if ids is None:
        return None
    return {org.code for org in await Organisation.filter(id__in=ids)}


def test_every_role_has_a_row_and_only_known_actions():
    assert set(PERMISSIONS) == set(StaffRole)
    for role, actions in PERMISSIONS.items():
        assert actions <= set(ACTIONS), role
    assert PERMISSIONS[StaffRole.city_admin] == frozenset(ACTIONS)


async def test_can_follows_the_table_and_refuses_the_inactive(people):
    assert can(people["pudong"], "staff.manage") and not can(people["pudong"], "menu.manage")
    assert not can(people["keji"], "staff.manage") and can(people["keji"], "appeal.handle")
    assert not can(people["admin"], "no.such.action")
    assert not can(None, "organisation.view")
    people["admin"].is_active = False
    assert not can(people["admin"], "organisation.view")
    assert [a for a, _ in allowed_actions(people["zhengce"])] == ["organisation.view", "policy.edit", "notification.view"]


async def test_visible_organisations_by_role(people):
    assert await visible_organisation_ids(people["admin"]) is None
    assert await visible_organisation_ids(people["fuwu"]) is None
    assert await codes(await visible_organisation_ids(people["pudong"])) == {"district.310115", "district.310115.service-centre"}
    assert await codes(await visible_organisation_ids(people["keji"])) == {"city.science-tech"}
    assert await codes(await visible_organisation_ids(people["pudong-centre"])) == {"district.310115.service-centre"}


async def test_a_district_admin_placed_in_a_district_department_still_sees_the_district(people):
    centre = await Organisation.get(code="district.310104.service-centre")
    await Staff.filter(username="xuhui").update(organisation_id=centre.id)
    xuhui = await Staff.get(username="xuhui")
    assert await codes(await visible_organisation_ids(xuhui)) == {"district.310104", "district.310104.service-centre"}


async def test_scope_queryset_filters_staff_and_refuses_unknown_kinds(people):
    visible = await (await scope_queryset(people["xuhui"], Staff.all(), "staff"))
    assert {s.username for s in visible} == {"xuhui", "xuhui-centre"}
    everyone = await (await scope_queryset(people["admin"], Staff.all(), "staff"))
    assert len(everyone) == len(people)
    with pytest.raises(KeyError, match="register_scope"):
        await scope_queryset(people["admin"], Staff.all(), "appeal_that_nobody_registered")
    assert await in_scope(people["pudong"], people["pudong-centre"].organisation_id)
    assert not await in_scope(people["pudong"], people["keji"].organisation_id)
    assert not await in_scope(people["pudong"], None)


def test_register_scope_refuses_a_conflicting_rule():
    register_scope("test_kind", "owner_organisation_id")
    try:
        register_scope("test_kind", "owner_organisation_id")  # same rule again: fine
        with pytest.raises(ValueError, match="already registered"):
            register_scope("test_kind", "other_id")
    finally:
        SCOPE_FIELDS.pop("test_kind", None)
