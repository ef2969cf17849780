"""Appeals (企业诉求) for staff: the queue with its tabs, one appeal with everything about
it, and the steps the person may take on it.

Dispatchers (`appeal.dispatch`) work the intake: accept or decline, release held content,
dispatch with the routing suggestions, merge duplicates, grant transfer requests. Handlers
(`appeal.handle`) see only the appeals their organisation leads or co-handles: they sign
for them (签收), reply with attachments, return them or ask for a transfer, and write
internal notes. Every list goes through `app.appeal.access.staff_appeals`; the buttons come
from `app.appeal.workflow.available_actions` for the person's roles on the appeal; every
step goes through `app.appeal.service`, whose `AppealError` is shown next to the form.

An appeal outside the person's scope is a 404, never a 403: its existence is not disclosed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.paging import page_number
from admin.render import flash, not_found, redirect_to, render
from admin.views import appeal_support as support
from admin.views.appeal_uploads import upload_route, uploads
from app.appeal import export as appeal_export
from app.appeal import service
from app.appeal.access import staff_actor, staff_appeals
from app.appeal.categories import category_choices
from app.appeal.errors import AppealError, AppealNotFound
from app.appeal.models import Appeal, AppealChannel, AppealStatus
from app.appeal.workflow import Actor, available_actions, get_transition
from app.config import Settings
from app.exports import ROW_CAP, xlsx_response
from app.enterprise.reference import District
from app.organisation.service import organisation_tree
from app.staff.models import Staff

PERMISSION = "appeal.handle"
"""Every page needs it; dispatchers (city and district administrators) hold it too."""


# -- the queue --------------------------------------------------------------------------------


@bp.get("/appeals")
@requires(PERMISSION)
async def appeal_queue(request: Request) -> HTTPResponse:
    staff = request.ctx.staff
    settings = _settings(request)
    tabs, tab = _tabs(request, staff)
    filters = _filters(request)
    now = support.now_local()
    found = await support.queue(staff=staff, tab=tab, filters=filters, now=now, settings=settings,
                                number=page_number(forms.query(request, "page")))
    rows = [
        {
            "appeal": appeal,
            "phone": support.masked_phone(appeal),
            "badge": support.deadline_badge(appeal, now=now, settings=settings),
            "flag": support.FLAG_LABELS.get(appeal.flag),
            "category": support.category_label(appeal.category),
            "overdue": found.overdue.get(appeal.id),
        }
        for appeal in found.page.items
    ]
    return render(
        request, "appeal_list.html", page=found.page, rows=rows, level_labels=support.LEVEL_LABELS, tab=tab,
        tabs=tabs, filters=filters, params=filters.params() | {"tab": tab.code},
        counts=await support.tab_counts(staff=staff, tabs=tabs, filters=filters, now=now, settings=settings),
        categories=category_choices(), districts=list(District), channels=list(AppealChannel),
    )


@bp.get("/appeals/export.xlsx")
@requires(PERMISSION)
async def appeal_queue_export(request: Request) -> HTTPResponse:
    """The tab as the page shows it (same tab, filters and scope), every page of it."""
    staff = request.ctx.staff
    settings = _settings(request)
    tabs, tab = _tabs(request, staff)
    filters = _filters(request)
    now = support.now_local()
    exported = await appeal_export.export_appeals(
        staff=staff, appeals=_all_of_tab(staff=staff, tab=tab, filters=filters, now=now, settings=settings),
        tab_label=tab.label, supervision=tab.overdue, filters=filters.params() | {"tab": tab.code}, now=now,
        settings=settings, flag_label=lambda code: support.FLAG_LABELS.get(code, ("",))[0],
    )
    return xlsx_response(exported)


async def _all_of_tab(*, staff: Staff, tab: support.Tab, filters: support.QueueFilters, now: Any,
                      settings: Settings, chunk: int = 2000):
    """Every appeal of the tab in the page's order, loaded a chunk at a time, through the
    queue's own query (`appeal_support`), so the file holds what the pages hold."""
    if tab.overdue:
        rows = await support.overdue_rows(staff=staff, filters=filters, now=now, settings=settings)
        for start in range(0, min(len(rows), ROW_CAP + 1), chunk):
            part = rows[start:start + chunk]
            loaded = {a.id: a for a in await Appeal.filter(id__in=[r.appeal.id for r in part] or [-1]).select_related(
                "lead_organisation", "enterprise")}
            for row in part:
                if row.appeal.id in loaded:
                    yield loaded[row.appeal.id], row
        return
    query = (await support.queue_query(staff=staff, tab=tab, filters=filters)).select_related(
        "lead_organisation", "enterprise").order_by(*tab.ordering)
    for start in range(0, ROW_CAP + 1, chunk):
        part = await query.offset(start).limit(chunk)
        for appeal in part:
            yield appeal, None
        if len(part) < chunk:
            return


def _tabs(request: Request, staff: Staff) -> tuple[list[support.Tab], support.Tab]:
    """The reader's tabs and the one asked for (their default when it is not theirs)."""
    tabs = support.tabs_for(staff)
    chosen = forms.query(request, "tab")
    return tabs, next((t for t in tabs if t.code == chosen), support.default_tab(staff))


def _filters(request: Request) -> support.QueueFilters:
    category = forms.query(request, "category")
    return support.QueueFilters(
        category=category if category in dict(category_choices()) else "",
        district=_choice(District, forms.query(request, "district")),
        channel=_choice(AppealChannel, forms.query(request, "channel")),
        q=forms.query(request, "q").strip()[:60],
    )


# -- one appeal -------------------------------------------------------------------------------


@bp.get("/appeals/<appeal_id:int>")
@requires(PERMISSION)
async def appeal_detail(request: Request, appeal_id: int) -> HTTPResponse:
    try:
        appeal, actor = await _visible(request.ctx.staff, appeal_id)
    except AppealNotFound:
        return not_found(request, "诉求")
    return await _detail_page(request, appeal, actor)


async def _visible(staff: Staff, appeal_id: int) -> tuple[Appeal, Actor]:
    """The appeal and the person's roles on it; AppealNotFound if it is not theirs to see."""
    found = await (await staff_appeals(staff, Appeal.filter(id=appeal_id))).select_related(
        "enterprise", "owner_organisation", "lead_organisation", "duplicate_of"
    ).first()
    if found is None:
        raise AppealNotFound()
    return found, await staff_actor(staff, found)


async def _detail_page(request: Request, appeal: Appeal, actor: Actor, *, error: dict[str, Any] | None = None,
                       values: dict[str, Any] | None = None, status: int = 200) -> HTTPResponse:
    staff = request.ctx.staff
    settings = _settings(request)
    now = support.now_local()
    actions = available_actions(status=AppealStatus(appeal.status), actor=actor)
    codes = {t.action for t in actions}
    filed, by_event = await support.attachments_of(appeal, settings=settings)
    help_ = await support.dispatch_help(
        appeal, staff=staff, want_suggestions=bool(codes & {"dispatch", "redispatch"}),
        want_duplicates="merge" in codes,
    )
    transfer = await support.latest_transfer_request(appeal)
    values = values or {}
    return render(
        request, "appeal_detail.html", status=status, appeal=appeal, actor=actor,
        roles=sorted(service.ROLE_LABELS[role] for role in actor.roles if role in service.ROLE_LABELS),
        actions=actions, action_codes=codes, error=error, values=values,
        phone=support.contact_phone_for(staff, appeal, actor),
        category=support.category_label(appeal.category),
        deadlines=support.deadlines_of(appeal, now=now, settings=settings),
        badge=support.deadline_badge(appeal, now=now, settings=settings),
        flag=support.FLAG_LABELS.get(appeal.flag),
        photos=filed, timeline=await support.timeline(appeal, attachments=by_event),
        assignments=await support.assignments_of(appeal), checks=await support.content_checks(appeal),
        transfer=transfer, help=help_,
        lead_choices=await _dispatch_choices(staff, help_["suggestions"]) if codes & {"dispatch", "redispatch"} else [],
        all_organisations=await support.active_organisations() if "request_transfer" in codes else [],
        preselected=_preselected(help_["suggestions"], transfer, values),
    )


async def _dispatch_choices(staff: Staff, suggestions: list[support.SuggestedOrganisation]) -> list[dict[str, Any]]:
    """The organisations a dispatcher may hand the appeal to: their part of the hierarchy
    (the whole city for the coordination office), plus any suggested organisation."""
    rows = [{"organisation": row.organisation, "depth": row.depth}
            for row in await organisation_tree(viewer=staff) if row.organisation.is_active]
    shown = {row["organisation"].id for row in rows}
    extra = [{"organisation": s.organisation, "depth": 0} for s in suggestions if s.organisation.id not in shown]
    return extra + rows


def _preselected(suggestions: list[support.SuggestedOrganisation], transfer: Any, values: dict[str, Any]) -> dict[str, Any]:
    """What the dispatch form starts with: what was just typed, else the transfer request's
    suggestion, else the first routing suggestion."""
    lead = values.get("lead_organisation_id")
    if lead is None and transfer is not None:
        lead = (transfer.payload or {}).get("suggested_organisation_id")
    if lead is None and suggestions:
        lead = suggestions[0].organisation.id
    return {"lead": lead, "co": set(values.get("co_organisation_ids") or [])}


# -- the steps ----------------------------------------------------------------------------------

StepHandler = Callable[[Request, int, Staff, Settings], Awaitable[Appeal]]


@dataclass(frozen=True)
class Step:
    handler: StepHandler
    done: str
    """The flash after it worked."""


STEPS: dict[str, Step] = {}


def step(action: str, done: str) -> Callable[[StepHandler], StepHandler]:
    """Register the form handler of one workflow action (the action must be in the table)."""
    get_transition(action)

    def register(handler: StepHandler) -> StepHandler:
        STEPS[action] = Step(handler, done)
        return handler

    return register


def _note(request: Request) -> str:
    return forms.text(request, "note")


@step("release", "内容审核通过，诉求已回到待受理队列。")
async def _release(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    return await service.release(appeal_id=appeal_id, staff=staff, note=_note(request))


@step("accept", "已受理，请分派承办单位。")
async def _accept(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    return await service.accept(appeal_id=appeal_id, staff=staff, note=_note(request))


@step("decline", "已不予受理，原因将告知企业。")
async def _decline(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    return await service.decline(appeal_id=appeal_id, staff=staff, reason=_note(request))


@step("merge", "已合并办理。")
async def _merge(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    into = forms.number(request, "into_appeal_id")
    number = forms.text(request, "into_number").strip().upper()
    if into is None and number:
        target = await (await staff_appeals(staff, Appeal.filter(number=number))).first()
        if target is None:
            raise AppealError(f"未找到诉求 {number}，或您无权查看", code="merge_target_not_found", field="into_appeal_id")
        into = target.id
    if into is None:
        raise AppealError("请选择要并入的诉求", code="merge_target_required", field="into_appeal_id")
    return await service.merge(appeal_id=appeal_id, into_appeal_id=into, staff=staff, note=_note(request))


def _lead(request: Request) -> int:
    lead = forms.number(request, "lead_organisation_id")
    if lead is None:
        raise AppealError("请选择主办单位", code="lead_required", field="lead_organisation_id")
    return lead


@step("dispatch", "已分派，承办单位将收到通知。")
async def _dispatch(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    return await service.dispatch(
        appeal_id=appeal_id, staff=staff, lead_organisation_id=_lead(request),
        co_organisation_ids=forms.numbers(request, "co_organisation_ids"), note=_note(request), settings=settings,
    )


@step("redispatch", "已改派，新的承办单位将收到通知。")
async def _redispatch(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    return await service.redispatch(
        appeal_id=appeal_id, staff=staff, lead_organisation_id=_lead(request),
        co_organisation_ids=forms.numbers(request, "co_organisation_ids"), reason=_note(request), settings=settings,
    )


@step("escalate", "已提请市级协调，市协调办牵头办理。")
async def _escalate(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    return await service.escalate(appeal_id=appeal_id, staff=staff, reason=_note(request), settings=settings)


@step("start", "已签收，请在办结期限内答复企业。")
async def _start(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    return await service.start(appeal_id=appeal_id, staff=staff, note=_note(request))


@step("reply", "已答复，等待企业评价。")
async def _reply(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    return await service.reply(appeal_id=appeal_id, staff=staff, text=_note(request), settings=settings,
                               files=uploads(request))


@step("return", "已退回受理分派部门。")
async def _return(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    return await service.return_to_dispatcher(appeal_id=appeal_id, staff=staff, reason=_note(request), settings=settings)


@step("request_transfer", "已提交转办申请，等待受理分派部门处理。")
async def _request_transfer(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    return await service.request_transfer(
        appeal_id=appeal_id, staff=staff, reason=_note(request),
        suggested_organisation_id=forms.number(request, "suggested_organisation_id"),
    )


@step("request_info", "已请企业补充材料。")
async def _request_info(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    return await service.request_info(appeal_id=appeal_id, staff=staff, question=_note(request))


@step("note", "内部备注已保存（企业不可见）。")
async def _add_note(request: Request, appeal_id: int, staff: Staff, settings: Settings) -> Appeal:
    return await service.add_note(appeal_id=appeal_id, staff=staff, text=_note(request))


@bp.post("/appeals/<appeal_id:int>/steps/<action:str>", stream=True, name=upload_route("appeal_step"))
@requires(PERMISSION)
async def appeal_step(request: Request, appeal_id: int, action: str) -> HTTPResponse:
    staff = request.ctx.staff
    try:
        appeal, actor = await _visible(staff, appeal_id)
    except AppealNotFound:
        return not_found(request, "诉求")
    registered = STEPS.get(action)
    try:
        if registered is None:
            # An unknown action, or one only the enterprise or the system takes.
            raise AppealError(f"后台不能执行「{get_transition(action).label}」", code="not_a_staff_step")
        await registered.handler(request, appeal_id, staff, _settings(request))
    except AppealNotFound:
        return not_found(request, "诉求")
    except AppealError as exc:
        try:
            appeal, actor = await _visible(staff, appeal_id)
        except AppealNotFound:
            return not_found(request, "诉求")
        error = {"action": action, "message": exc.message, "field": exc.field or "note", "code": exc.code}
        return await _detail_page(request, appeal, actor, error=error, values=_typed(request), status=exc.status)
    flash(request, "ok", registered.done)
    try:
        await _visible(staff, appeal_id)
    except AppealNotFound:
        # Returned or transferred away: no longer this person's to see.
        return redirect_to(request, "/admin/appeals")
    return redirect_to(request, f"/admin/appeals/{appeal_id}")


def _typed(request: Request) -> dict[str, Any]:
    """What was typed into the refused form, to show it again."""
    return {
        "note": forms.text(request, "note"),
        "lead_organisation_id": forms.number(request, "lead_organisation_id"),
        "co_organisation_ids": forms.numbers(request, "co_organisation_ids"),
        "suggested_organisation_id": forms.number(request, "suggested_organisation_id"),
        "into_appeal_id": forms.number(request, "into_appeal_id"),
        "into_number": forms.text(request, "into_number")[:32],
    }


# -- helpers -------------------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    return request.app.ctx.resources.settings


def _choice(enum: Any, value: str) -> Any:
    try:
        return enum(value) if value else None
    except ValueError:
        return None

