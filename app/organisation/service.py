"""Organisations: the hierarchy that appeals are dispatched through.

Seeding (`upsert_organisations`) and the staff panel's tree and edits live here; every
edit by staff is scoped (`app.staff.scope`) and written to the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.enterprise.reference import District
from app.organisation.models import Organisation, OrganisationKind
from app.staff.models import Staff
from app.staff.scope import scope_queryset, visible_organisation_ids


@dataclass(frozen=True)
class OrganisationSpec:
    code: str
    name: str
    kind: OrganisationKind
    short_name: str = ""
    district: District | None = None
    parent_code: str | None = None


async def upsert_organisations(specs: list[OrganisationSpec]) -> int:
    """Create or update organisations by code, parents before children; returns how many were new."""
    created = 0
    async with in_transaction():
        by_code = {org.code: org for org in await Organisation.filter(code__in=[s.code for s in specs])}
        for spec in specs:
            parent = None
            if spec.parent_code:
                parent = by_code.get(spec.parent_code) or await Organisation.get(code=spec.parent_code)
            values = {
                "name": spec.name,
                "kind": spec.kind,
                "short_name": spec.short_name,
                "district": spec.district,
                "parent": parent,
            }
            existing = by_code.get(spec.code)
            if existing is None:
                by_code[spec.code] = await Organisation.create(code=spec.code, **values)
                created += 1
            else:
                await existing.update_from_dict(values).save()
    return created


# -- the staff panel: the tree, and creating and editing organisations --------------

CODE = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
_DISTRICT_KINDS = (OrganisationKind.district_government, OrganisationKind.district_department)


class OrganisationError(ValueError):
    """A change to the hierarchy was refused; the message is meant for staff."""


@dataclass(frozen=True)
class TreeRow:
    """One organisation in the tree as staff see it: indented by `depth`."""

    organisation: Organisation
    depth: int


async def visible_organisations(*, viewer: Staff) -> list[Organisation]:
    """The organisations `viewer` may see, by name."""
    query = await scope_queryset(viewer, Organisation.all(), "organisation")
    return list(await query.order_by("name"))


async def organisation_tree(*, viewer: Staff) -> list[TreeRow]:
    """The visible part of the hierarchy, depth-first; an organisation whose parent is not
    visible is shown as a root (a district administrator's tree starts at their district)."""
    organisations = await visible_organisations(viewer=viewer)
    ids = {org.id for org in organisations}
    children: dict[int | None, list[Organisation]] = {}
    for org in organisations:
        parent = org.parent_id if org.parent_id in ids else None
        children.setdefault(parent, []).append(org)
    rows: list[TreeRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for org in sorted(children.get(parent, []), key=lambda o: (o.kind != OrganisationKind.coordination_office, o.code)):
            rows.append(TreeRow(org, depth))
            walk(org.id, depth + 1)

    walk(None, 0)
    return rows


async def get_visible_organisation(*, viewer: Staff, organisation_id: int) -> Organisation | None:
    """The organisation if `viewer` may see it, else None (its existence is not disclosed)."""
    query = await scope_queryset(viewer, Organisation.filter(id=organisation_id), "organisation")
    return await query.first()


async def create_organisation(
    *,
    actor: Staff,
    code: str,
    name: str,
    kind: OrganisationKind | str,
    short_name: str = "",
    district: District | str | None = None,
    parent_id: int | None = None,
) -> Organisation:
    """Create an organisation under a parent the actor may see (only the city creates a root)."""
    code = code.strip().lower()
    if not CODE.match(code):
        raise OrganisationError("机构编码须为 2-64 位小写字母、数字或 . _ -，并以字母开头，例如 district.310115.finance。")
    values = await _checked_values(
        actor=actor, name=name, short_name=short_name, kind=kind, district=district, parent_id=parent_id
    )
    async with in_transaction():
        if await Organisation.filter(code=code).exists():
            raise OrganisationError(f"机构编码 {code} 已被使用。")
        organisation = await Organisation.create(code=code, **values)
        await audit.record(
            staff=actor,
            action="organisation.create",
            target_type="organisation",
            target_id=organisation.id,
            detail={"code": code, **_describe(values)},
        )
    return organisation


async def update_organisation(
    *,
    actor: Staff,
    organisation_id: int,
    name: str,
    kind: OrganisationKind | str,
    short_name: str = "",
    district: District | str | None = None,
    parent_id: int | None = None,
    is_active: bool = True,
) -> Organisation:
    """Edit an organisation the actor may manage; its code never changes (other data refers to it)."""
    organisation = await get_visible_organisation(viewer=actor, organisation_id=organisation_id)
    if organisation is None:
        raise OrganisationError("未找到该机构，或您无权管理该机构。")
    visible = await visible_organisation_ids(actor)
    if visible is not None and organisation.parent_id not in visible:
        raise OrganisationError("您所在层级的根机构只能由市级管理员修改。")
    values = await _checked_values(
        actor=actor, name=name, short_name=short_name, kind=kind, district=district, parent_id=parent_id,
        editing=organisation,
    )
    if not is_active and organisation.is_active:
        if await Organisation.filter(parent_id=organisation.id, is_active=True).exists() or await Staff.filter(
            organisation_id=organisation.id, is_active=True
        ).exists():
            raise OrganisationError("该机构下仍有启用的下级机构或工作人员，不能停用。")
    values["is_active"] = is_active
    before = {key: getattr(organisation, key) for key in values if key != "parent"}
    before["parent"] = organisation.parent_id
    async with in_transaction():
        await organisation.update_from_dict(values).save()
        after = _describe(values)
        changed = {key: {"from": _plain(before.get(key)), "to": value} for key, value in after.items()
                   if _plain(before.get(key)) != value}
        await audit.record(
            staff=actor,
            action="organisation.update",
            target_type="organisation",
            target_id=organisation.id,
            detail={"code": organisation.code, "changed": changed},
        )
    return organisation


async def _checked_values(
    *,
    actor: Staff,
    name: str,
    short_name: str,
    kind: OrganisationKind | str,
    district: District | str | None,
    parent_id: int | None,
    editing: Organisation | None = None,
) -> dict:
    name, short_name = name.strip(), short_name.strip()
    if not name or len(name) > 100:
        raise OrganisationError("机构名称为必填项，最多 100 个字。")
    if len(short_name) > 30:
        raise OrganisationError("机构简称最多 30 个字。")
    try:
        kind = OrganisationKind(kind)
    except ValueError:
        raise OrganisationError("请选择机构类型。") from None
    try:
        district = District(district) if district else None
    except ValueError:
        raise OrganisationError("所属区不正确。") from None
    if kind in _DISTRICT_KINDS and district is None:
        raise OrganisationError(f"{kind.label}须选择所属区。")
    parent = None
    if parent_id is None:
        if kind is not OrganisationKind.coordination_office:
            raise OrganisationError("请选择上级机构（只有市企业服务协调办公室可以没有上级）。")
        if await visible_organisation_ids(actor) is not None:
            raise OrganisationError("只有市级管理员可以设立顶层机构。")
    else:
        parent = await get_visible_organisation(viewer=actor, organisation_id=parent_id)
        if parent is None:
            raise OrganisationError("上级机构不存在，或不在您的管理范围内。")
        if editing is not None and (parent.id == editing.id or parent.id in await _descendant_ids(editing.id)):
            raise OrganisationError("不能把机构移到它自己或它的下级机构之下。")
        if parent.district and district and parent.district != district:
            raise OrganisationError(f"所属区须与上级机构一致（{District(parent.district).label}）。")
        if parent.district and district is None and kind in _DISTRICT_KINDS:
            district = District(parent.district)
    return {"name": name, "short_name": short_name, "kind": kind, "district": district, "parent": parent}


async def _descendant_ids(organisation_id: int) -> set[int]:
    rows = await Organisation.all().values("id", "parent_id")
    children: dict[int, list[int]] = {}
    for row in rows:
        children.setdefault(row["parent_id"], []).append(row["id"])
    found: set[int] = set()
    stack = list(children.get(organisation_id, ()))
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, ()))
    return found


def _describe(values: dict) -> dict:
    return {
        key: (value.id if isinstance(value, Organisation) else _plain(value))
        for key, value in values.items()
    }


def _plain(value: object) -> object:
    if isinstance(value, Organisation):
        return value.id
    return value.value if isinstance(value, District | OrganisationKind) else value
