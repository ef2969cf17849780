"""Engagements (服务订单) in the admin: every engagement for staff with `provider.manage`
(service managers, city administrators), filtered by status, provider, category,
enterprise and request date; one engagement with its timeline and rating; cancellation
with a reason (the enterprise and the provider are told; the audit log keeps who and why).

Lists come from `app.engagement.queries`, the step from `app.engagement.service.cancel`,
whose refusal is shown as a flash message. The requester's phone is masked everywhere.
Excluding an abusive rating is on the provider's page (`admin.views.providers`).
"""

from __future__ import annotations

from datetime import date

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.paging import page_number
from admin.render import flash, not_found, redirect_to, render
from app.engagement import export as engagement_export
from app.engagement import queries, service
from app.engagement.models import EngagementStatus
from app.exports import xlsx_response
from app.provider.errors import ProviderError, ProviderNotFound
from app.provider import queries as provider_queries
from app.provider.models import ServiceCategory

PERMISSION = "provider.manage"
PER_PAGE = 30


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(request: Request) -> queries.StaffFilters:
    status = forms.query(request, "status")
    if status not in {"open", "closed", *(s.value for s in EngagementStatus)}:
        status = ""
    category = forms.query(request, "category")
    if category not in {c.value for c in ServiceCategory}:
        category = ""
    return queries.StaffFilters(
        status=status, provider_id=forms.query_number(request, "provider_id"), category=category,
        enterprise=forms.query(request, "enterprise")[:100], date_from=_date(forms.query(request, "date_from")),
        date_to=_date(forms.query(request, "date_to")),
    )


@bp.get("/engagements")
@requires(PERMISSION)
async def engagement_list(request: Request) -> HTTPResponse:
    filters = _filters(request)
    number = page_number(forms.query(request, "page"))
    found = await queries.list_for_staff(filters=filters, page=number, per_page=PER_PAGE)
    providers = await provider_queries.provider_choices()
    return render(request, "engagement_list.html", found=found, filters=filters, page=number,
                  statuses=list(EngagementStatus), categories=list(ServiceCategory), providers=providers)


@bp.get("/engagements/export.xlsx")
@requires(PERMISSION)
async def engagement_list_export(request: Request) -> HTTPResponse:
    return xlsx_response(await engagement_export.export_engagements(staff=request.ctx.staff, filters=_filters(request)))


@bp.get("/engagements/<engagement_id:int>")
@requires(PERMISSION)
async def engagement_detail(request: Request, engagement_id: int) -> HTTPResponse:
    try:
        detail = await queries.detail(engagement_id=engagement_id, staff=request.ctx.staff)
    except ProviderNotFound:
        return not_found(request, "服务订单")
    return render(request, "engagement_detail.html", detail=detail, summary=detail.summary,
                  can_cancel=any(t.action == "cancel" for t in detail.actions))


@bp.post("/engagements/<engagement_id:int>/cancel")
@requires(PERMISSION)
async def engagement_cancel(request: Request, engagement_id: int) -> HTTPResponse:
    try:
        await service.cancel(engagement_id=engagement_id, staff=request.ctx.staff, reason=forms.text(request, "reason"))
    except ProviderNotFound:
        return not_found(request, "服务订单")
    except ProviderError as exc:
        flash(request, "error", f"操作未完成：{exc.message}")
    else:
        flash(request, "ok", "服务订单已取消，企业和服务机构将收到通知。")
    return redirect_to(request, f"/admin/engagements/{engagement_id}")
