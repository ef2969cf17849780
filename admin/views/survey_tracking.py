"""One survey's 邀请与回收 tab: invitations, reminders, dispositions and response rates.

Everyone with `survey.view` reads the page (counts by disposition, AAPOR RR1/RR3 overall
and by stratum, district, size or ownership, the sample with each enterprise's contact
status); `survey.manage` sends the invitations (once per enterprise, however often the
button is pressed), reminds now (within the survey's interval and maximum) and marks an
enterprise ineligible or a refusal with a note. Nothing on this page shows answers.

Every rule is `app.survey.invitations` / `app.survey.rates`; the page reads, calls, renders.
"""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.render import flash, not_found, redirect_to, render
from app.identity.service import mask_phone
from app.survey import invitations, rates
from app.survey.errors import SurveyError, SurveyNotFound
from app.survey.models import Disposition, Survey
from app.survey.questionnaires import get_survey

__all__ = ["tracking_page"]


async def _survey(survey_id: int) -> Survey | None:
    try:
        return await get_survey(survey_id=survey_id)
    except SurveyNotFound:
        return None


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@bp.get("/surveys/<survey_id:int>/tracking")
@requires("survey.view")
async def tracking_page(request: Request, survey_id: int) -> HTTPResponse:
    survey = await _survey(survey_id)
    if survey is None:
        return not_found(request, "调查")
    by = forms.query(request, "by") or "stratum"
    if by not in rates.GROUPINGS:
        by = "stratum"
    code = forms.query(request, "disposition")
    chosen = Disposition(code) if code in Disposition._value2member_map_ else None
    search = forms.query(request, "q")
    page = await invitations.sample_page(survey_id=survey_id, disposition=chosen, search=search,
                                         page=max(1, forms.query_number(request, "page") or 1))
    params = {"by": by, **({"disposition": code} if chosen else {}), **({"q": search} if search else {})}
    return render(
        request, "survey_tracking.html", survey=survey, tab="tracking",
        summary=await invitations.contact_summary(survey_id=survey_id),
        table=await rates.response_rates(survey_id=survey_id, by=by),
        groupings=rates.GROUPINGS, by=by, samples=page, params=params, chosen_disposition=code if chosen else "",
        dispositions=list(Disposition), manual=invitations.MANUAL_DISPOSITIONS, q=search,
        blocked=invitations.contact_refusal(survey, what="邀请或提醒"), percent=_percent,
        unconfigured=invitations.unconfigured_templates(settings=request.app.ctx.resources.settings), stratum_label=rates.stratum_label, result_label=invitations.result_label, mask=mask_phone,
    )


@bp.post("/surveys/<survey_id:int>/tracking/invite")
@requires("survey.manage")
async def tracking_invite(request: Request, survey_id: int) -> HTTPResponse:
    try:
        report = await invitations.invite(staff=request.ctx.staff, survey_id=survey_id)
    except SurveyNotFound:
        return not_found(request, "调查")
    except SurveyError as exc:
        flash(request, "error", f"未发出邀请：{exc.message}")
    else:
        if report.queued:
            flash(request, "ok", f"已向 {report.queued} 家企业发出邀请，正在逐一发送。"
                  + (f"另有 {report.already_invited} 家此前已邀请，不会重复发送。" if report.already_invited else ""))
        else:
            flash(request, "ok", "没有需要邀请的企业：样本企业均已邀请过（每家企业只邀请一次）、已退出或已完成。")
    return redirect_to(request, f"/admin/surveys/{survey_id}/tracking")


@bp.post("/surveys/<survey_id:int>/tracking/remind")
@requires("survey.manage")
async def tracking_remind(request: Request, survey_id: int) -> HTTPResponse:
    try:
        queued = await invitations.remind_now(staff=request.ctx.staff, survey_id=survey_id)
    except SurveyNotFound:
        return not_found(request, "调查")
    except SurveyError as exc:
        flash(request, "error", f"未发出提醒：{exc.message}")
    else:
        if queued:
            flash(request, "ok", f"已向 {queued} 家尚未完成的企业发出提醒。")
        else:
            flash(request, "ok", "目前没有需要提醒的企业（距上次联系未满提醒间隔、已达提醒次数上限，或均已完成）。")
    return redirect_to(request, f"/admin/surveys/{survey_id}/tracking")


@bp.post("/surveys/<survey_id:int>/tracking/samples/<sample_id:int>/disposition")
@requires("survey.manage")
async def tracking_disposition(request: Request, survey_id: int, sample_id: int) -> HTTPResponse:
    if await _survey(survey_id) is None:
        return not_found(request, "调查")
    try:
        sample = await invitations.set_disposition(
            staff=request.ctx.staff, survey_id=survey_id, sample_id=sample_id,
            disposition=forms.text(request, "disposition"), note=forms.text(request, "note"))
    except SurveyError as exc:
        if exc.code == "sample_not_found":
            return not_found(request, "样本企业")
        flash(request, "error", f"未修改回复状态：{exc.message}")
    else:
        flash(request, "ok", f"已标记为“{Disposition(sample.disposition).label}”。")
    back = forms.text(request, "back")
    return redirect_to(request, back if back.startswith(f"/admin/surveys/{survey_id}/tracking") else
                       f"/admin/surveys/{survey_id}/tracking")
