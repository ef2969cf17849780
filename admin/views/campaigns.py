"""Push campaigns (政策推送): the list, creating one with its audience and message previewed
(htmx) before anything is sent, and the campaign page with live progress, its controls and
its failures.

The rules (what is pushable, who is reached, who is skipped, what each state allows) are the
push service's (`app.push.service`); this module reads the form, calls the service, renders.
Nothing here sends: starting a campaign queues the arq workers that do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sanic import Request
from sanic.response import HTTPResponse

import templates_msg
from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.paging import page_number
from admin.render import flash, not_found, redirect_to, render
from app.enterprise.reference import District
from app.policy.errors import PolicyNotFound
from app.policy.service import get_policy, is_pushable, shanghai_today
from app.exports import xlsx_response
from app.push import export as push_export
from app.push.audience import AUDIENCE_LABELS, MAX_TEST_OPENIDS, AudienceKind, AudienceSpec, describe_audience
from app.push.lifecycle import ACTIONS as CAMPAIGN_ACTIONS
from app.push.models import CampaignStatus, DeliveryReason
from app.push.service import (
    PUSH_PERMISSION,
    PushError,
    campaign_failures,
    campaign_progress,
    cancel_campaign,
    create_campaign,
    get_campaign,
    list_campaigns,
    pause_campaign,
    preview_campaign,
    resume_campaign,
    start_campaign,
)

LOCAL_TIME = ZoneInfo("Asia/Shanghai")
PER_PAGE = 30
FAILURES_SHOWN = 50
DEFAULT_TEMPLATE = "policy_push"
_FORM_FIELDS = ("title", "template_name", "kind", "district", "tag", "wechat_tag_id", "openids", "when",
                "scheduled_at")


# -- the list -------------------------------------------------------------------------------


@bp.get("/campaigns")
@requires(PUSH_PERMISSION)
async def campaign_list(request: Request) -> HTTPResponse:
    status = _status(forms.query(request, "status"))
    number = page_number(forms.query(request, "page"))
    campaigns = await list_campaigns(status=status, limit=PER_PAGE + 1, offset=(number - 1) * PER_PAGE)
    has_next = len(campaigns) > PER_PAGE
    campaigns = campaigns[:PER_PAGE]
    return render(request, "campaign_list.html", campaigns=campaigns, statuses=list(CampaignStatus),
                  selected_status=status, number=number, has_next=has_next,
                  params={"status": status.value} if status else {})


@bp.get("/campaigns/export.xlsx")
@requires(PUSH_PERMISSION)
async def campaign_list_export(request: Request) -> HTTPResponse:
    return xlsx_response(await push_export.export_campaigns(staff=request.ctx.staff,
                                                            status=_status(forms.query(request, "status"))))


# -- creating -------------------------------------------------------------------------------


@bp.get("/campaigns/new")
@requires(PUSH_PERMISSION)
async def campaign_new_form(request: Request) -> HTTPResponse:
    policy_id = forms.query_number(request, "policy_id")
    policy = await _policy(request, policy_id)
    if policy_id is not None and policy is None:
        return not_found(request, "政策")
    values = {name: "" for name in _FORM_FIELDS} | {
        "title": f"政策推送：{policy.title}"[:200] if policy else "",
        "template_name": DEFAULT_TEMPLATE,
        "kind": AudienceKind.policy_match.value if policy else AudienceKind.test_list.value,
        "when": "now",
    }
    return await _form(request, policy=policy, values=values, error="")


@bp.post("/campaigns/preview")
@requires(PUSH_PERMISSION)
async def campaign_preview(request: Request) -> HTTPResponse:
    """The htmx preview: how many followers, how many skipped, and the message as rendered."""
    values = _read_form(request)
    resources = request.app.ctx.resources
    try:
        preview = await preview_campaign(
            policy_id=forms.number(request, "policy_id"), audience=_audience(values),
            template_name=values["template_name"], settings=resources.settings, redis=resources.redis,
        )
    except PushError as exc:
        return render(request, "campaign_preview.html", preview=None, error=str(exc))
    return render(request, "campaign_preview.html", preview=preview, error="")


@bp.post("/campaigns/new")
@requires(PUSH_PERMISSION)
async def campaign_create(request: Request) -> HTTPResponse:
    staff = request.ctx.staff
    resources = request.app.ctx.resources
    values = _read_form(request)
    policy_id = forms.number(request, "policy_id")
    policy = await _policy(request, policy_id)
    if policy_id is not None and policy is None:
        return not_found(request, "政策")
    try:
        scheduled_at = _scheduled_at(values)
        campaign = await create_campaign(
            staff=staff, title=values["title"], policy_id=policy_id, audience=_audience(values),
            template_name=values["template_name"], scheduled_at=scheduled_at, settings=resources.settings,
            redis=resources.redis,
        )
    except PushError as exc:
        return await _form(request, policy=policy, values=values, error=str(exc), status=400)
    if scheduled_at is not None:
        flash(request, "ok", f"推送已排期，将于 {scheduled_at.strftime('%Y-%m-%d %H:%M')} 开始发送。")
        return redirect_to(request, f"/admin/campaigns/{campaign.id}")
    try:
        await start_campaign(staff=staff, campaign_id=campaign.id, settings=resources.settings, redis=resources.redis)
    except PushError as exc:
        flash(request, "error", f"推送已保存为草稿，但未能开始发送：{exc}")
    else:
        flash(request, "ok", "推送已开始发送。")
    return redirect_to(request, f"/admin/campaigns/{campaign.id}")


# -- the campaign page ------------------------------------------------------------------------


@bp.get("/campaigns/<campaign_id:int>")
@requires(PUSH_PERMISSION)
async def campaign_detail(request: Request, campaign_id: int) -> HTTPResponse:
    try:
        campaign = await get_campaign(campaign_id=campaign_id)
    except PushError:
        return not_found(request, "推送活动")
    await campaign.fetch_related("policy", "created_by")
    reason = forms.query(request, "reason").strip()
    return render(
        request, "campaign_detail.html", campaign=campaign, reason=reason,
        progress=await campaign_progress(campaign_id=campaign_id, redis=request.app.ctx.resources.redis),
        failures=await campaign_failures(campaign_id=campaign_id, reason=reason or None, limit=FAILURES_SHOWN),
        audience=_audience_label(campaign.audience), buttons=_buttons, reason_label=_reason_label,
    )


@bp.get("/campaigns/<campaign_id:int>/progress")
@requires(PUSH_PERMISSION)
async def campaign_progress_fragment(request: Request, campaign_id: int) -> HTTPResponse:
    """What the campaign page polls every 2 seconds while the campaign is sending."""
    try:
        progress = await campaign_progress(campaign_id=campaign_id, redis=request.app.ctx.resources.redis)
    except PushError:
        return not_found(request, "推送活动")
    return render(request, "campaign_progress.html", progress=progress, buttons=_buttons)


@bp.get("/campaigns/<campaign_id:int>/deliveries.xlsx")
@requires(PUSH_PERMISSION)
async def campaign_deliveries_export(request: Request, campaign_id: int) -> HTTPResponse:
    """All deliveries, or (only=failures, optionally one reason) the page's failure list."""
    reason = forms.query(request, "reason").strip()
    try:
        exported = await push_export.export_deliveries(
            staff=request.ctx.staff, campaign_id=campaign_id, failures_only=forms.query(request, "only") == "failures",
            reason=reason if reason in DeliveryReason._value2member_map_ else "",
        )
    except PushError:
        return not_found(request, "推送活动")
    return xlsx_response(exported)


# Each button of the campaign page and the service step it takes (dispatch by registry).
_STEPS: dict[str, tuple[str, Callable[[Request, int], Awaitable[Any]]]] = {}


def _step(action: str, done: str):
    def register(function: Callable[[Request, int], Awaitable[Any]]):
        _STEPS[action] = (done, function)
        return function

    return register


@_step("start", "推送已开始发送。")
async def _start(request: Request, campaign_id: int) -> Any:
    resources = request.app.ctx.resources
    return await start_campaign(staff=request.ctx.staff, campaign_id=campaign_id, settings=resources.settings,
                                redis=resources.redis)


@_step("pause", "推送已暂停，未发送的消息保留在队列中。")
async def _pause(request: Request, campaign_id: int) -> Any:
    return await pause_campaign(staff=request.ctx.staff, campaign_id=campaign_id, reason=forms.text(request, "reason"))


@_step("resume", "推送已继续发送。")
async def _resume(request: Request, campaign_id: int) -> Any:
    return await resume_campaign(staff=request.ctx.staff, campaign_id=campaign_id,
                                 redis=request.app.ctx.resources.redis)


@_step("cancel", "推送已取消，未发送的消息不再发送。")
async def _cancel(request: Request, campaign_id: int) -> Any:
    return await cancel_campaign(staff=request.ctx.staff, campaign_id=campaign_id, reason=forms.text(request, "reason"))


@bp.post("/campaigns/<campaign_id:int>/<action:str>")
@requires(PUSH_PERMISSION)
async def campaign_action(request: Request, campaign_id: int, action: str) -> HTTPResponse:
    if action not in _STEPS:
        return not_found(request, "操作")
    done, step = _STEPS[action]
    try:
        await step(request, campaign_id)
    except PushError as exc:
        flash(request, "error", f"操作未完成：{exc}")
    else:
        flash(request, "ok", done)
    return redirect_to(request, f"/admin/campaigns/{campaign_id}")


def _buttons(actions: list[str]) -> list[tuple[str, str]]:
    """(action, label) of the campaign's next steps that have a button here."""
    return [(action, CAMPAIGN_ACTIONS[action]) for action in actions if action in _STEPS]


# -- reading the form -------------------------------------------------------------------------


def _read_form(request: Request) -> dict[str, str]:
    values = {name: forms.text(request, name).strip() for name in _FORM_FIELDS}
    values["template_name"] = values["template_name"] or DEFAULT_TEMPLATE
    return values


def _audience(values: dict[str, str]) -> AudienceSpec:
    """The audience as the service reads it; what is missing is said in the model's own words."""
    kind = values["kind"]
    spec: dict[str, Any] = {"kind": kind}
    if kind == AudienceKind.district.value:
        spec["district"] = values["district"] or None
    elif kind == AudienceKind.tag.value:
        if values["wechat_tag_id"].isdigit():
            spec["wechat_tag_id"] = int(values["wechat_tag_id"])
        else:
            spec["tag"] = values["tag"]
    elif kind == AudienceKind.test_list.value:
        spec["openids"] = [line for line in values["openids"].replace(",", "\n").replace("，", "\n").split() if line]
    try:
        return AudienceSpec.model_validate(spec)
    except ValidationError as exc:
        error = exc.errors()[0]
        if error.get("loc") == ("kind",):
            raise PushError("请选择推送对象") from None
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        raise PushError(message if not message.isascii() else f"推送对象有误：{message}") from None


def _scheduled_at(values: dict[str, str]) -> datetime | None:
    if values["when"] != "later":
        return None
    text = values["scheduled_at"]
    if not text:
        raise PushError("请选择定时发送的时间")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PushError(f"定时发送时间「{text}」格式不正确") from None
    return moment.replace(tzinfo=LOCAL_TIME) if moment.tzinfo is None else moment


async def _policy(request: Request, policy_id: int | None):
    if policy_id is None:
        return None
    try:
        return await get_policy(staff=request.ctx.staff, policy_id=policy_id)
    except PolicyNotFound:
        return None


async def _form(request: Request, *, policy, values: dict[str, str], error: str, status: int = 200) -> HTTPResponse:
    kinds = [(kind.value, label) for kind, label in AUDIENCE_LABELS.items()
             if policy is not None or kind is not AudienceKind.policy_match]
    return render(
        request, "campaign_form.html", status=status, policy=policy, values=values, error=error, kinds=kinds,
        pushable=policy is None or is_pushable(policy, today=shanghai_today()),
        templates=templates_msg.all_definitions(), districts=list(District), max_openids=MAX_TEST_OPENIDS,
        min_time=datetime.now(LOCAL_TIME).strftime("%Y-%m-%dT%H:%M"),
    )


def _audience_label(stored: Any) -> str:
    try:
        return describe_audience(AudienceSpec.from_stored(stored))
    except ValueError:
        return "（推送对象数据无法读取）"


def _reason_label(reason: str) -> str:
    try:
        return DeliveryReason(reason).label
    except ValueError:
        return reason or "—"


def _status(value: str) -> CampaignStatus | None:
    try:
        return CampaignStatus(value) if value else None
    except ValueError:
        return None
