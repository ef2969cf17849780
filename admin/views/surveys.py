"""营商环境评估 in the admin: the survey list, settings, the overview with its lifecycle
buttons, and the questionnaire builder.

Everyone with `survey.view` (the evaluator, city administrators, service managers) reads
every page; building, changing settings and opening/closing need `survey.manage`. The
builder edits the questionnaire's editable version (a new version once someone has
answered: `app.survey.questionnaires`), shows each question as respondents see it, and
previews the question being edited live (htmx posts the form to `.../preview`).

Every rule is `app.survey`'s; the pages read, call and render.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.render import flash, not_found, redirect_to, render
from app.survey import definition as defs
from app.survey import queries, questionnaires
from app.survey.errors import SurveyError, SurveyNotFound
from app.staff.scope import can
from app.survey.models import Disposition, Questionnaire, SurveyKind, SurveyStatus
from app.survey.questionnaires import SurveyInput
from app.survey.workflow import get_transition, steps_from, transition

VIEW = "survey.view"
MANAGE = "survey.manage"
SHANGHAI = ZoneInfo("Asia/Shanghai")
_FIELDS = ("title", "kind", "year", "organiser", "description", "opens_at", "closes_at", "estimated_minutes",
           "reminder_interval_days", "max_reminders", "eligibility_rate", "previous_id")
_CHECKS = ("is_public", "is_anonymous")
_QUESTION_FIELDS = ("section", "type", "title", "help", "required", "options", "min_choices", "max_choices", "scale",
                    "min_label", "max_label", "rows", "min", "max", "integer", "unit", "max_length",
                    "show_if_question", "show_if_values")


# -- list and settings -------------------------------------------------------------------------------


@bp.get("/surveys")
@requires(VIEW)
async def survey_list(request: Request) -> HTTPResponse:
    chosen = forms.query(request, "status")
    status = SurveyStatus(chosen) if chosen in SurveyStatus._value2member_map_ else None
    page = max(1, forms.query_number(request, "page") or 1)
    rows, total = await queries.survey_list(status=status, page=page)
    return render(request, "survey_list.html", rows=rows, total=total, page=page, statuses=list(SurveyStatus),
                  chosen_status=chosen, has_next=page * queries.PAGE_SIZE < total)


@bp.get("/surveys/new")
@requires(MANAGE)
async def survey_new_form(request: Request) -> HTTPResponse:
    values = {"kind": "annual", "year": str(datetime.now(SHANGHAI).year), "is_anonymous": True, "is_public": False,
              "reminder_interval_days": "3", "max_reminders": "2", "template": "annual"}
    return await _settings_form(request, survey=None, values=values, errors={})


@bp.post("/surveys/new")
@requires(MANAGE)
async def survey_create(request: Request) -> HTTPResponse:
    values = _read_settings(request)
    values["template"] = forms.text(request, "template").strip() or "blank"
    try:
        survey = await questionnaires.create_survey(staff=request.ctx.staff, data=_input(values),
                                                    template=values["template"])
    except SurveyError as exc:
        return await _settings_form(request, survey=None, values=values, errors={exc.field or "form": exc.message},
                                    code=400)
    flash(request, "ok", "调查已创建为草稿。请在“题目”页检查并发布问卷，抽样后即可开始。")
    return redirect_to(request, f"/admin/surveys/{survey.id}")


@bp.get("/surveys/<survey_id:int>/edit")
@requires(MANAGE)
async def survey_edit_form(request: Request, survey_id: int) -> HTTPResponse:
    try:
        survey = await questionnaires.get_survey(survey_id=survey_id)
    except SurveyNotFound:
        return not_found(request, "调查")
    values: dict[str, Any] = {name: _shown(getattr(survey, name)) for name in _FIELDS}
    values.update({name: bool(getattr(survey, name)) for name in _CHECKS})
    return await _settings_form(request, survey=survey, values=values, errors={})


@bp.post("/surveys/<survey_id:int>/edit")
@requires(MANAGE)
async def survey_update(request: Request, survey_id: int) -> HTTPResponse:
    values = _read_settings(request)
    try:
        survey = await questionnaires.get_survey(survey_id=survey_id)
    except SurveyNotFound:
        return not_found(request, "调查")
    try:
        await questionnaires.update_survey(staff=request.ctx.staff, survey_id=survey_id, data=_input(values))
    except SurveyError as exc:
        return await _settings_form(request, survey=survey, values=values, errors={exc.field or "form": exc.message},
                                    code=400)
    flash(request, "ok", "设置已保存。")
    return redirect_to(request, f"/admin/surveys/{survey_id}")


# -- overview and lifecycle ---------------------------------------------------------------------------


@bp.get("/surveys/<survey_id:int>")
@requires(VIEW)
async def survey_overview(request: Request, survey_id: int) -> HTTPResponse:
    try:
        survey = await questionnaires.get_survey(survey_id=survey_id)
    except SurveyNotFound:
        return not_found(request, "调查")
    previous = await questionnaires.get_survey(survey_id=survey.previous_id) if survey.previous_id else None
    return render(request, "survey_detail.html", survey=survey, tab="overview", previous=previous,
                  counts=await queries.survey_counts(survey_id=survey_id), steps=steps_from(survey.status),
                  dispositions=list(Disposition))


@bp.post("/surveys/<survey_id:int>/transition")
@requires(MANAGE)
async def survey_transition(request: Request, survey_id: int) -> HTTPResponse:
    action = forms.text(request, "action").strip()
    try:
        step = get_transition(action)
        await transition(staff=request.ctx.staff, survey_id=survey_id, action=action)
    except SurveyNotFound:
        return not_found(request, "调查")
    except SurveyError as exc:
        flash(request, "error", f"操作未完成：{exc.message}")
    else:
        flash(request, "ok", f"已{step.label}。" + ("可在“邀请与回收”页发出邀请。" if action == "open" else ""))
    return redirect_to(request, f"/admin/surveys/{survey_id}")


# -- the questionnaire builder ---------------------------------------------------------------------


@bp.get("/surveys/<survey_id:int>/questionnaire")
@requires(VIEW)
async def survey_builder(request: Request, survey_id: int) -> HTTPResponse:
    try:
        survey = await questionnaires.get_survey(survey_id=survey_id)
    except SurveyNotFound:
        return not_found(request, "调查")
    versions = await queries.versions_of(survey_id=survey_id)
    wanted = forms.query_number(request, "version")
    shown = next((v for v in versions if v.questionnaire.version == wanted), versions[0] if versions else None)
    newest = versions[0] if versions else None
    editable = shown is newest and can(request.ctx.staff, MANAGE)
    return render(
        request, "survey_builder.html", survey=survey, tab="questionnaire", versions=versions, shown=shown,
        newest=newest, view=queries.builder_view(shown.questionnaire if shown else None), editable=editable,
        dimensions=defs.DIMENSIONS, types=defs.QUESTION_TYPES, condition_text=_condition_text, summary=_summary,
    )


@bp.post("/surveys/<survey_id:int>/questionnaire/publish")
@requires(MANAGE)
async def survey_publish(request: Request, survey_id: int) -> HTTPResponse:
    try:
        questionnaire = await questionnaires.publish_questionnaire(staff=request.ctx.staff, survey_id=survey_id)
    except SurveyNotFound:
        return not_found(request, "调查")
    except SurveyError as exc:
        flash(request, "error", f"未能发布：{exc.message}")
    else:
        flash(request, "ok", f"第{questionnaire.version}版已发布，新的答题者将使用这一版。")
    return redirect_to(request, f"/admin/surveys/{survey_id}/questionnaire")


@bp.post("/surveys/<survey_id:int>/questionnaire/sections")
@requires(MANAGE)
async def survey_section_add(request: Request, survey_id: int) -> HTTPResponse:
    return await _builder_step(request, survey_id, "已添加部分。", questionnaires.add_section,
                               section=_section_form(request))


@bp.post("/surveys/<survey_id:int>/questionnaire/sections/<key:str>/edit")
@requires(MANAGE)
async def survey_section_update(request: Request, survey_id: int, key: str) -> HTTPResponse:
    return await _builder_step(request, survey_id, "已保存部分。", questionnaires.update_section, key=key,
                               section=_section_form(request))


@bp.post("/surveys/<survey_id:int>/questionnaire/sections/<key:str>/delete")
@requires(MANAGE)
async def survey_section_remove(request: Request, survey_id: int, key: str) -> HTTPResponse:
    return await _builder_step(request, survey_id, "已删除部分。", questionnaires.remove_section, key=key)


@bp.post("/surveys/<survey_id:int>/questionnaire/sections/<key:str>/move")
@requires(MANAGE)
async def survey_section_move(request: Request, survey_id: int, key: str) -> HTTPResponse:
    return await _builder_step(request, survey_id, "已移动部分。", questionnaires.move_section, key=key,
                               direction=forms.text(request, "direction"))


@bp.post("/surveys/<survey_id:int>/questionnaire/questions/<key:str>/delete")
@requires(MANAGE)
async def survey_question_remove(request: Request, survey_id: int, key: str) -> HTTPResponse:
    return await _builder_step(request, survey_id, f"已删除题目 {key}。", questionnaires.remove_question, key=key)


@bp.post("/surveys/<survey_id:int>/questionnaire/questions/<key:str>/move")
@requires(MANAGE)
async def survey_question_move(request: Request, survey_id: int, key: str) -> HTTPResponse:
    return await _builder_step(request, survey_id, "已移动题目。", questionnaires.move_question, key=key,
                               direction=forms.text(request, "direction"))


async def _builder_step(request: Request, survey_id: int, done: str, operation: Any, **arguments: Any) -> HTTPResponse:
    try:
        questionnaire = await operation(staff=request.ctx.staff, survey_id=survey_id, **arguments)
    except SurveyNotFound:
        return not_found(request, "调查")
    except SurveyError as exc:
        flash(request, "error", f"未保存：{exc.message}")
    else:
        flash(request, "ok", done + _version_note(questionnaire))
    return redirect_to(request, f"/admin/surveys/{survey_id}/questionnaire")


def _version_note(questionnaire: Questionnaire) -> str:
    if questionnaire.published_at is None:
        return f"（第{questionnaire.version}版，尚未发布：发布后答题者才会看到）"
    return ""


def _section_form(request: Request) -> dict[str, str]:
    return {name: forms.text(request, name) for name in ("title", "dimension", "description")}


@bp.get("/surveys/<survey_id:int>/questionnaire/questions/new")
@requires(MANAGE)
async def survey_question_new(request: Request, survey_id: int) -> HTTPResponse:
    values = {"section": forms.query(request, "section"), "type": forms.query(request, "type") or "rating",
              "required": True, "scale": "1-5"}
    return await _question_form(request, survey_id, key=None, values=values, errors={})


@bp.post("/surveys/<survey_id:int>/questionnaire/questions/new")
@requires(MANAGE)
async def survey_question_add(request: Request, survey_id: int) -> HTTPResponse:
    values = _read_question(request)
    try:
        newest = await _newest(survey_id)
        question = questionnaires.parse_question_form(_as_text(values))
        question = questionnaires.resolve_condition_labels(question, newest.definition if newest else {})
        questionnaire = await questionnaires.add_question(staff=request.ctx.staff, survey_id=survey_id,
                                                          question=question)
    except SurveyNotFound:
        return not_found(request, "调查")
    except SurveyError as exc:
        return await _question_form(request, survey_id, key=None, values=values,
                                    errors={exc.field or "form": exc.message}, code=400)
    flash(request, "ok", "已添加题目。" + _version_note(questionnaire))
    return redirect_to(request, f"/admin/surveys/{survey_id}/questionnaire")


@bp.get("/surveys/<survey_id:int>/questionnaire/questions/<key:str>/edit")
@requires(MANAGE)
async def survey_question_edit(request: Request, survey_id: int, key: str) -> HTTPResponse:
    try:
        newest = await _newest(survey_id)
    except SurveyNotFound:
        return not_found(request, "调查")
    found = _question_json(newest, key)
    if found is None:
        return not_found(request, "题目")
    return await _question_form(request, survey_id, key=key, values=_question_values(found), errors={})


@bp.post("/surveys/<survey_id:int>/questionnaire/questions/<key:str>/edit")
@requires(MANAGE)
async def survey_question_update(request: Request, survey_id: int, key: str) -> HTTPResponse:
    values = _read_question(request)
    try:
        newest = await _newest(survey_id)
        found = _question_json(newest, key)
        if found is None:
            return not_found(request, "题目")
        question = questionnaires.parse_question_form(_as_text(values), previous=found)
        question = questionnaires.resolve_condition_labels(question, newest.definition if newest else {})
        questionnaire = await questionnaires.update_question(staff=request.ctx.staff, survey_id=survey_id, key=key,
                                                             question=question)
    except SurveyNotFound:
        return not_found(request, "调查")
    except SurveyError as exc:
        return await _question_form(request, survey_id, key=key, values=values,
                                    errors={exc.field or "form": exc.message}, code=400)
    flash(request, "ok", f"已保存题目 {key}。" + _version_note(questionnaire))
    return redirect_to(request, f"/admin/surveys/{survey_id}/questionnaire")


@bp.post("/surveys/<survey_id:int>/questionnaire/preview")
@requires(MANAGE)
async def survey_question_preview(request: Request, survey_id: int) -> HTTPResponse:
    """The question being edited as respondents will see it (htmx swaps it in while typing)."""
    values = _read_question(request)
    try:
        newest = await _newest(survey_id)
    except SurveyNotFound:
        return not_found(request, "调查")
    question, problem = _preview(newest, forms.text(request, "key").strip(), values)
    return render(request, "survey_question_preview.html", question=question, problem=problem, number=0)


def _preview(newest: Questionnaire | None, key: str, values: dict[str, Any]) -> tuple[defs.Question | None, str]:
    """The form's question parsed as it would be saved (skip condition left out), or why it cannot be."""
    data = newest.definition if newest else {}
    try:
        question = questionnaires.parse_question_form(_as_text(values), previous=_question_json(newest, key))
        sections = [{"key": s["key"], "title": s["title"]} for s in data.get("sections") or []]
        if not any(s["key"] == question["section"] for s in sections):
            sections.append({"key": question["section"], "title": "预览"})
        question = {**question, "key": "preview"}
        question.pop("show_if", None)
        parsed = defs.load({"sections": sections, "questions": [question]})
    except SurveyError as exc:
        return None, exc.message
    except defs.DefinitionInvalid as invalid:
        return None, "；".join(invalid.problems)
    return parsed.questions[0], ""


# -- helpers --------------------------------------------------------------------------------------------


async def _newest(survey_id: int) -> Questionnaire | None:
    await questionnaires.get_survey(survey_id=survey_id)
    return await questionnaires.newest_questionnaire(survey_id=survey_id)


def _question_json(questionnaire: Questionnaire | None, key: str) -> dict[str, Any] | None:
    if questionnaire is None:
        return None
    return next((q for q in (questionnaire.definition or {}).get("questions") or [] if q.get("key") == key), None)


def _question_values(question: dict[str, Any]) -> dict[str, Any]:
    """A stored question as the form shows it."""
    scale = question.get("scale") or {}
    condition = question.get("show_if") or {}
    return {
        "section": question.get("section", ""), "type": question.get("type", ""), "title": question.get("title", ""),
        "help": question.get("help", ""), "required": question.get("required", True),
        "options": questionnaires.option_lines(question), "min_choices": _shown(question.get("min_choices")),
        "max_choices": _shown(question.get("max_choices")),
        "scale": f"{scale.get('min', 1)}-{scale.get('max', 5)}" if scale else "1-5",
        "min_label": scale.get("min_label", ""), "max_label": scale.get("max_label", ""),
        "rows": questionnaires.row_lines(question), "min": _shown(question.get("min")),
        "max": _shown(question.get("max")), "integer": bool(question.get("integer")), "unit": question.get("unit", ""),
        "max_length": _shown(question.get("max_length") or None),
        "show_if_question": condition.get("question", ""), "show_if_values": " ".join(condition.get("values", [])),
    }


def _read_question(request: Request) -> dict[str, Any]:
    values: dict[str, Any] = {name: forms.text(request, name).strip() for name in _QUESTION_FIELDS}
    values["required"] = forms.checked(request, "required")
    values["integer"] = forms.checked(request, "integer")
    values["options"] = forms.text(request, "options")
    values["rows"] = forms.text(request, "rows")
    return values


def _as_text(values: dict[str, Any]) -> dict[str, str]:
    return {name: ("on" if value is True else "" if value is False else str(value)) for name, value in values.items()}


async def _question_form(request: Request, survey_id: int, *, key: str | None, values: dict[str, Any],
                         errors: dict[str, str], code: int = 200) -> HTTPResponse:
    try:
        survey = await questionnaires.get_survey(survey_id=survey_id)
    except SurveyNotFound:
        return not_found(request, "调查")
    newest = await questionnaires.newest_questionnaire(survey_id=survey_id)
    data = newest.definition if newest else {}
    earlier = []
    for question in data.get("questions") or []:
        if question.get("key") == key:
            break
        if question.get("type") in ("single", "multiple", "rating"):
            earlier.append(question)
    answered = (await queries.versions_of(survey_id=survey_id))[0].responses if newest else 0
    values = {**{name: "" for name in _QUESTION_FIELDS}, **values}
    preview, _ = _preview(newest, key or "", values) if values.get("title") else (None, "")
    return render(request, "survey_question_form.html", status=code, survey=survey, tab="questionnaire", key=key,
                  preview=preview,
                  values=values, errors=errors, sections=data.get("sections") or [], types=defs.QUESTION_TYPES,
                  conditions=earlier, answered=answered, newest=newest, scales=("1-5", "1-7", "1-10", "0-10"))


def _condition_text(data: dict[str, Any], questions: dict[str, dict[str, Any]]) -> str:
    """「仅当 q2 选“办理过”时显示」"""
    condition = data.get("show_if") or {}
    if not condition:
        return ""
    source = questions.get(condition.get("question", ""), {})
    labels = {o.get("value"): o.get("label") for o in source.get("options") or []}
    shown = "、".join(f"“{labels.get(v, v)}”" for v in condition.get("values", []))
    return f"仅当 {condition.get('question')} 选 {shown} 时显示"


def _summary(data: dict[str, Any]) -> str:
    """What a question asks for, in one line (scale, choices, range, length)."""
    kind = data.get("type")
    if kind in ("rating", "matrix"):
        scale = data.get("scale") or {}
        text = f"{scale.get('min', 1)}–{scale.get('max', 5)}分"
        if scale.get("min_label") or scale.get("max_label"):
            text += f"（{scale.get('min_label', '')}—{scale.get('max_label', '')}）"
        if kind == "matrix":
            text += "，" + "、".join(r.get("label", "") for r in data.get("rows") or [])
        return text
    if kind in ("single", "multiple"):
        parts = []
        for option in data.get("options") or []:
            part = option.get("label", "")
            if option.get("score") is not None:
                part += f"（{option['score']}分）"
            parts.append(part)
        text = " / ".join(parts)
        if kind == "multiple" and (data.get("min_choices") or data.get("max_choices")):
            text += f"；选{data.get('min_choices') or 1}–{data.get('max_choices') or len(parts)}项"
        return text
    if kind == "number":
        low, high = data.get("min"), data.get("max")
        span = f"{'' if low is None else low}–{'' if high is None else high}"
        return f"范围 {span}{data.get('unit', '')}" + ("，整数" if data.get("integer") else "")
    if kind in ("text", "textarea"):
        limit = data.get("max_length") or (100 if kind == "text" else 1000)
        return f"最多{limit}字"
    return ""


def _read_settings(request: Request) -> dict[str, Any]:
    values: dict[str, Any] = {name: forms.text(request, name).strip() for name in _FIELDS}
    values["description"] = forms.text(request, "description")
    values.update({name: forms.checked(request, name) for name in _CHECKS})
    return values


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)


def _time(values: dict[str, Any], name: str, label: str) -> datetime | None:
    raw = values.get(name) or ""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise SurveyError(f"{label}格式不正确（例如 2026-06-30 18:00）", code="invalid_time", field=name) from None
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


def _whole(values: dict[str, Any], name: str, label: str, default: int | None = None) -> int | None:
    raw = values.get(name) or ""
    if not raw:
        return default
    if not raw.isdigit():
        raise SurveyError(f"{label}须为整数", code="invalid_number", field=name)
    return int(raw)


def _input(values: dict[str, Any]) -> SurveyInput:
    rate_text = values.get("eligibility_rate") or ""
    rate = None
    if rate_text:
        try:
            rate = float(rate_text.rstrip("%")) / (100 if rate_text.endswith("%") else 1)
        except ValueError:
            raise SurveyError("合格率估计值须为0到1之间的数字（例如 0.95）", code="invalid_eligibility_rate",
                              field="eligibility_rate") from None
    return SurveyInput(
        title=values.get("title", ""), kind=values.get("kind") or "", year=_whole(values, "year", "年度"),
        description=values.get("description", ""), organiser=values.get("organiser", ""),
        is_public=bool(values.get("is_public")), is_anonymous=bool(values.get("is_anonymous")),
        opens_at=_time(values, "opens_at", "开始时间"), closes_at=_time(values, "closes_at", "截止时间"),
        estimated_minutes=_whole(values, "estimated_minutes", "预计答题时间"),
        reminder_interval_days=_whole(values, "reminder_interval_days", "提醒间隔", 3) or 0,
        max_reminders=_whole(values, "max_reminders", "最多提醒次数", 2) or 0,
        eligibility_rate=rate, previous_id=_whole(values, "previous_id", "上期调查"),
    )


async def _settings_form(request: Request, *, survey: Any, values: dict[str, Any], errors: dict[str, str],
                         code: int = 200) -> HTTPResponse:
    values = {**{name: "" for name in (*_FIELDS, *_CHECKS, "template")}, **values}
    return render(request, "survey_form.html", status=code, survey=survey, values=values, errors=errors,
                  kinds=list(SurveyKind), templates=questionnaires.TEMPLATES,
                  previous_choices=await queries.previous_choices(exclude=survey.id if survey else None),
                  tab="overview")
