"""A survey's sample (抽样) and the approval-service cases it may be drawn from (办件记录).

/admin/surveys/<id>/sample: the design form (frame, strata, size, allocation, seed, reachable
only), 预览 (strata table and make-up against the register, nothing written), 抽样 (writes
the sample with the previewed seed, so what was shown is what is drawn), the recorded design,
the current sample (paged; enterprises, strata and probabilities — never answers) and adding
an enterprise by hand. /admin/surveys/service-uses: the services with their cases (to choose
a frame) and the spreadsheet import.

Reading needs `survey.view`; every change `survey.manage`. The rules are `app.survey.sampling`
and `app.survey.service_use`; these routes read the form, call, render.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sanic import Request
from sanic.response import HTTPResponse, raw

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.paging import page_number
from admin.render import flash, not_found, redirect_to, render
from app.staff.scope import can
from app.survey import sampling, service_use
from app.survey.errors import SurveyError, SurveyNotFound
from app.survey.models import SampleFrame, Survey, SurveyKind, SurveyStatus
from app.survey.questionnaires import get_survey
from app.survey.sampling import ALLOCATIONS, STRATA_VARIABLES, VARIABLE_LABELS, SampleDesign

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _settings(request: Request):
    return request.app.ctx.resources.settings


def _form_values(design: SampleDesign) -> dict[str, Any]:
    return {
        "size": str(design.size), "frame": design.frame, "strata": list(design.strata), "allocation": design.allocation,
        "min_per_stratum": str(design.min_per_stratum or ""), "seed": "" if design.seed is None else str(design.seed),
        "reachable_only": design.reachable_only, "service_code": design.service_code,
        "period_from": design.period_from.isoformat() if design.period_from else "",
        "period_to": design.period_to.isoformat() if design.period_to else "",
    }


def _read_design(request: Request) -> tuple[dict[str, Any], SampleDesign | None, dict[str, str]]:
    """The typed values (to show again), the design, and the errors the form alone can tell."""
    values = {
        "size": forms.text(request, "size").strip(), "frame": forms.text(request, "frame", "register"),
        "strata": [name for name in (request.form or {}).getlist("strata") or [] if name in STRATA_VARIABLES],
        "allocation": forms.text(request, "allocation", "proportional"),
        "min_per_stratum": forms.text(request, "min_per_stratum").strip(), "seed": forms.text(request, "seed").strip(),
        "reachable_only": forms.checked(request, "reachable_only"), "service_code": forms.text(request, "service_code").strip(),
        "period_from": forms.text(request, "period_from").strip(), "period_to": forms.text(request, "period_to").strip(),
    }
    errors: dict[str, str] = {}

    def whole(name: str, message: str, *, blank: int | None = None) -> int | None:
        raw_value = values[name]
        if not raw_value:
            return blank
        try:
            return int(raw_value.replace(",", ""))
        except ValueError:
            errors[name] = message
            return None

    def day(name: str) -> date | None:
        if not values[name]:
            return None
        try:
            return date.fromisoformat(values[name])
        except ValueError:
            errors[name] = "日期格式应为 2026-03-01"
            return None

    size = whole("size", "样本量须为整数", blank=0)
    minimum = whole("min_per_stratum", "每层最小样本量须为整数", blank=0)
    seed = whole("seed", "随机种子须为整数（留空则随机生成）")
    period_from, period_to = day("period_from"), day("period_to")
    if errors:
        return values, None, errors
    design = SampleDesign(size=size or 0, frame=values["frame"], strata=tuple(values["strata"]),
                          allocation=values["allocation"], min_per_stratum=minimum or 0, seed=seed,
                          reachable_only=values["reachable_only"], service_code=values["service_code"],
                          period_from=period_from, period_to=period_to)
    return values, design, errors


async def _page(request: Request, survey: Survey, *, values: dict[str, Any], errors: dict[str, str],
                result: sampling.SamplePreview | None = None, code: int = 200) -> HTTPResponse:
    page = await sampling.list_sample(survey_id=survey.id, page=page_number(forms.query(request, "page")),
                                      search=forms.query(request, "q"))
    recorded = survey.sample_design if (survey.sample_design or {}).get("size") else None
    makeup = await sampling.sample_makeup(survey_id=survey.id) if page.total and result is None else None
    services = await service_use.list_services() if can_manage(request) else []
    settings = _settings(request)
    return render(
        request, "survey_sample.html", status=code, survey=survey, tab="sample", values=values, errors=errors,
        result=result, page=page, recorded=recorded, makeup=makeup, services=services,
        strata_variables=STRATA_VARIABLES, variable_labels=VARIABLE_LABELS, allocations=ALLOCATIONS,
        frames=[SampleFrame.register, SampleFrame.service_use], frame_label=_frame_label,
        annual_minimum=settings.survey_annual_min_sample if SurveyKind(survey.kind) is SurveyKind.annual else None,
        closed=SurveyStatus(survey.status) is SurveyStatus.closed, invited=page.invited > 0, q=forms.query(request, "q"),
        percent=_percent, stratum_label=sampling.stratum_label,
        drawn_at=datetime.fromisoformat(recorded["drawn_at"]) if recorded and recorded.get("drawn_at") else None,
    )


def can_manage(request: Request) -> bool:
    return can(request.ctx.staff, "survey.manage")


def _frame_label(code: Any) -> str:
    value = getattr(code, "value", code)
    return SampleFrame(value).label if value in SampleFrame._value2member_map_ else str(value or "")


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


@bp.get("/surveys/<survey_id:int>/sample")
@requires("survey.view")
async def survey_sample_page(request: Request, survey_id: int) -> HTTPResponse:
    try:
        survey = await get_survey(survey_id=survey_id)
    except SurveyNotFound:
        return not_found(request, "调查")
    default = _settings(request).survey_annual_min_sample if SurveyKind(survey.kind) is SurveyKind.annual else 100
    return await _page(request, survey, values=_form_values(sampling.design_from_survey(survey, default_size=default)),
                       errors={})


@bp.post("/surveys/<survey_id:int>/sample")
@requires("survey.manage")
async def survey_sample_draw(request: Request, survey_id: int) -> HTTPResponse:
    """action=preview shows what the design would draw; action=draw writes it."""
    try:
        survey = await get_survey(survey_id=survey_id)
    except SurveyNotFound:
        return not_found(request, "调查")
    values, design, errors = _read_design(request)
    if design is None:
        return await _page(request, survey, values=values, errors=errors, code=400)
    action = forms.text(request, "action", "preview")
    try:
        if action == "draw":
            result = await sampling.draw(staff=request.ctx.staff, survey_id=survey_id, design=design,
                                         settings=_settings(request))
        else:
            result = await sampling.preview(design=design)
    except SurveyNotFound:
        return not_found(request, "调查")
    except SurveyError as exc:
        return await _page(request, survey, values=values, errors={exc.field or "form": exc.message}, code=400)
    if action == "draw":
        flash(request, "ok", f"已抽取 {result.written:,} 家企业（随机种子 {result.design.seed}，"
                             f"抽样框 {result.frame_size:,} 家）。用同一种子可重现同一样本。")
        return redirect_to(request, f"/admin/surveys/{survey_id}/sample")
    return await _page(request, survey, values=_form_values(result.design), errors={}, result=result)


@bp.post("/surveys/<survey_id:int>/sample/add")
@requires("survey.manage")
async def survey_sample_add(request: Request, survey_id: int) -> HTTPResponse:
    try:
        sample = await sampling.add_to_sample(staff=request.ctx.staff, survey_id=survey_id,
                                              credit_code=forms.text(request, "credit_code"))
    except SurveyNotFound:
        return not_found(request, "调查")
    except SurveyError as exc:
        flash(request, "error", f"未能添加：{exc.message}")
    else:
        await sample.fetch_related("enterprise")
        flash(request, "ok", f"已将“{sample.enterprise.name}”加入样本（手工添加，入样概率按 1 计）。")
    return redirect_to(request, f"/admin/surveys/{survey_id}/sample")


# -- approval-service cases ---------------------------------------------------------------------


@bp.get("/surveys/service-uses")
@requires("survey.view")
async def survey_service_uses(request: Request) -> HTTPResponse:
    return await _service_page(request, report=None, error="")


async def _service_page(request: Request, *, report: service_use.ImportReport | None, error: str,
                        filename: str = "", code: int = 200) -> HTTPResponse:
    services = await service_use.list_services(search=forms.query(request, "q"))
    return render(request, "survey_service_uses.html", status=code, services=services, report=report, error=error,
                  filename=filename, headers=service_use.IMPORT_HEADERS, q=forms.query(request, "q"))


@bp.post("/surveys/service-uses/import")
@requires("survey.manage")
async def survey_service_uses_import(request: Request) -> HTTPResponse:
    upload = (request.files or {}).get("file")
    if upload is None or not upload.body:
        return await _service_page(request, report=None, error="请选择要导入的 XLSX 或 CSV 文件。", code=400)
    with tempfile.TemporaryDirectory(prefix="qiyun-service-uses-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(upload.body)
        report = await service_use.import_service_uses(staff=request.ctx.staff, path=path)
    return await _service_page(request, report=report, error="", filename=upload.name or "",
                               code=400 if report.rejected else 200)


@bp.get("/surveys/service-uses/template.xlsx")
@requires("survey.view")
async def survey_service_uses_template(request: Request) -> HTTPResponse:
    with tempfile.TemporaryDirectory(prefix="qiyun-service-uses-template-") as folder:
        path = Path(folder) / "template.xlsx"
        service_use.write_template(path)
        content = path.read_bytes()
    name = "办件记录导入模板.xlsx"
    disposition = f"attachment; filename=\"service-uses-template.xlsx\"; filename*=UTF-8''{quote(name)}"
    return raw(content, content_type=XLSX, headers={"Content-Disposition": disposition})
