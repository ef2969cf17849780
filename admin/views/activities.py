"""The service centre's activity schedule (排片表), sign-ups, waiting list and check-in.

Staff with `activity.manage` (service managers, city administrators) publish the schedule:
a week view and a list, the activity form (draft → 发布 → 结束, or 取消 with a reason every
signed-up person is told), one activity with its sign-ups (phones masked), the waiting list
in queue order, cancelling a sign-up on someone's behalf (the first waiting person moves up),
the door check-in page (a barcode scanner types the ticket code into its input and presses
Enter; where the browser has `BarcodeDetector`, the camera scans too — admin/static/
activity_checkin.js), the attendance list as XLSX, and the activity's WeChat check-in QR code.

Every rule is `app.activity`'s; the pages read, call and render.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse, raw

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.render import flash, not_found, redirect_to, render
from app.activity import queries, service, tickets
from app.activity.checkin import check_in_ticket
from app.activity.errors import ActivityError, ActivityNotFound, SignupNotFound
from app.activity.export import export_attendance
from app.activity.models import ActivityKind, ActivityStatus, SignupStatus
from app.activity.service import SHANGHAI, ActivityInput
from app.activity.wechat_qr import ensure_checkin_qr, needs_renewal
from app.activity.workflow import EDITABLE, get_transition, steps_from
from app.exports import xlsx_response
from app.identity.service import mask_phone
from app.organisation.service import organisation_tree
from app.wechat import WeChatAPIError

PERMISSION = "activity.manage"
_FIELDS = ("title", "kind", "starts_at", "ends_at", "place", "capacity", "audience", "organiser_id", "organiser_name",
           "signup_deadline", "description")


# -- the schedule -----------------------------------------------------------------------------


@bp.get("/activities")
@requires(PERMISSION)
async def activity_schedule(request: Request) -> HTTPResponse:
    view = forms.query(request, "view") or "week"
    today = service.now_local().date()
    if view == "list":
        status_code = forms.query(request, "status")
        status = ActivityStatus(status_code) if status_code in ActivityStatus._value2member_map_ else None
        page = max(1, forms.query_number(request, "page") or 1)
        rows, total = await queries.staff_list(status=status, search=forms.query(request, "q"), page=page)
        return render(request, "activity_list.html", view="list", rows=rows, total=total, page=page,
                      statuses=list(ActivityStatus), chosen_status=status_code, q=forms.query(request, "q"),
                      organiser=queries.organiser_label, when=queries.when_text, has_next=page * 30 < total)
    monday = queries.monday_of(_date(forms.query(request, "week")) or today)
    days = await queries.week_of(monday=monday)
    return render(request, "activity_list.html", view="week", days=days, monday=monday, today=today,
                  previous=date.fromordinal(monday.toordinal() - 7), following=date.fromordinal(monday.toordinal() + 7),
                  organiser=queries.organiser_label, weekdays="一二三四五六日")


# -- create and edit ---------------------------------------------------------------------------


@bp.get("/activities/new")
@requires(PERMISSION)
async def activity_new_form(request: Request) -> HTTPResponse:
    return await _editor(request, activity=None, values={"kind": "briefing", "capacity": "50"}, errors={})


@bp.post("/activities/new")
@requires(PERMISSION)
async def activity_create(request: Request) -> HTTPResponse:
    values = _read_form(request)
    try:
        activity = await service.create_activity(staff=request.ctx.staff, data=_input(values))
    except ActivityError as exc:
        return await _editor(request, activity=None, values=values, errors={exc.field or "form": exc.message}, status=400)
    flash(request, "ok", "活动已保存为草稿。核对无误后点击“发布”开放报名。")
    return redirect_to(request, f"/admin/activities/{activity.id}")


@bp.get("/activities/<activity_id:int>/edit")
@requires(PERMISSION)
async def activity_edit_form(request: Request, activity_id: int) -> HTTPResponse:
    try:
        activity = await service.get_activity(activity_id=activity_id, include_drafts=True)
    except ActivityNotFound:
        return not_found(request, "活动")
    if ActivityStatus(activity.status) not in EDITABLE:
        flash(request, "error", f"活动已{ActivityStatus(activity.status).label}，不能再修改。")
        return redirect_to(request, f"/admin/activities/{activity_id}")
    values = {name: _shown(getattr(activity, name)) for name in _FIELDS}
    return await _editor(request, activity=activity, values=values, errors={})


@bp.post("/activities/<activity_id:int>/edit")
@requires(PERMISSION)
async def activity_update(request: Request, activity_id: int) -> HTTPResponse:
    values = _read_form(request)
    try:
        activity = await service.get_activity(activity_id=activity_id, include_drafts=True)
    except ActivityNotFound:
        return not_found(request, "活动")
    try:
        await service.update_activity(staff=request.ctx.staff, activity_id=activity_id, data=_input(values))
    except ActivityError as exc:
        return await _editor(request, activity=activity, values=values, errors={exc.field or "form": exc.message},
                             status=400)
    flash(request, "ok", "修改已保存。")
    return redirect_to(request, f"/admin/activities/{activity_id}")


# -- one activity ------------------------------------------------------------------------------


@bp.get("/activities/<activity_id:int>")
@requires(PERMISSION)
async def activity_detail(request: Request, activity_id: int) -> HTTPResponse:
    try:
        activity = await service.get_activity(activity_id=activity_id, include_drafts=True)
    except ActivityNotFound:
        return not_found(request, "活动")
    signups = await queries.signups_of(activity_id=activity_id)
    groups = {status: [s for s in signups if s.status == status] for status in SignupStatus}
    return render(
        request, "activity_detail.html", activity=activity, view=queries.activity_view(activity, now=service.now_local()),
        attending=groups[SignupStatus.checked_in] + groups[SignupStatus.confirmed],
        waiting=groups[SignupStatus.waitlisted], cancelled=groups[SignupStatus.cancelled],
        steps=steps_from(activity.status), editable=ActivityStatus(activity.status) in EDITABLE,
        events=await queries.events_of(activity_id=activity_id), mask=mask_phone, status_label=_status_label,
        ticket_path=tickets.ticket_path,
    )


@bp.post("/activities/<activity_id:int>/transition")
@requires(PERMISSION)
async def activity_transition(request: Request, activity_id: int) -> HTTPResponse:
    action = forms.text(request, "action").strip()
    try:
        step = get_transition(action)
        await service.transition(staff=request.ctx.staff, activity_id=activity_id, action=action,
                                 reason=forms.text(request, "reason"))
    except ActivityNotFound:
        return not_found(request, "活动")
    except ActivityError as exc:
        flash(request, "error", f"操作未完成：{exc.message}")
    else:
        flash(request, "ok", f"已{step.label}。" + ("已报名的人会收到通知。" if action == "cancel" else ""))
    return redirect_to(request, f"/admin/activities/{activity_id}")


@bp.post("/activities/signups/<signup_id:int>/cancel")
@requires(PERMISSION)
async def signup_cancel(request: Request, signup_id: int) -> HTTPResponse:
    view = await queries.signup_view(signup_id=signup_id)
    if view is None:
        return not_found(request, "报名记录")
    try:
        await service.cancel_signup(signup_id=signup_id, staff=request.ctx.staff, reason=forms.text(request, "reason"))
    except (ActivityError, SignupNotFound) as exc:
        flash(request, "error", f"未能取消：{exc.message}")
    else:
        flash(request, "ok", f"已取消{view.signup.contact_name or '该报名'}的报名；如有候补，第1位已自动递补并收到通知。")
    return redirect_to(request, f"/admin/activities/{view.activity.id}")


# -- check-in at the door ----------------------------------------------------------------------


@bp.get("/activities/<activity_id:int>/checkin")
@requires(PERMISSION)
async def activity_checkin_page(request: Request, activity_id: int) -> HTTPResponse:
    return await _checkin_page(request, activity_id, result=None)


@bp.post("/activities/<activity_id:int>/checkin")
@requires(PERMISSION)
async def activity_checkin(request: Request, activity_id: int) -> HTTPResponse:
    try:
        result = await check_in_ticket(activity_id=activity_id, scanned=forms.text(request, "code"),
                                       staff=request.ctx.staff)
    except ActivityNotFound:
        return not_found(request, "活动")
    return await _checkin_page(request, activity_id, result=result, status=200 if result.ok else 409)


async def _checkin_page(request: Request, activity_id: int, *, result: Any, status: int = 200) -> HTTPResponse:
    try:
        activity = await service.get_activity(activity_id=activity_id, include_drafts=True)
    except ActivityNotFound:
        return not_found(request, "活动")
    checked_in = len([s for s in await queries.signups_of(activity_id=activity_id, status=SignupStatus.checked_in)])
    return render(request, "activity_checkin.html", status=status, activity=activity, result=result,
                  checked_in=checked_in, expected=activity.confirmed_count)


# -- attendance export and the WeChat QR code ---------------------------------------------------


@bp.get("/activities/<activity_id:int>/attendance.xlsx")
@requires(PERMISSION)
async def activity_export(request: Request, activity_id: int) -> HTTPResponse:
    try:
        exported = await export_attendance(activity_id=activity_id, staff=request.ctx.staff)
    except ActivityNotFound:
        return not_found(request, "活动")
    return xlsx_response(exported)


@bp.get("/activities/<activity_id:int>/wechat-qr")
@requires(PERMISSION)
async def activity_wechat_qr(request: Request, activity_id: int) -> HTTPResponse:
    resources = request.app.ctx.resources
    try:
        activity = await service.get_activity(activity_id=activity_id, include_drafts=True)
    except ActivityNotFound:
        return not_found(request, "活动")
    error = ""
    if ActivityStatus(activity.status) is ActivityStatus.published and needs_renewal(
            activity, settings=resources.settings, now=service.now_local()):
        try:
            activity = await ensure_checkin_qr(activity_id=activity_id, wechat=resources.official_account,
                                               settings=resources.settings)
        except WeChatAPIError as exc:
            error = f"向微信申请二维码失败（{exc.errcode}），请稍后重试。"
    return render(request, "activity_qr.html", activity=activity, error=error)


@bp.get("/activities/<activity_id:int>/wechat-qr.png")
@requires(PERMISSION)
async def activity_wechat_qr_png(request: Request, activity_id: int) -> HTTPResponse:
    resources = request.app.ctx.resources
    try:
        activity = await service.get_activity(activity_id=activity_id, include_drafts=True)
    except ActivityNotFound:
        return not_found(request, "活动")
    if not activity.qr_ticket:
        return not_found(request, "签到二维码")
    try:
        image = await resources.official_account.qrcode.download(activity.qr_ticket)
    except WeChatAPIError:
        return not_found(request, "签到二维码")
    download = forms.query(request, "download") == "1"
    headers = {"Content-Disposition": f"attachment; filename=\"activity-{activity_id}-checkin-qr.png\""} if download else {}
    return raw(image, content_type="image/png", headers=headers)


# -- helpers ------------------------------------------------------------------------------------


def _status_label(value: Any) -> str:
    return SignupStatus(value).label


def _read_form(request: Request) -> dict[str, Any]:
    return {name: forms.text(request, name).strip() for name in _FIELDS}


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)


def _time(values: dict[str, Any], name: str, label: str, *, required: bool = True) -> datetime | None:
    raw_value = values.get(name) or ""
    if not raw_value:
        if required:
            raise ActivityError(f"请填写{label}", code="time_required", field=name)
        return None
    try:
        moment = datetime.fromisoformat(raw_value)
    except ValueError:
        raise ActivityError(f"{label}格式不正确（例如 2024-05-20 14:00）", code="invalid_time", field=name) from None
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


def _input(values: dict[str, Any]) -> ActivityInput:
    capacity = values.get("capacity") or ""
    if not capacity.isdigit():
        raise ActivityError("名额须为正整数", code="invalid_capacity", field="capacity")
    organiser = values.get("organiser_id") or ""
    return ActivityInput(
        title=values["title"], kind=values["kind"], starts_at=_time(values, "starts_at", "开始时间"),
        ends_at=_time(values, "ends_at", "结束时间"), place=values["place"], capacity=int(capacity),
        description=values["description"], audience=values["audience"],
        organiser_id=int(organiser) if organiser.isdigit() else None, organiser_name=values["organiser_name"],
        signup_deadline=_time(values, "signup_deadline", "报名截止时间", required=False),
    )


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


async def _editor(request: Request, *, activity: Any, values: dict[str, Any], errors: dict[str, str],
                  status: int = 200) -> HTTPResponse:
    return render(request, "activity_form.html", status=status, activity=activity, values=values, errors=errors,
                  kinds=list(ActivityKind), organisations=await organisation_tree(viewer=request.ctx.staff))
