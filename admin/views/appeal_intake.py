"""Appeals entered by staff: a walk-in enterprise at a service centre (channel walk_in), and
a department or district forwarding a case that needs city coordination (channel forwarded).

Both are one form and one call, `app.appeal.service.submit_appeal`, with the staff member on
the draft. The form carries a random token rendered into the page; the idempotency key is
made from it, so a double click, a browser retry or a re-sent form files one appeal, and
the second submission is told which appeal it already is.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.render import flash, redirect_to, render
from admin.views.appeal_uploads import upload_route, uploads
from admin.views.appeals import PERMISSION, _settings, _visible
from app.appeal.categories import category_choices
from app.appeal.errors import AppealError, AppealNotFound
from app.appeal.models import AppealChannel, ContactPreference
from app.appeal.service import AppealDraft, submit_appeal
from app.enterprise.credit_code import InvalidCreditCode, normalise, validate
from app.enterprise.models import Enterprise
from app.enterprise.reference import District
from app.organisation.models import OrganisationKind
from app.staff.models import Staff

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_TEXT_FIELDS = ("credit_code", "enterprise_name", "category", "district", "title", "description", "contact_name",
                "contact_phone", "contact_preference", "address")


@bp.get("/appeals/new")
@requires(PERMISSION)
async def appeal_new_form(request: Request) -> HTTPResponse:
    values: dict[str, Any] = {name: "" for name in _TEXT_FIELDS}
    values["contact_preference"] = ContactPreference.phone.value
    values["forward"] = False
    values["form_token"] = secrets.token_urlsafe(24)
    return await _form(request, values=values, errors={}, enterprise=None)


@bp.post("/appeals/new", stream=True, name=upload_route("appeal_create"))
@requires(PERMISSION)
async def appeal_create(request: Request) -> HTTPResponse:
    staff = request.ctx.staff
    values = _read(request)
    try:
        enterprise = await _enterprise(values)
        draft = _draft(request, staff, values, enterprise)
        result = await submit_appeal(draft=draft, settings=_settings(request))
    except AppealError as exc:
        return await _form(request, values=values, errors={exc.field or "_form": exc.message, "_summary": exc.message},
                          enterprise=await _enterprise_or_none(values), status=exc.status)
    appeal = result.appeal
    if result.created:
        where = "市协调办" if draft.channel is AppealChannel.forwarded else ""
        flash(request, "ok", f"已登记诉求 {appeal.number}" + (f"，已转{where}协调受理。" if where else "。"))
    else:
        flash(request, "ok", f"该表单已提交过，未重复登记（诉求编号 {appeal.number}）。")
    try:
        await _visible(staff, appeal.id)
    except AppealNotFound:
        # Filed for a dispatcher elsewhere (the district or the coordination office).
        return redirect_to(request, "/admin/appeals/new")
    return redirect_to(request, f"/admin/appeals/{appeal.id}")


@bp.get("/appeals/enterprise")
@requires(PERMISSION)
async def appeal_enterprise_lookup(request: Request) -> HTTPResponse:
    """The htmx lookup under the credit-code field: the enterprise's name from the register."""
    values = {"credit_code": forms.query(request, "credit_code")}
    try:
        enterprise = await _enterprise(values)
        error = "" if enterprise or not values["credit_code"].strip() else "企业库中未找到该代码，请在下方填写企业名称。"
    except AppealError as exc:
        enterprise, error = None, exc.message
    return render(request, "appeal_enterprise.html", enterprise=enterprise, lookup_error=error)


def may_forward(staff: Staff) -> bool:
    """Forwarding for city coordination is offered to departments and districts, not to the
    coordination office itself (it dispatches what it enters)."""
    organisation = staff.organisation
    return organisation is not None and organisation.kind is not OrganisationKind.coordination_office


def _read(request: Request) -> dict[str, Any]:
    values: dict[str, Any] = {name: forms.text(request, name).strip() for name in _TEXT_FIELDS}
    values["description"] = forms.text(request, "description")
    values["forward"] = forms.checked(request, "forward")
    values["form_token"] = forms.text(request, "form_token").strip()
    return values


async def _enterprise(values: dict[str, Any]) -> Enterprise | None:
    """The enterprise in the register with the typed credit code (None if none was typed or
    the register does not have it); AppealError if the code itself is malformed."""
    raw = values.get("credit_code") or ""
    if not raw.strip():
        return None
    code = normalise(raw)
    try:
        validate(code)
    except InvalidCreditCode as exc:
        raise AppealError(str(exc) or "统一社会信用代码格式不正确", code="invalid_credit_code", field="credit_code") from None
    values["credit_code"] = code
    return await Enterprise.get_or_none(credit_code=code)


async def _enterprise_or_none(values: dict[str, Any]) -> Enterprise | None:
    try:
        return await _enterprise(values)
    except AppealError:
        return None


def _draft(request: Request, staff: Staff, values: dict[str, Any], enterprise: Enterprise | None) -> AppealDraft:
    if not TOKEN.match(values["form_token"]):
        raise AppealError("表单已过期，请刷新页面后重新填写", code="form_token_invalid")
    if enterprise is None and not values["enterprise_name"]:
        message = ("企业库中未找到该统一社会信用代码，请填写企业名称" if values["credit_code"]
                   else "请填写企业的统一社会信用代码或企业名称")
        raise AppealError(message, code="enterprise_required", field="enterprise_name")
    try:
        preference = ContactPreference(values["contact_preference"] or ContactPreference.phone.value)
    except ValueError:
        raise AppealError("请选择联系方式偏好", code="invalid_preference", field="contact_preference") from None
    if preference is ContactPreference.wechat:
        raise AppealError("代企业登记的诉求无法通过微信通知企业，请选择电话联系或无需联系",
                          code="invalid_preference", field="contact_preference")
    if preference is ContactPreference.phone and not values["contact_phone"]:
        raise AppealError("选择电话联系时请填写联系电话", code="phone_required", field="contact_phone")
    try:
        district = District(values["district"]) if values["district"] else None
    except ValueError:
        raise AppealError("请选择有效的区", code="invalid_district", field="district") from None
    forward = values["forward"] and may_forward(staff)
    return AppealDraft(
        channel=AppealChannel.forwarded if forward else AppealChannel.walk_in,
        category=values["category"],
        description=values["description"],
        title=values["title"],
        enterprise_id=enterprise.id if enterprise else None,
        enterprise_name="" if enterprise else values["enterprise_name"],
        credit_code=values["credit_code"],
        contact_name=values["contact_name"],
        contact_phone=values["contact_phone"],
        contact_preference=preference,
        district=district,
        address=values["address"],
        idempotency_key=f"admin:{staff.id}:{values['form_token']}",
        source_client=(staff.organisation.name[:64] if forward and staff.organisation else ""),
        forwarded_by=staff.organisation if forward else None,
        staff=staff,
        files=uploads(request),
    )


async def _form(request: Request, *, values: dict[str, Any], errors: dict[str, str], enterprise: Enterprise | None,
                status: int = 200) -> HTTPResponse:
    staff = request.ctx.staff
    return render(
        request, "appeal_new.html", status=status, values=values, errors=errors, enterprise=enterprise,
        lookup_error="", categories=category_choices(), districts=list(District),
        preferences=[p for p in ContactPreference if p is not ContactPreference.wechat],
        may_forward=may_forward(staff),
    )
