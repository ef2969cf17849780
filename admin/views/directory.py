"""The public service directory editor: the list with filters, create and edit with the
fields each kind uses, publish / unpublish / archive / restore, delete, and a preview of the
entry as the public sees it. Rules and the audit log are in `app.directory.service`."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.paging import page_number, paginate
from admin.render import flash, not_found, redirect_to, render
from admin.security import client_ip
from app.directory import display
from app.directory.errors import DirectoryError, DirectoryNotFound
from app.directory.models import DirectoryCategory, DirectoryKind, DirectoryStatus, UtilityType
from app.directory.service import (
    MANAGE,
    create_entry,
    delete_entry,
    entry_input_of,
    get_entry,
    list_entries,
    transition_entry,
    update_entry,
)
from app.directory.validation import FIELD_LABELS, REQUIRED, EntryInput
from app.directory.workflow import DELETABLE, TRANSITIONS, available_transitions
from app.enterprise.reference import District
from app.organisation.service import organisation_tree

_TEXT_FIELDS = ("title", "summary", "body", "eligibility", "steps", "materials", "fees", "time_limit",
                "platform_name", "url", "miniprogram_appid", "miniprogram_path", "contact", "address", "hours")
_CHOICE_FIELDS = {"category": DirectoryCategory, "utility_type": UtilityType, "district": District}

# Which optional sections the form shows per kind (the rest are hidden, and cleared on save).
SECTIONS: dict[DirectoryKind, tuple[str, ...]] = {
    DirectoryKind.resource: ("category", "provider", "how", "link", "contact"),
    DirectoryKind.entrance: ("category", "provider", "how", "link", "contact"),
    DirectoryKind.park: ("provider", "link", "contact"),
    DirectoryKind.utility_guide: ("utility_type", "provider", "how", "link", "contact"),
}


def _choice(enum, raw: str):
    try:
        return enum(raw) if raw else None
    except ValueError:
        return None


@bp.get("/directory")
@requires(MANAGE)
async def directory_list(request: Request) -> HTTPResponse:
    filters = {
        "kind": _choice(DirectoryKind, forms.query(request, "kind")),
        "status": _choice(DirectoryStatus, forms.query(request, "status")),
        "category": _choice(DirectoryCategory, forms.query(request, "category")),
        "district": _choice(District, forms.query(request, "district")),
        "keyword": forms.query(request, "q").strip(),
    }
    query = await list_entries(staff=request.ctx.staff, **filters)
    page = await paginate(query, number=page_number(request.args.get("page")))
    params = {name: getattr(value, "value", value) for name, value in filters.items() if value}
    if "keyword" in params:
        params["q"] = params.pop("keyword")
    return render(request, "directory_list.html", page=page, filters=filters, params=params,
                  kinds=list(DirectoryKind), statuses=list(DirectoryStatus), categories=list(DirectoryCategory),
                  districts=list(District), display=display)


@bp.get("/directory/new")
@requires(MANAGE)
async def directory_new_form(request: Request) -> HTTPResponse:
    kind = _choice(DirectoryKind, forms.query(request, "kind"))
    if kind is None:
        return render(request, "directory_kind.html", kinds=list(DirectoryKind), required=REQUIRED)
    values = {name: "" for name in (*_TEXT_FIELDS, *_CHOICE_FIELDS)} | {"kind": kind.value, "sort_order": "0",
                                                                          "organisation_id": ""}
    return await _form(request, entry=None, kind=kind, values=values, error=None)


@bp.post("/directory/new")
@requires(MANAGE)
async def directory_create(request: Request) -> HTTPResponse:
    return await _save(request, entry_id=None)


@bp.get("/directory/<entry_id:int>")
@requires(MANAGE)
async def directory_edit_form(request: Request, entry_id: int) -> HTTPResponse:
    try:
        entry = await get_entry(staff=request.ctx.staff, entry_id=entry_id)
    except DirectoryNotFound:
        return not_found(request, "公共服务条目")
    stored = entry_input_of(entry)
    values: dict[str, Any] = {name: getattr(stored, name) for name in _TEXT_FIELDS}
    values.update({name: getattr(getattr(stored, name), "value", "") for name in _CHOICE_FIELDS})
    values.update(kind=stored.kind.value, sort_order=str(stored.sort_order),
                  organisation_id=str(stored.organisation_id or ""))
    return await _form(request, entry=entry, kind=stored.kind, values=values, error=None)


@bp.post("/directory/<entry_id:int>")
@requires(MANAGE)
async def directory_update(request: Request, entry_id: int) -> HTTPResponse:
    return await _save(request, entry_id=entry_id)


@bp.post("/directory/<entry_id:int>/step")
@requires(MANAGE)
async def directory_step(request: Request, entry_id: int) -> HTTPResponse:
    action = forms.text(request, "action")
    try:
        entry = await transition_entry(staff=request.ctx.staff, entry_id=entry_id, action=action, ip=client_ip(request))
    except DirectoryNotFound:
        return not_found(request, "公共服务条目")
    except DirectoryError as exc:
        flash(request, "error", str(exc))
    else:
        flash(request, "ok", f"「{entry.title}」已{TRANSITIONS[action].label}。")
    return redirect_to(request, f"/admin/directory/{entry_id}")


@bp.post("/directory/<entry_id:int>/delete")
@requires(MANAGE)
async def directory_delete(request: Request, entry_id: int) -> HTTPResponse:
    try:
        await delete_entry(staff=request.ctx.staff, entry_id=entry_id, ip=client_ip(request))
    except DirectoryNotFound:
        return not_found(request, "公共服务条目")
    except DirectoryError as exc:
        flash(request, "error", str(exc))
        return redirect_to(request, f"/admin/directory/{entry_id}")
    flash(request, "ok", "条目已删除。")
    return redirect_to(request, "/admin/directory")


@bp.get("/directory/<entry_id:int>/preview")
@requires(MANAGE)
async def directory_preview(request: Request, entry_id: int) -> HTTPResponse:
    try:
        entry = await get_entry(staff=request.ctx.staff, entry_id=entry_id)
    except DirectoryNotFound:
        return not_found(request, "公共服务条目")
    return render(request, "directory_preview.html", entry=entry, display=display,
                  steps=display.lines(entry.steps), materials=display.lines(entry.materials),
                  paragraphs=display.lines(entry.body))


async def _save(request: Request, *, entry_id: int | None) -> HTTPResponse:
    values: dict[str, Any] = {name: forms.text(request, name).strip() for name in _TEXT_FIELDS}
    values.update({name: forms.text(request, name) for name in _CHOICE_FIELDS})
    values.update(kind=forms.text(request, "kind"), sort_order=forms.text(request, "sort_order").strip() or "0",
                  organisation_id=forms.text(request, "organisation_id"))
    kind = _choice(DirectoryKind, values["kind"])
    if kind is None:
        flash(request, "error", "请选择条目类型")
        return redirect_to(request, "/admin/directory/new")
    entry = None
    if entry_id is not None:
        try:
            entry = await get_entry(staff=request.ctx.staff, entry_id=entry_id)
        except DirectoryNotFound:
            return not_found(request, "公共服务条目")
    try:
        data = _input(values, kind)
        staff, ip = request.ctx.staff, client_ip(request)
        if entry_id is None:
            publish = forms.checked(request, "publish")
            saved = await create_entry(staff=staff, data=data, publish=publish, ip=ip)
            flash(request, "ok", f"已新建「{saved.title}」{'并发布' if publish else '（草稿，发布后公众可见）'}。")
        else:
            saved = await update_entry(staff=staff, entry_id=entry_id, data=data, ip=ip)
            flash(request, "ok", f"「{saved.title}」已保存。")
    except DirectoryError as exc:
        return await _form(request, entry=entry, kind=kind, values=values, error=exc, status=400)
    return redirect_to(request, f"/admin/directory/{saved.id}")


def _input(values: dict[str, Any], kind: DirectoryKind) -> EntryInput:
    """The form as the service's input; a malformed number or choice is a DirectoryError naming the field."""
    try:
        sort_order = int(values["sort_order"])
    except ValueError:
        raise DirectoryError("排序应为整数", field="sort_order") from None
    organisation = values["organisation_id"].strip()
    if organisation and not organisation.isdigit():
        raise DirectoryError("请选择提供部门", field="organisation_id")
    choices = {}
    for name, enum in _CHOICE_FIELDS.items():
        raw = values[name].strip()
        if raw and _choice(enum, raw) is None:
            raise DirectoryError(f"{FIELD_LABELS[name]}的取值无效：{raw}", field=name)
        choices[name] = _choice(enum, raw)
    try:
        return EntryInput(kind=kind, sort_order=sort_order, organisation_id=int(organisation) if organisation else None,
                          **choices, **{name: values[name] for name in _TEXT_FIELDS})
    except ValidationError as exc:  # types are checked above; anything else is a programming error
        raise DirectoryError(f"表单内容有误：{exc.errors()[0].get('msg', '')}") from None


async def _form(request: Request, *, entry, kind: DirectoryKind, values: dict, error: DirectoryError | None,
                status: int = 200) -> HTTPResponse:
    return render(
        request, "directory_form.html", status=status, entry=entry, kind=kind, values=values,
        error=str(error) if error else "", error_field=error.field if error else None,
        sections=SECTIONS[kind], required=REQUIRED[kind], labels=FIELD_LABELS,
        categories=list(DirectoryCategory), utility_types=list(UtilityType), districts=list(District),
        organisations=await organisation_tree(viewer=request.ctx.staff),
        steps=available_transitions(DirectoryStatus(entry.status)) if entry else [],
        deletable=entry is not None and DirectoryStatus(entry.status) in DELETABLE,
    )
