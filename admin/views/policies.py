"""Policies (惠企政策): the scoped list, the editor with its audience estimate, the detail page
with the lifecycle steps the person may take, the review queue, bulk import, and the
惠企政策清单 export.

Everything that decides something lives in `app.policy` (who may take which step, the
four-eyes rule, what a valid policy is, who sees which policy, which enterprises a
targeting selects); this module reads the form into a `PolicyInput`, calls the service and
renders. Refusals arrive as `PolicyError` with the field at fault, shown next to that field.
"""

from __future__ import annotations

import re
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError
from sanic import Request
from sanic.response import HTTPResponse, raw
from tortoise.exceptions import DoesNotExist

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.paging import page_number, paginate
from admin.render import flash, not_found, redirect_to, render
from app.enterprise import industry
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.organisation.service import organisation_tree
from app.policy.display import application_state
from app.policy.errors import PolicyError, PolicyNotFound
from app.policy.export import amount_text, export_policy_list, window_text
from app.policy.importer import IMPORT_HEADERS, import_policies, write_import_template
from app.policy.lifecycle import EDITABLE_STATUSES, get_transition
from app.policy.models import Policy, PolicyStatus, SupportType
from app.policy.service import (
    FIELD_LABELS,
    PolicyInput,
    available_actions,
    create_policy,
    get_policy,
    is_pushable,
    list_policies,
    policy_history,
    policy_input_of,
    review_queue,
    shanghai_today,
    transition_policy,
    update_policy,
)
from app.policy.targeting import Targeting, audience_count, describe_targeting
from app.push.service import list_campaigns

PERMISSION = "policy.edit"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BLANK_ATTACHMENT_ROWS = 3
MAX_BODY_CHARS = 200_000  # the service's limit; forms.text would cut at 20,000

_TEXT_FIELDS = ("title", "doc_number", "summary", "apply_where", "contact", "support_type")
_DATE_FIELDS = ("publish_date", "effective_date", "expiry_date", "apply_start", "apply_end")
_AMOUNT_FIELDS = ("amount_min", "amount_max")
_TARGETING_LISTS = ("districts", "industry_sections", "industry_divisions", "size_classes", "ownerships",
                    "lifecycle_stages")
_TARGETING_BOUNDS = ("min_years_established", "max_years_established", "min_registered_capital",
                     "max_registered_capital")
_TAG_SEPARATORS = re.compile(r"[、,，;；\s]+")

# Labels of the targeting fields, for messages that name what is wrong (the policy fields' own are the service's).
_TARGETING_LABELS = {
    "districts": "注册区",
    "industry_sections": "行业门类",
    "industry_divisions": "行业大类",
    "size_classes": "企业规模",
    "ownerships": "所有制",
    "lifecycle_stages": "生命周期",
    "min_years_established": "成立年限下限",
    "max_years_established": "成立年限上限",
    "min_registered_capital": "注册资本下限",
    "max_registered_capital": "注册资本上限",
    "tags": "企业标签",
}
_TYPE_HINTS = {
    "date": "应为日期（YYYY-MM-DD）",
    "decimal": "应为数字（万元）",
    "int": "应为整数",
    "enum": "的取值无效",
    "missing": "不能为空",
}


class _FormError(Exception):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# -- the list, the review queue -----------------------------------------------------------


@bp.get("/policies")
@requires(PERMISSION)
async def policy_list(request: Request) -> HTTPResponse:
    staff = request.ctx.staff
    filters = {
        "status": _choice(PolicyStatus, forms.query(request, "status")),
        "support_type": _choice(SupportType, forms.query(request, "support_type")),
        "issuer": forms.query_number(request, "issuer"),
        "q": forms.query(request, "q").strip(),
    }
    query = await list_policies(staff=staff, status=filters["status"], support_type=filters["support_type"],
                                issuer_id=filters["issuer"], keyword=filters["q"])
    page = await paginate(query.prefetch_related("issuing_organisations"),
                          number=page_number(forms.query(request, "page")))
    params = {name: getattr(value, "value", value) for name, value in filters.items() if value}
    return render(request, "policy_list.html", page=page, filters=filters, params=params,
                  statuses=list(PolicyStatus), support_types=list(SupportType),
                  organisations=await organisation_tree(viewer=staff), amount=_amount)


@bp.get("/policies/review")
@requires(PERMISSION)
async def policy_review_queue(request: Request) -> HTTPResponse:
    staff = request.ctx.staff
    rows = []
    for policy in await review_queue(staff=staff):
        actions = {transition.action for transition in await available_actions(staff=staff, policy=policy)}
        rows.append({"policy": policy, "can_approve": "approve" in actions})
    return render(request, "policy_review.html", rows=rows)


# -- the editor ------------------------------------------------------------------------------


@bp.get("/policies/new")
@requires(PERMISSION)
async def policy_new_form(request: Request) -> HTTPResponse:
    values = _values_of(None)
    return await _editor(request, policy=None, values=values, errors={})


@bp.post("/policies/new")
@requires(PERMISSION)
async def policy_create(request: Request) -> HTTPResponse:
    values = _read_form(request)
    try:
        policy = await create_policy(staff=request.ctx.staff, data=_policy_input(values))
    except (PolicyError, _FormError) as exc:
        return await _editor(request, policy=None, values=values, errors=_errors(exc), status=400)
    flash(request, "ok", "政策已保存为草稿。核对无误后请“提交审核”，由另一位政策编辑审核发布。")
    return redirect_to(request, f"/admin/policies/{policy.id}")


@bp.get("/policies/<policy_id:int>/edit")
@requires(PERMISSION)
async def policy_edit_form(request: Request, policy_id: int) -> HTTPResponse:
    try:
        policy = await get_policy(staff=request.ctx.staff, policy_id=policy_id)
    except PolicyNotFound:
        return not_found(request, "政策")
    if PolicyStatus(policy.status) not in EDITABLE_STATUSES:
        flash(request, "error", f"本政策当前为「{PolicyStatus(policy.status).label}」，只有草稿可以修改。")
        return redirect_to(request, f"/admin/policies/{policy.id}")
    return await _editor(request, policy=policy, values=_values_of(await policy_input_of(policy)), errors={})


@bp.post("/policies/<policy_id:int>/edit")
@requires(PERMISSION)
async def policy_update(request: Request, policy_id: int) -> HTTPResponse:
    staff = request.ctx.staff
    values = _read_form(request)
    try:
        policy = await get_policy(staff=staff, policy_id=policy_id)
    except PolicyNotFound:
        return not_found(request, "政策")
    try:
        await update_policy(staff=staff, policy_id=policy_id, data=_policy_input(values))
    except (PolicyError, _FormError) as exc:
        return await _editor(request, policy=policy, values=values, errors=_errors(exc), status=400)
    flash(request, "ok", "修改已保存。")
    return redirect_to(request, f"/admin/policies/{policy_id}")


@bp.post("/policies/audience")
@requires(PERMISSION)
async def policy_audience(request: Request) -> HTTPResponse:
    """The htmx estimate under the targeting rules: how many enterprises of the register they select."""
    values = _read_form(request)
    try:
        targeting = _targeting(values)
    except _FormError as exc:
        return render(request, "policy_audience.html", count=None, lines=[], error=exc.message)
    count = await audience_count(targeting=targeting, today=shanghai_today())
    return render(request, "policy_audience.html", count=count, lines=describe_targeting(targeting), error="")


# -- the detail page and its lifecycle steps --------------------------------------------------


@bp.get("/policies/<policy_id:int>")
@requires(PERMISSION)
async def policy_detail(request: Request, policy_id: int) -> HTTPResponse:
    staff = request.ctx.staff
    try:
        policy = await get_policy(staff=staff, policy_id=policy_id)
    except PolicyNotFound:
        return not_found(request, "政策")
    today = shanghai_today()
    try:
        targeting = Targeting.from_stored(policy.targeting)
    except ValueError:
        targeting, lines, count = None, ["（适用对象数据无法读取，请重新编辑）"], None
    else:
        lines, count = describe_targeting(targeting), await audience_count(targeting=targeting, today=today)
    return render(
        request, "policy_detail.html", policy=policy,
        support=SupportType(policy.support_type), targeting_lines=lines, audience=count,
        amount=_amount(policy), window=window_text(policy.apply_start, policy.apply_end),
        state=application_state(policy, today=today),
        history=await policy_history(policy_id=policy.id),
        actions=await available_actions(staff=staff, policy=policy),
        editable=PolicyStatus(policy.status) in EDITABLE_STATUSES,
        pushable=is_pushable(policy, today=today),
        campaigns=await list_campaigns(policy_id=policy.id, limit=20),
    )


@bp.post("/policies/<policy_id:int>/transition")
@requires(PERMISSION)
async def policy_transition(request: Request, policy_id: int) -> HTTPResponse:
    action = forms.text(request, "action").strip()
    try:
        transition = get_transition(action)
        await transition_policy(staff=request.ctx.staff, policy_id=policy_id, action=action,
                                note=forms.text(request, "note"))
    except PolicyNotFound:
        return not_found(request, "政策")
    except PolicyError as exc:
        flash(request, "error", f"操作未完成：{exc.message}")
    else:
        flash(request, "ok", f"已{transition.label}。")
    return redirect_to(request, f"/admin/policies/{policy_id}")


# -- import and export -------------------------------------------------------------------------


@bp.get("/policies/import")
@requires(PERMISSION)
async def policy_import_form(request: Request) -> HTTPResponse:
    return render(request, "policy_import.html", report=None, error="", headers=IMPORT_HEADERS)


@bp.post("/policies/import")
@requires(PERMISSION)
async def policy_import(request: Request) -> HTTPResponse:
    upload = (request.files or {}).get("file")
    if upload is None or not upload.body:
        return render(request, "policy_import.html", status=400, report=None, headers=IMPORT_HEADERS,
                      error="请选择要导入的 XLSX 或 CSV 文件。")
    with tempfile.TemporaryDirectory(prefix="qiyun-policy-import-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(upload.body)
        report = await import_policies(path=path, staff=request.ctx.staff, publish=forms.checked(request, "publish"))
    return render(request, "policy_import.html", status=200 if not report.rejected else 400, report=report,
                  error="", headers=IMPORT_HEADERS, filename=upload.name or "")


@bp.get("/policies/import/template.xlsx")
@requires(PERMISSION)
async def policy_import_template(request: Request) -> HTTPResponse:
    with tempfile.TemporaryDirectory(prefix="qiyun-policy-template-") as folder:
        path = Path(folder) / "template.xlsx"
        write_import_template(path)
        content = path.read_bytes()
    return _download(content, "惠企政策导入模板.xlsx", XLSX, fallback="policy-import-template.xlsx")


@bp.get("/policies/export")
@requires(PERMISSION)
async def policy_export_form(request: Request) -> HTTPResponse:
    return await _export_form(request, values={"start": "", "end": "", "organisation_id": None}, error="")


@bp.get("/policies/export.xlsx")
@requires(PERMISSION)
async def policy_export(request: Request) -> HTTPResponse:
    values = {"start": forms.query(request, "start").strip(), "end": forms.query(request, "end").strip(),
              "organisation_id": forms.query_number(request, "organisation_id")}
    try:
        start, end = _query_date(values["start"], "开始日期"), _query_date(values["end"], "结束日期")
        if start is not None and end is not None and start > end:
            raise _FormError(f"开始日期（{start.isoformat()}）晚于结束日期（{end.isoformat()}）", "start")
        exported = await export_policy_list(start=start, end=end, organisation_id=values["organisation_id"])
    except _FormError as exc:
        return await _export_form(request, values=values, error=exc.message, status=400)
    except DoesNotExist:
        return await _export_form(request, values=values, error="所选发文单位不存在。", status=400)
    return _download(exported.content, exported.filename, exported.media_type, fallback="policy-list.xlsx")


# -- reading the form ---------------------------------------------------------------------------


def _read_form(request: Request) -> dict[str, Any]:
    """What was typed, as typed: to build the input from, and to show again after a refusal."""
    form = request.form or {}
    values: dict[str, Any] = {name: forms.text(request, name).strip() for name in _TEXT_FIELDS}
    values["body"] = str(form.get("body") or "")[:MAX_BODY_CHARS + 1]
    for name in _DATE_FIELDS + _AMOUNT_FIELDS + _TARGETING_BOUNDS:
        values[name] = forms.text(request, name).strip()
    values["issuing_organisation_ids"] = forms.numbers(request, "issuing_organisation_ids")
    for name in _TARGETING_LISTS:
        values[name] = [str(item) for item in (form.getlist(name) or [])]
    values["tags"] = forms.text(request, "tags").strip()
    names = form.getlist("attachment_filename") or []
    urls = form.getlist("attachment_url") or []
    values["attachments"] = [
        {"filename": str(name).strip(), "url": str(url).strip()}
        for name, url in zip(names, urls, strict=False)
        if str(name).strip() or str(url).strip()
    ]
    return values


def _targeting(values: dict[str, Any]) -> Targeting:
    raw: dict[str, Any] = {name: values[name] for name in _TARGETING_LISTS}
    raw.update({name: values[name] or None for name in _TARGETING_BOUNDS})
    raw["tags"] = [tag for tag in _TAG_SEPARATORS.split(values["tags"]) if tag]
    try:
        return Targeting.model_validate(raw)
    except ValidationError as exc:
        raise _form_error(exc, prefix=("targeting",)) from None


def _policy_input(values: dict[str, Any]) -> PolicyInput:
    targeting = _targeting(values)
    raw: dict[str, Any] = {name: values[name] for name in _TEXT_FIELDS + ("body",)}
    raw.update({name: values[name] or None for name in _DATE_FIELDS + _AMOUNT_FIELDS})
    raw["support_type"] = values["support_type"] or None
    raw["issuing_organisation_ids"] = values["issuing_organisation_ids"]
    raw["attachments"] = values["attachments"]
    try:
        return PolicyInput.model_validate(raw | {"targeting": targeting})
    except ValidationError as exc:
        raise _form_error(exc, prefix=()) from None


def _form_error(exc: ValidationError, *, prefix: tuple[str, ...]) -> _FormError:
    """The first problem pydantic found, in Chinese, with the form field it belongs to."""
    error = exc.errors()[0]
    location = [str(part) for part in (*prefix, *error.get("loc", ())) if not isinstance(part, int)]
    location = location[1:] if location[:1] == ["targeting"] else location
    field = location[0] if location else "targeting"
    label = FIELD_LABELS.get(field) or _TARGETING_LABELS.get(field, field)
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if kind == "value_error" and not message.isascii():
        pass  # the model's own Chinese message
    elif field == "support_type" and not error.get("input"):
        message = "请选择支持方式"
    else:
        hint = next((text for prefix_, text in _TYPE_HINTS.items() if kind.startswith(prefix_)), "格式不正确")
        shown = error.get("input")
        message = f"{label}{hint}" + (f"：「{shown}」" if isinstance(shown, str) and shown else "")
    return _FormError(message, field)


def _errors(exc: PolicyError | _FormError) -> dict[str, str]:
    field = exc.field or "_form"
    return {field: exc.message, "_summary": exc.message}


def _values_of(data: PolicyInput | None) -> dict[str, Any]:
    """The form's values for a stored policy (or empty ones for a new policy)."""
    if data is None:
        values = {name: "" for name in _TEXT_FIELDS + ("body", "tags") + _DATE_FIELDS + _AMOUNT_FIELDS
                  + _TARGETING_BOUNDS}
        return values | {name: [] for name in _TARGETING_LISTS + ("issuing_organisation_ids", "attachments")}
    values: dict[str, Any] = {name: getattr(data, name) or "" for name in ("title", "doc_number", "summary", "body",
                                                                            "apply_where", "contact")}
    values["support_type"] = data.support_type.value if data.support_type else ""
    for name in _DATE_FIELDS:
        day = getattr(data, name)
        values[name] = day.isoformat() if day else ""
    for name in _AMOUNT_FIELDS:
        values[name] = _decimal_text(getattr(data, name))
    values["issuing_organisation_ids"] = list(data.issuing_organisation_ids)
    values["attachments"] = [{"filename": item.filename, "url": item.url} for item in data.attachments]
    targeting = data.targeting
    for name in _TARGETING_LISTS:
        values[name] = [getattr(item, "value", item) for item in getattr(targeting, name)]
    for name in ("min_years_established", "max_years_established"):
        value = getattr(targeting, name)
        values[name] = "" if value is None else str(value)
    for name in ("min_registered_capital", "max_registered_capital"):
        values[name] = _decimal_text(getattr(targeting, name))
    values["tags"] = "、".join(targeting.tags)
    return values


async def _editor(request: Request, *, policy: Policy | None, values: dict[str, Any], errors: dict[str, str],
                  status: int = 200) -> HTTPResponse:
    attachments = list(values["attachments"]) + [{"filename": "", "url": ""}] * BLANK_ATTACHMENT_ROWS
    return render(
        request, "policy_form.html", status=status, policy=policy, values=values, errors=errors,
        attachments=attachments, support_types=list(SupportType),
        organisations=await organisation_tree(viewer=request.ctx.staff),
        districts=list(District), size_classes=list(SizeClass), ownerships=list(Ownership),
        lifecycle_stages=list(LifecycleStage), industries=_industries(),
    )


async def _export_form(request: Request, *, values: dict[str, Any], error: str, status: int = 200) -> HTTPResponse:
    return render(request, "policy_export.html", status=status, values=values, error=error,
                  organisations=await organisation_tree(viewer=request.ctx.staff))


# -- small helpers -----------------------------------------------------------------------------


def _choice(enum: Any, value: str) -> Any:
    try:
        return enum(value) if value else None
    except ValueError:
        return None


def _query_date(value: str, label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _FormError(f"{label}「{value}」不是有效日期（YYYY-MM-DD）", "start") from None


def _decimal_text(value: Decimal | None) -> str:
    return "" if value is None else f"{Decimal(value).normalize():f}"


def _amount(policy: Policy) -> str:
    return amount_text(policy.amount_min, policy.amount_max)


def _industries() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """GB/T 4754-2017 sections with their divisions, for the targeting pickers."""
    return [
        (letter, name, [(code, industry.DIVISIONS[code]) for code in industry.divisions_of(letter)])
        for letter, name in industry.SECTIONS.items()
    ]


def _download(content: bytes, filename: str, media_type: str, *, fallback: str) -> HTTPResponse:
    """A file download whose Chinese name survives every browser (RFC 6266 / 5987: an ASCII
    `filename` for old clients, the UTF-8 name in `filename*`)."""
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    return raw(content, content_type=media_type, headers={"Content-Disposition": disposition})
