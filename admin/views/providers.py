"""Provider admission, profiles, ratings and warnings in the admin (`provider.manage`).

* `/admin/providers` — the list with a tab per status (the applications queue is 待审核),
  phones masked; register a provider.
* `/admin/providers/<id>` — the profile: the review with the criteria checklist (admit /
  ask for more / refuse with a reason), standing (warn / suspend / reinstate with a reason),
  the invitation code, products, reputation (score, count, completion, dimensions),
  ratings with outliers flagged and the exclude action, complaints with uphold / dismiss,
  the provider's own text held by the content check (pass / refuse, `app.provider.checks`),
  and the timeline.
* `/admin/providers/criteria` — the published admission criteria.

Every change goes through `app.provider` services (which write the audit log); their
`ProviderError` comes back as a flash next to the page.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.paging import page_number, paginate
from admin.render import flash, not_found, redirect_to, render
from app.enterprise.reference import District
from app.exports import xlsx_response
from app.identity.service import mask_phone
from app.provider import admission, checks, management, products, queries
from app.provider.admission import CredentialIn, ProviderDraft
from app.provider import export as provider_export
from app.provider.errors import ProviderError, ProviderNotFound
from app.provider.models import ComplaintStatus, ProviderStatus, ServiceCategory
from app.provider.reputation import DIMENSIONS
from app.provider.workflow import Role, available_actions

PERMISSION = "provider.manage"
LIST_STATUSES = [ProviderStatus.applied, ProviderStatus.needs_info, ProviderStatus.admitted, ProviderStatus.warned,
                 ProviderStatus.suspended, ProviderStatus.refused]


def _list_filters(request: Request) -> tuple[str, ProviderStatus | None, str, str]:
    """(status as typed, status, category, keyword): the list's filters, for the page and its export."""
    chosen = forms.query(request, "status")
    status = ProviderStatus(chosen) if chosen in ProviderStatus.labels() else None
    category = forms.query(request, "category")
    category = category if category in ServiceCategory.labels() else ""
    return chosen, status, category, forms.query(request, "q").strip()[:40]


@bp.get("/providers")
@requires(PERMISSION)
async def provider_list(request: Request) -> HTTPResponse:
    chosen, status, category, keyword = _list_filters(request)
    query = await queries.applications(status=status, category=category, keyword=keyword)
    page = await paginate(query, number=page_number(forms.query(request, "page")))
    rows = [{"provider": p, "phone": mask_phone(p.contact_phone), "reputation": queries.reputation_of(p)}
            for p in page.items]
    params = {k: v for k, v in {"status": chosen if status else "", "category": category, "q": keyword}.items() if v}
    return render(request, "provider_list.html", page=page, rows=rows, chosen=status, statuses=LIST_STATUSES,
                  counts=await queries.status_counts(), categories=ServiceCategory.labels(), category=category,
                  keyword=keyword, params=params, open_complaints=await queries.open_complaint_count())


@bp.get("/providers/export.xlsx")
@requires(PERMISSION)
async def provider_list_export(request: Request) -> HTTPResponse:
    _, status, category, keyword = _list_filters(request)
    return xlsx_response(await provider_export.export_providers(staff=request.ctx.staff, status=status,
                                                                category=category, keyword=keyword))


@bp.get("/providers/<provider_id:int>/ratings.xlsx")
@requires(PERMISSION)
async def provider_ratings_export(request: Request, provider_id: int) -> HTTPResponse:
    try:
        exported = await provider_export.export_ratings(staff=request.ctx.staff, provider_id=provider_id)
    except ProviderNotFound:
        return not_found(request, "服务机构")
    return xlsx_response(exported)


# -- register ---------------------------------------------------------------------------


@bp.get("/providers/new")
@requires(PERMISSION)
async def provider_new_form(request: Request) -> HTTPResponse:
    return _register_page(request, values={}, error=None)


def _register_page(request: Request, *, values: dict[str, Any], error: ProviderError | None,
                   status: int = 200) -> HTTPResponse:
    return render(request, "provider_new.html", status=status, values=values, error=error,
                  categories=ServiceCategory.labels(), districts=list(District))


def _draft_from_form(request: Request) -> tuple[ProviderDraft, dict[str, Any]]:
    names = ["name", "credit_code", "category", "description", "district", "address", "contact_name", "contact_phone"]
    values = {name: forms.text(request, name) for name in names}
    values["credentials_text"] = forms.text(request, "credentials")
    credentials = []
    for line in values["credentials_text"].splitlines():
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if not parts or not parts[0]:
            continue
        from datetime import date

        expires = None
        if len(parts) > 2 and parts[2]:
            try:
                expires = date.fromisoformat(parts[2])
            except ValueError:
                raise ProviderError(f"资质「{parts[0]}」的有效期应写成 2026-12-31", code="invalid_credentials",
                                    field="credentials") from None
        credentials.append(CredentialIn(name=parts[0], number=parts[1] if len(parts) > 1 else "", expires_on=expires))
    return ProviderDraft(**{k: values[k] for k in names}, credentials=credentials), values


@bp.post("/providers/new")
@requires(PERMISSION)
async def provider_register(request: Request) -> HTTPResponse:
    values: dict[str, Any] = {}
    try:
        draft, values = _draft_from_form(request)
        provider = await admission.register(staff=request.ctx.staff, draft=draft, reason=forms.text(request, "reason"))
    except ProviderError as exc:
        return _register_page(request, values=values, error=exc, status=400)
    flash(request, "ok", f"已登记并准予入驻。邀请码 {provider.invite_code}：请交给机构负责人，在小程序“服务机构工作台”中凭码加入。")
    return redirect_to(request, f"/admin/providers/{provider.id}")


# -- the profile --------------------------------------------------------------------------


@bp.get("/providers/<provider_id:int>")
@requires(PERMISSION)
async def provider_detail(request: Request, provider_id: int) -> HTTPResponse:
    provider = await queries.staff_provider(provider_id=provider_id)
    if provider is None:
        return not_found(request, "服务机构")
    status = ProviderStatus(provider.status)
    actions = available_actions(status=status, role=Role.staff)
    ratings = await queries.ratings_for_staff(provider_id=provider.id)
    return render(
        request, "provider_detail.html", provider=provider, current=status,
        review_actions=[t for t in actions if t.action in admission.REVIEW_ACTIONS],
        standing_actions=[t for t in actions if t.action in management.STAFF_STEPS],
        criteria=await admission.criteria_for(category=provider.category) if status is ProviderStatus.applied else [],
        phone=provider.contact_phone, reputation=queries.reputation_of(provider), dimensions=DIMENSIONS,
        products=await products.products_of(provider_id=provider.id, active_only=False),
        price_text=products.price_text, ratings=ratings, flagged=sum(1 for r in ratings if r.flags),
        complaints=await queries.complaints_of(provider_id=provider.id), open_status=ComplaintStatus.open,
        events=await queries.events_of(provider_id=provider.id), event_label=queries.event_label,
        held_texts=await checks.held_checks(provider=provider),
    )


async def _act(request: Request, provider_id: int, change: Awaitable[Any], done: str) -> HTTPResponse:
    try:
        await change
    except ProviderError as exc:
        flash(request, "error", f"操作未完成：{exc.message}")
    else:
        flash(request, "ok", done)
    return redirect_to(request, f"/admin/providers/{provider_id}")


@bp.post("/providers/<provider_id:int>/review")
@requires(PERMISSION)
async def provider_review(request: Request, provider_id: int) -> HTTPResponse:
    action = forms.text(request, "action")
    return await _act(request, provider_id, admission.review(
        staff=request.ctx.staff, provider_id=provider_id, action=action, reason=forms.text(request, "reason"),
        checked=forms.numbers(request, "criteria"),
    ), {"admit": "已准予入驻，机构成员将收到通知。", "request_info": "已请机构补充材料。",
        "refuse": "已作出不予入驻决定。"}.get(action, "已处理。"))


@bp.post("/providers/<provider_id:int>/standing")
@requires(PERMISSION)
async def provider_standing(request: Request, provider_id: int) -> HTTPResponse:
    action = forms.text(request, "action")
    return await _act(request, provider_id, management.staff_step(
        staff=request.ctx.staff, provider_id=provider_id, action=action, reason=forms.text(request, "reason"),
    ), {"warn": "已预警。", "suspend": "已暂停该机构的服务。", "reinstate": "已恢复该机构的服务。"}.get(action, "已处理。"))


@bp.post("/providers/<provider_id:int>/invite-code")
@requires(PERMISSION)
async def provider_invite_code(request: Request, provider_id: int) -> HTTPResponse:
    return await _act(request, provider_id, admission.reset_invite_code(provider_id=provider_id, staff=request.ctx.staff),
                      "已生成新的邀请码，旧邀请码已失效。")


@bp.post("/providers/<provider_id:int>/products/<product_id:int>/withdraw")
@requires(PERMISSION)
async def provider_product_withdraw(request: Request, provider_id: int, product_id: int) -> HTTPResponse:
    return await _act(request, provider_id, products.withdraw_product(
        provider_id=provider_id, product_id=product_id, staff=request.ctx.staff, reason=forms.text(request, "reason"),
    ), "产品已下架，机构成员将收到通知。")


@bp.post("/providers/<provider_id:int>/content-checks/<check_id:int>")
@requires(PERMISSION)
async def provider_content_review(request: Request, provider_id: int, check_id: int) -> HTTPResponse:
    approve = forms.text(request, "decision") == "approve"
    return await _act(request, provider_id, checks.review_text(
        staff=request.ctx.staff, provider_id=provider_id, check_id=check_id, approve=approve,
        note=forms.text(request, "note"),
    ), "内容已通过复核，将对公众展示。" if approve else "内容未通过复核，机构成员将收到通知。")


@bp.post("/providers/<provider_id:int>/ratings/<rating_id:int>/exclude")
@requires(PERMISSION)
async def provider_rating_exclude(request: Request, provider_id: int, rating_id: int) -> HTTPResponse:
    return await _act(request, provider_id, management.exclude_rating(
        staff=request.ctx.staff, rating_id=rating_id, reason=forms.text(request, "reason"),
    ), "该评价已不计入评分，评分将随即重算。")


@bp.post("/providers/<provider_id:int>/complaints/<complaint_id:int>")
@requires(PERMISSION)
async def provider_complaint_decide(request: Request, provider_id: int, complaint_id: int) -> HTTPResponse:
    uphold = forms.text(request, "decision") == "uphold"
    return await _act(request, provider_id, management.decide_complaint(
        staff=request.ctx.staff, complaint_id=complaint_id, uphold=uphold, reason=forms.text(request, "reason"),
    ), "投诉已认定属实，将计入该机构的动态管理。" if uphold else "投诉已认定不成立。")


# -- admission criteria -------------------------------------------------------------------


@bp.get("/providers/criteria")
@requires(PERMISSION)
async def provider_criteria(request: Request) -> HTTPResponse:
    return render(request, "provider_criteria.html", criteria=await admission.criteria_for(category=None),
                  categories=ServiceCategory.labels())


@bp.post("/providers/criteria")
@requires(PERMISSION)
async def provider_criterion_save(request: Request) -> HTTPResponse:
    try:
        await admission.save_criterion(
            staff=request.ctx.staff, criterion_id=forms.number(request, "criterion_id"),
            category=forms.text(request, "category"), title=forms.text(request, "title"),
            description=forms.text(request, "description"), position=forms.number(request, "position", 0) or 0,
        )
    except ProviderError as exc:
        flash(request, "error", exc.message)
    else:
        flash(request, "ok", "入驻标准已保存，申请人即可看到。")
    return redirect_to(request, "/admin/providers/criteria")


@bp.post("/providers/criteria/<criterion_id:int>/retire")
@requires(PERMISSION)
async def provider_criterion_retire(request: Request, criterion_id: int) -> HTTPResponse:
    try:
        await admission.delete_criterion(staff=request.ctx.staff, criterion_id=criterion_id)
    except ProviderError as exc:
        flash(request, "error", exc.message)
    else:
        flash(request, "ok", "该标准已停用。")
    return redirect_to(request, "/admin/providers/criteria")
