"""The organisation hierarchy: the (scoped) tree, creating and editing organisations."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.render import flash, not_found, redirect_to, render
from app.enterprise.reference import District
from app.organisation.models import OrganisationKind
from app.organisation.service import (
    OrganisationError,
    create_organisation,
    get_visible_organisation,
    organisation_tree,
    update_organisation,
    visible_organisations,
)

_FIELDS = ("code", "name", "short_name", "kind", "district")


@bp.get("/organisations")
@requires("organisation.view")
async def organisation_list(request: Request) -> HTTPResponse:
    return render(request, "organisation_tree.html", rows=await organisation_tree(viewer=request.ctx.staff))


@bp.get("/organisations/new")
@requires("organisation.manage")
async def organisation_new_form(request: Request) -> HTTPResponse:
    values = {name: "" for name in _FIELDS} | {"parent_id": forms.query_number(request, "parent"), "is_active": True}
    return await _form(request, organisation=None, values=values, error="")


@bp.post("/organisations/new")
@requires("organisation.manage")
async def organisation_create(request: Request) -> HTTPResponse:
    values = _values(request)
    try:
        organisation = await create_organisation(
            actor=request.ctx.staff, code=values["code"], name=values["name"], short_name=values["short_name"],
            kind=values["kind"], district=values["district"] or None, parent_id=values["parent_id"],
        )
    except OrganisationError as exc:
        return await _form(request, organisation=None, values=values, error=str(exc), status=400)
    flash(request, "ok", f"已新建机构“{organisation.name}”。")
    return redirect_to(request, "/admin/organisations")


@bp.get("/organisations/<organisation_id:int>")
@requires("organisation.manage")
async def organisation_edit_form(request: Request, organisation_id: int) -> HTTPResponse:
    organisation = await get_visible_organisation(viewer=request.ctx.staff, organisation_id=organisation_id)
    if organisation is None:
        return not_found(request, "机构")
    values = {
        "code": organisation.code, "name": organisation.name, "short_name": organisation.short_name,
        "kind": organisation.kind.value if organisation.kind else "",
        "district": organisation.district.value if organisation.district else "",
        "parent_id": organisation.parent_id, "is_active": organisation.is_active,
    }
    return await _form(request, organisation=organisation, values=values, error="")


@bp.post("/organisations/<organisation_id:int>")
@requires("organisation.manage")
async def organisation_update(request: Request, organisation_id: int) -> HTTPResponse:
    organisation = await get_visible_organisation(viewer=request.ctx.staff, organisation_id=organisation_id)
    if organisation is None:
        return not_found(request, "机构")
    values = _values(request)
    values["code"] = organisation.code
    try:
        await update_organisation(
            actor=request.ctx.staff, organisation_id=organisation_id, name=values["name"],
            short_name=values["short_name"], kind=values["kind"], district=values["district"] or None,
            parent_id=values["parent_id"], is_active=values["is_active"],
        )
    except OrganisationError as exc:
        return await _form(request, organisation=organisation, values=values, error=str(exc), status=400)
    flash(request, "ok", f"已保存机构“{values['name'].strip()}”。")
    return redirect_to(request, "/admin/organisations")


def _values(request: Request) -> dict:
    values: dict = {name: forms.text(request, name) for name in _FIELDS}
    values["parent_id"] = forms.number(request, "parent_id")
    values["is_active"] = forms.checked(request, "is_active")
    return values


async def _form(request: Request, *, organisation, values: dict, error: str, status: int = 200) -> HTTPResponse:
    return render(
        request, "organisation_form.html", status=status, organisation=organisation, values=values, error=error,
        kinds=list(OrganisationKind), districts=list(District),
        parents=await visible_organisations(viewer=request.ctx.staff),
    )
