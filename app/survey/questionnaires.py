"""Building a survey: its settings, and its questionnaire's sections and questions.

Staff start from a built-in template (`TEMPLATES`: "annual" is the 12-question
questionnaire over the five evaluation dimensions) or from an empty questionnaire, and
change it one section or question at a time. Every change goes through
`app.survey.definition.load`, so what is stored always reads back (the problems are
answered in Chinese, nothing is half-written).

**Versions.** A questionnaire version that anyone has answered — a draft counts, since
its answers were given to those questions — never changes again: `editable_questionnaire`
then copies it to a new version, and the change lands there. The new version is a draft
(`published_at` None) until `publish_questionnaire`; respondents already answering keep
their version, new respondents get the newest published one
(`app.survey.answering.current_questionnaire`). A version nobody has answered is edited
in place (if it was already published, the change is visible at once: nobody has seen an
answer of theirs disappear).

**Work in progress.** An unpublished version may have sections without questions yet (a
survey started from nothing); publishing needs a definition `load` accepts.

Question keys (q1, q2 …) and option values stay the same across versions, so the
analysis can put the versions' answers together by key.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.staff.models import Staff
from app.survey import definition as defs
from app.survey.errors import SurveyError, SurveyNotFound
from app.survey.models import Questionnaire, Survey, SurveyKind, SurveyResponse, SurveyStatus

__all__ = [
    "EMPTY_DEFINITION",
    "PREVIOUS_TEMPLATE",
    "TEMPLATES",
    "SurveyInput",
    "add_question",
    "add_section",
    "annual_definition",
    "answered_versions",
    "create_survey",
    "editable_questionnaire",
    "get_survey",
    "move_question",
    "move_section",
    "newest_questionnaire",
    "parse_question_form",
    "option_lines",
    "publish_questionnaire",
    "remove_question",
    "resolve_condition_labels",
    "row_lines",
    "service_definition",
    "remove_section",
    "update_question",
    "update_section",
    "update_survey",
]

TITLE_LIMIT = 200
ORGANISER_LIMIT = 60
DESCRIPTION_LIMIT = 2000

# -- templates ----------------------------------------------------------------------------------

_SATISFACTION = [
    {"value": "5", "label": "非常满意", "score": 100},
    {"value": "4", "label": "满意", "score": 75},
    {"value": "3", "label": "一般", "score": 50},
    {"value": "2", "label": "不满意", "score": 25},
    {"value": "1", "label": "非常不满意", "score": 0},
]


def annual_definition() -> dict[str, Any]:
    """The annual evaluation's starting questionnaire: 12 questions over the five dimensions
    (政务、市场、社会、法治、产业环境), every question type, the focus areas (starting a
    business, getting electricity), a skip rule and an optional free-text question.

    Identical to `tests.survey.factories.twelve_question_definition` (a test checks it)."""
    scale5 = {"min": 1, "max": 5, "min_label": "很不满意", "max_label": "很满意"}
    return {
        "sections": [
            {"key": "gov", "title": "政务环境", "dimension": "government"},
            {"key": "market", "title": "市场环境", "dimension": "market"},
            {"key": "social", "title": "社会环境", "dimension": "social"},
            {"key": "legal", "title": "法治环境", "dimension": "legal"},
            {"key": "industry", "title": "产业环境", "dimension": "industry"},
        ],
        "questions": [
            {"key": "q1", "section": "gov", "type": "rating", "title": "您对本区政务服务的总体满意度", "scale": scale5},
            {"key": "q2", "section": "gov", "type": "single", "title": "近一年是否办理过开办企业业务",
             "options": [{"value": "yes", "label": "办理过"}, {"value": "no", "label": "没有办理"}]},
            {"key": "q3", "section": "gov", "type": "number", "title": "开办企业实际用了几个工作日",
             "min": 0, "max": 60, "integer": True, "unit": "天", "show_if": {"question": "q2", "values": ["yes"]}},
            {"key": "q4", "section": "gov", "type": "single", "title": "您对开办企业服务的评价",
             "options": copy.deepcopy(_SATISFACTION), "show_if": {"question": "q2", "values": ["yes"]}},
            {"key": "q5", "section": "market", "type": "rating", "title": "市场准入的公平程度（0–10分）",
             "scale": {"min": 0, "max": 10}},
            {"key": "q6", "section": "market", "type": "multiple", "title": "贵企业遇到的主要困难（可多选）",
             "options": [{"value": "finance", "label": "融资难"}, {"value": "talent", "label": "招工难"},
                         {"value": "cost", "label": "成本高"}, {"value": "orders", "label": "订单少"}],
             "max_choices": 3},
            {"key": "q7", "section": "social", "type": "matrix", "title": "请对以下公共服务评分", "scale": dict(scale5),
             "rows": [{"key": "power", "label": "获得电力"}, {"key": "water", "label": "用水用气"},
                      {"key": "network", "label": "网络通信"}]},
            {"key": "q8", "section": "social", "type": "rating", "title": "人才住房与子女就学保障", "scale": dict(scale5)},
            {"key": "q9", "section": "legal", "type": "rating", "title": "执法检查的规范程度", "scale": dict(scale5)},
            {"key": "q10", "section": "legal", "type": "single", "title": "合同纠纷解决的效率",
             "options": copy.deepcopy(_SATISFACTION)},
            {"key": "q11", "section": "industry", "type": "rating", "title": "产业配套与上下游协作", "scale": dict(scale5)},
            {"key": "q12", "section": "industry", "type": "textarea", "title": "您对改善营商环境的意见建议",
             "required": False, "max_length": 500},
        ],
    }


def service_definition() -> dict[str, Any]:
    """The department-service evaluation (部门服务评价) for enterprises that recently used an
    approval service: how the case went, the counter's service, and integrity."""
    scale5 = {"min": 1, "max": 5, "min_label": "很不满意", "max_label": "很满意"}
    return {
        "sections": [
            {"key": "case", "title": "办事过程", "dimension": "service"},
            {"key": "conduct", "title": "服务与作风", "dimension": "service"},
        ],
        "questions": [
            {"key": "q1", "section": "case", "type": "rating", "title": "您对本次办事的总体满意度", "scale": scale5},
            {"key": "q2", "section": "case", "type": "number", "title": "本次办事您（或经办人）一共跑了几次",
             "min": 0, "max": 20, "integer": True, "unit": "次"},
            {"key": "q3", "section": "case", "type": "matrix", "title": "请对以下方面评分", "scale": dict(scale5),
             "rows": [{"key": "guide", "label": "办事指南清楚"}, {"key": "once", "label": "材料一次告知"},
                      {"key": "time", "label": "按承诺时限办结"}, {"key": "online", "label": "网上可办程度"}]},
            {"key": "q4", "section": "conduct", "type": "rating", "title": "工作人员的服务态度", "scale": dict(scale5)},
            {"key": "q5", "section": "conduct", "type": "single", "title": "办事中是否遇到吃拿卡要或变相收费",
             "options": [{"value": "no", "label": "没有"}, {"value": "yes", "label": "遇到过"}]},
            {"key": "q6", "section": "conduct", "type": "textarea", "title": "请简要说明遇到的情况",
             "max_length": 500, "show_if": {"question": "q5", "values": ["yes"]}},
            {"key": "q7", "section": "conduct", "type": "textarea", "title": "您对该部门服务的意见建议",
             "required": False, "max_length": 500},
        ],
    }


EMPTY_DEFINITION: dict[str, Any] = {
    "sections": [{"key": "s1", "title": "第一部分", "dimension": "government"}],
    "questions": [],
}

TEMPLATES: dict[str, tuple[str, Any]] = {
    "annual": ("年度营商环境评估（12题，覆盖五个维度）", annual_definition),
    "service": ("部门服务评价（7题，办过事的企业评价部门服务）", service_definition),
    "blank": ("空白问卷", lambda: copy.deepcopy(EMPTY_DEFINITION)),
}
"""name -> (label staff choose by, a function returning a fresh definition)."""


# -- survey settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyInput:
    """What staff type into the survey settings form (validated by `_validate`)."""

    title: str
    kind: SurveyKind | str = SurveyKind.annual
    year: int | None = None
    description: str = ""
    organiser: str = ""
    is_public: bool = False
    is_anonymous: bool = True
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    estimated_minutes: int | None = None
    reminder_interval_days: int = 3
    max_reminders: int = 2
    eligibility_rate: float | None = None
    previous_id: int | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _validate(data: SurveyInput) -> dict[str, Any]:
    title = data.title.strip()
    if not title:
        raise SurveyError("请填写调查名称", code="title_required", field="title")
    if len(title) > TITLE_LIMIT:
        raise SurveyError(f"调查名称最多{TITLE_LIMIT}个字", code="title_too_long", field="title")
    try:
        kind = SurveyKind(data.kind)
    except ValueError:
        raise SurveyError("请选择调查类型（年度营商环境评估、部门服务评价、专项调查）", code="invalid_kind",
                          field="kind") from None
    if data.year is not None and not 2000 <= data.year <= 2100:
        raise SurveyError("年度须为四位年份，例如 2026", code="invalid_year", field="year")
    if kind is SurveyKind.annual and data.year is None:
        raise SurveyError("年度营商环境评估请填写年度", code="year_required", field="year")
    organiser = data.organiser.strip()
    if len(organiser) > ORGANISER_LIMIT:
        raise SurveyError(f"组织单位最多{ORGANISER_LIMIT}个字", code="organiser_too_long", field="organiser")
    description = data.description.strip()
    if len(description) > DESCRIPTION_LIMIT:
        raise SurveyError(f"调查说明最多{DESCRIPTION_LIMIT}个字", code="description_too_long", field="description")
    for moment in (data.opens_at, data.closes_at):
        if moment is not None and moment.tzinfo is None:
            raise ValueError("survey times must be timezone-aware")
    if data.opens_at is not None and data.closes_at is not None and data.closes_at <= data.opens_at:
        raise SurveyError("截止时间须晚于开始时间", code="invalid_times", field="closes_at")
    if data.estimated_minutes is not None and not 1 <= data.estimated_minutes <= 120:
        raise SurveyError("预计答题时间须在1到120分钟之间", code="invalid_minutes", field="estimated_minutes")
    if not 1 <= data.reminder_interval_days <= 30:
        raise SurveyError("提醒间隔须在1到30天之间", code="invalid_interval", field="reminder_interval_days")
    if not 0 <= data.max_reminders <= 10:
        raise SurveyError("最多提醒次数须在0到10次之间", code="invalid_max_reminders", field="max_reminders")
    if data.eligibility_rate is not None and not 0 < data.eligibility_rate <= 1:
        raise SurveyError("合格率估计值须大于0且不超过1（例如 0.95），不填则按已知情况估算",
                          code="invalid_eligibility_rate", field="eligibility_rate")
    return {
        "title": title, "kind": kind, "year": data.year, "description": description, "organiser": organiser,
        "is_public": data.is_public, "is_anonymous": data.is_anonymous, "opens_at": data.opens_at,
        "closes_at": data.closes_at, "estimated_minutes": data.estimated_minutes,
        "reminder_interval_days": data.reminder_interval_days, "max_reminders": data.max_reminders,
        "eligibility_rate": data.eligibility_rate, "previous_id": data.previous_id,
    }


async def _check_previous(previous_id: int | None, *, survey_id: int | None) -> None:
    if previous_id is None:
        return
    if previous_id == survey_id:
        raise SurveyError("对比的上期调查不能是本调查", code="invalid_previous", field="previous_id")
    if not await Survey.filter(id=previous_id).exists():
        raise SurveyError("所选的上期调查不存在", code="invalid_previous", field="previous_id")


async def get_survey(*, survey_id: int, connection: BaseDBAsyncClient | None = None, lock: bool = False) -> Survey:
    """Any survey, drafts included: the one staff-side lookup (the builder, sampling and tracking pages).

    `lock` (with a `connection` in a transaction) reads it FOR UPDATE, so sampling steps on one
    survey run one at a time. The respondent side (`app.survey.answering`) hides drafts instead.
    """
    query = Survey.filter(id=survey_id).using_db(connection)
    if lock and connection is not None:
        query = query.select_for_update()
    survey = await query.first()
    if survey is None:
        raise SurveyNotFound("未找到该调查")
    return survey


PREVIOUS_TEMPLATE = "previous"
"""`create_survey(template="previous")`: start from the compared survey's questionnaire (last year's)."""


async def create_survey(*, staff: Staff, data: SurveyInput, template: str | None = None) -> Survey:
    """A new survey, as a draft, with questionnaire version 1 from `template` (None: an empty
    one; "previous": a copy of `data.previous_id`'s newest published version, else its newest,
    so this year's answers line up with last year's question by question).

    Opening it is its own step (`app.survey.workflow`), so a half-built survey is never seen."""
    values = _validate(data)
    await _check_previous(values["previous_id"], survey_id=None)
    name = template or "blank"
    if name == PREVIOUS_TEMPLATE:
        if values["previous_id"] is None:
            raise SurveyError("沿用上期问卷时，请选择对比的上期调查", code="previous_required", field="previous_id")
        versions = Questionnaire.filter(survey_id=values["previous_id"])
        source = (await versions.filter(published_at__isnull=False).order_by("-version").first()
                  or await versions.order_by("-version").first())
        if source is None:
            raise SurveyError("所选的上期调查还没有问卷", code="previous_empty", field="previous_id")
        definition = copy.deepcopy(source.definition)
    elif name in TEMPLATES:
        definition = TEMPLATES[name][1]()
    else:
        raise SurveyError("未知的问卷模板", code="unknown_template", field="template")
    async with in_transaction() as connection:
        survey = await Survey.create(**values, status=SurveyStatus.draft, created_by_id=staff.id, using_db=connection)
        await Questionnaire.create(survey_id=survey.id, version=1, definition=definition, using_db=connection)
        await audit.record(staff=staff, action="survey.create", target_type="survey", target_id=survey.id,
                           detail={"title": survey.title, "kind": values["kind"].value, "template": name})
    return survey


_FIXED_ONCE_OPENED = {"kind": "调查类型", "is_public": "公开/邀请方式", "is_anonymous": "匿名设置"}


async def update_survey(*, staff: Staff, survey_id: int, data: SurveyInput, now: datetime | None = None) -> Survey:
    """Change a survey's settings.

    Once a survey has been opened its kind, public/invitation mode and anonymity stay as
    they were: respondents were told how their answers are used, and the sample was drawn
    for that kind. An open survey's closing date must stay in the future (the closing job
    would end it at once otherwise); close it instead."""
    values = _validate(data)
    await _check_previous(values["previous_id"], survey_id=survey_id)
    now = now or _now()
    async with in_transaction() as connection:
        survey = await Survey.filter(id=survey_id).using_db(connection).select_for_update().first()
        if survey is None:
            raise SurveyNotFound("未找到该调查")
        if survey.opened_at is not None:
            for name, label in _FIXED_ONCE_OPENED.items():
                if _plain(getattr(survey, name)) != _plain(values[name]):
                    raise SurveyError(f"调查已开始过，{label}不能再修改", code="fixed_after_open", field=name)
        closes_at = values["closes_at"]
        if SurveyStatus(survey.status) is SurveyStatus.open and (closes_at is None or closes_at <= now):
            raise SurveyError("进行中的调查，截止时间须晚于现在；如需立即结束，请点击“结束”",
                              code="closes_in_past", field="closes_at")
        changes = {
            name: {"from": _plain(getattr(survey, name)), "to": _plain(value)}
            for name, value in values.items()
            if _plain(getattr(survey, name)) != _plain(value)
        }
        if changes:
            await Survey.filter(id=survey.id).using_db(connection).update(**values)
            await audit.record(staff=staff, action="survey.update", target_type="survey", target_id=survey.id,
                               detail={"changes": changes})
    return await get_survey(survey_id=survey_id)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="minutes")
    if hasattr(value, "value"):
        return value.value
    return value


# -- versions --------------------------------------------------------------------------------------


async def newest_questionnaire(*, survey_id: int, connection: BaseDBAsyncClient | None = None) -> Questionnaire | None:
    return await Questionnaire.filter(survey_id=survey_id).using_db(connection).order_by("-version").first()


async def answered_versions(*, survey_id: int) -> dict[int, int]:
    """questionnaire id -> how many responses (drafts included) it has: the frozen versions."""
    rows = await SurveyResponse.filter(survey_id=survey_id).values_list("questionnaire_id", flat=True)
    counts: dict[int, int] = {}
    for questionnaire_id in rows:
        counts[questionnaire_id] = counts.get(questionnaire_id, 0) + 1
    return counts


async def _is_answered(questionnaire: Questionnaire, connection: BaseDBAsyncClient | None = None) -> bool:
    return await SurveyResponse.filter(questionnaire_id=questionnaire.id).using_db(connection).exists()


async def editable_questionnaire(*, survey_id: int, connection: BaseDBAsyncClient | None = None) -> Questionnaire:
    """The version changes go to: the newest if nobody has answered it, else a new draft
    version copied from it (so an answered version never changes under its respondents)."""
    if connection is None:
        async with in_transaction() as own:
            return await editable_questionnaire(survey_id=survey_id, connection=own)
    survey = await Survey.filter(id=survey_id).using_db(connection).select_for_update().first()
    if survey is None:
        raise SurveyNotFound("未找到该调查")
    newest = await newest_questionnaire(survey_id=survey_id, connection=connection)
    if newest is not None:
        # FOR UPDATE conflicts with the key-share lock a respondent's first answer takes on
        # the version it references (PostgreSQL): whoever is first, the check below sees it.
        newest = await Questionnaire.filter(id=newest.id).using_db(connection).select_for_update().first()
    if newest is None:
        return await Questionnaire.create(survey_id=survey_id, version=1, definition=copy.deepcopy(EMPTY_DEFINITION),
                                          using_db=connection)
    if not await _is_answered(newest, connection):
        return newest
    return await Questionnaire.create(survey_id=survey_id, version=newest.version + 1,
                                      definition=copy.deepcopy(newest.definition), using_db=connection)


def _check(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition as it will be stored, or `SurveyError` naming every problem (Chinese).

    A work-in-progress definition may have no questions yet; everything else must load."""
    if definition.get("questions"):
        try:
            return defs.load(definition).to_json()
        except defs.DefinitionInvalid as invalid:
            raise SurveyError("；".join(invalid.problems), code="definition_invalid") from None
    sections = definition.get("sections") or []
    if not sections:
        raise SurveyError("问卷至少需要一个部分", code="definition_invalid")
    problems: list[str] = []
    for section in sections:
        try:
            defs.Section.model_validate(section)
        except Exception as exc:  # pydantic's ValidationError: reported in Chinese below
            problems.append(f"部分“{section.get('title', '')}”：{_first_message(exc)}")
    keys = [section.get("key") for section in sections]
    if len(set(keys)) != len(keys):
        problems.append("部分的编号不能重复")
    if problems:
        raise SurveyError("；".join(problems), code="definition_invalid")
    return {"sections": [defs.Section.model_validate(s).model_dump(mode="json", exclude_defaults=True)
                         for s in sections], "questions": []}


def _first_message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            return str(found[0].get("msg", "")).removeprefix("Value error, ")
    return str(exc)


def _ordered(definition: dict[str, Any]) -> dict[str, Any]:
    """Questions grouped by their section, in section order (stable inside a section), so
    the numbering respondents see matches the builder's sections."""
    position = {section["key"]: index for index, section in enumerate(definition["sections"])}
    questions = sorted(definition["questions"], key=lambda q: position.get(q.get("section"), len(position)))
    return {**definition, "questions": questions}


async def _change(*, staff: Staff, survey_id: int, operation: str, detail: Mapping[str, Any],
                  change: Any) -> Questionnaire:
    """Apply `change(definition) -> definition` to the editable version, check, store, audit — one transaction."""
    async with in_transaction() as connection:
        survey = await get_survey(survey_id=survey_id, connection=connection)
        questionnaire = await editable_questionnaire(survey_id=survey.id, connection=connection)
        definition = copy.deepcopy(questionnaire.definition or EMPTY_DEFINITION)
        definition.setdefault("sections", [])
        definition.setdefault("questions", [])
        used, answered = await _history(survey.id, exclude=questionnaire.id, connection=connection)
        changed = change(definition)
        for question in changed["questions"]:
            if not question.get("key"):  # a new question: a key no version of this survey has used
                question["key"] = _next_key([q.get("key") or "" for q in changed["questions"]] + sorted(used), "q")
                detail = {**detail, "question": question["key"]}
        _keep_answered_shapes(changed, answered)
        stored = _check(_ordered(changed))
        await Questionnaire.filter(id=questionnaire.id).using_db(connection).update(definition=stored)
        await audit.record(staff=staff, action="survey.questionnaire", target_type="survey", target_id=survey.id,
                           detail={"operation": operation, "version": questionnaire.version, **detail})
        return await Questionnaire.get(id=questionnaire.id).using_db(connection)


async def _history(survey_id: int, *, exclude: int,
                   connection: BaseDBAsyncClient) -> tuple[set[str], dict[str, tuple[Any, ...]]]:
    """The question keys the survey's other versions used, and the shape (type, scale) of
    each question someone has answered: the analysis pools versions by key, so a key keeps
    its meaning — a removed question's key is not given to a new one, and an answered
    question keeps its type and scale."""
    answered_ids = set(await SurveyResponse.filter(survey_id=survey_id).using_db(connection)
                       .distinct().values_list("questionnaire_id", flat=True))
    used: set[str] = set()
    shapes: dict[str, tuple[Any, ...]] = {}
    for version in await Questionnaire.filter(survey_id=survey_id).exclude(id=exclude).using_db(connection):
        for question in (version.definition or {}).get("questions") or []:
            used.add(str(question.get("key")))
            if version.id in answered_ids:
                shapes[str(question.get("key"))] = _shape(question)
    return used, shapes


def _shape(question: Mapping[str, Any]) -> tuple[Any, ...]:
    if question.get("type") not in ("rating", "matrix"):
        return (question.get("type"),)
    scale = question.get("scale") or {}  # stored without defaults: {} is 1–5
    return question.get("type"), scale.get("min", 1), scale.get("max", 5)


def _keep_answered_shapes(definition: Mapping[str, Any], answered: Mapping[str, tuple[Any, ...]]) -> None:
    for question in definition.get("questions") or []:
        before = answered.get(str(question.get("key")))
        if before is not None and _shape(question) != before:
            raise SurveyError(
                f"题目 {question.get('key')} 已有答卷，不能再改变题型或评分量表（否则新旧答案无法合并分析）；"
                "如需调整，请删除该题并新增一题", code="answered_shape_fixed", field="type")


def _next_key(existing: list[str], prefix: str) -> str:
    numbers = [int(key[len(prefix):]) for key in existing if re.fullmatch(rf"{prefix}\d+", key)]
    return f"{prefix}{max(numbers, default=0) + 1}"


def _find(items: list[dict[str, Any]], key: str, what: str) -> int:
    for index, item in enumerate(items):
        if item.get("key") == key:
            return index
    code = "question_not_found" if what == "题目" else "section_not_found"
    raise SurveyError(f"问卷中没有编号为 {key} 的{what}（可能已被他人删除，请刷新）", code=code)


def _dependants(definition: dict[str, Any], key: str) -> list[str]:
    return [q["key"] for q in definition["questions"] if (q.get("show_if") or {}).get("question") == key]


# -- sections ---------------------------------------------------------------------------------------


def _section_values(section: Mapping[str, Any]) -> dict[str, Any]:
    title = str(section.get("title") or "").strip()
    if not title:
        raise SurveyError("请填写部分的名称", code="section_title_required", field="title")
    dimension = str(section.get("dimension") or "")
    if dimension not in defs.DIMENSIONS:
        raise SurveyError("请选择该部分对应的评估维度", code="invalid_dimension", field="dimension")
    values = {"title": title, "dimension": dimension}
    description = str(section.get("description") or "").strip()
    if description:
        values["description"] = description
    return values


async def add_section(*, staff: Staff, survey_id: int, section: Mapping[str, Any]) -> Questionnaire:
    """A new section (title, dimension, optional description) at the end."""
    values = _section_values(section)

    def change(definition: dict[str, Any]) -> dict[str, Any]:
        key = _next_key([s["key"] for s in definition["sections"]], "s")
        definition["sections"].append({"key": key, **values})
        return definition

    return await _change(staff=staff, survey_id=survey_id, operation="add_section", detail={"title": values["title"]},
                         change=change)


async def update_section(*, staff: Staff, survey_id: int, key: str, section: Mapping[str, Any]) -> Questionnaire:
    values = _section_values(section)

    def change(definition: dict[str, Any]) -> dict[str, Any]:
        index = _find(definition["sections"], key, "部分")
        definition["sections"][index] = {"key": key, **values}
        return definition

    return await _change(staff=staff, survey_id=survey_id, operation="update_section", detail={"section": key},
                         change=change)


async def remove_section(*, staff: Staff, survey_id: int, key: str) -> Questionnaire:
    """Remove an empty section (its questions must be removed or moved first: nothing is lost by accident)."""

    def change(definition: dict[str, Any]) -> dict[str, Any]:
        index = _find(definition["sections"], key, "部分")
        if any(q.get("section") == key for q in definition["questions"]):
            raise SurveyError("该部分还有题目，请先删除或移走其中的题目", code="section_not_empty")
        if len(definition["sections"]) == 1:
            raise SurveyError("问卷至少需要一个部分", code="last_section")
        del definition["sections"][index]
        return definition

    return await _change(staff=staff, survey_id=survey_id, operation="remove_section", detail={"section": key},
                         change=change)


async def move_section(*, staff: Staff, survey_id: int, key: str, direction: str) -> Questionnaire:
    """Move a section (with its questions) one place up or down."""
    step = _direction(direction)

    def change(definition: dict[str, Any]) -> dict[str, Any]:
        sections = definition["sections"]
        index = _find(sections, key, "部分")
        other = index + step
        if not 0 <= other < len(sections):
            raise SurveyError("已经是第一个部分" if step < 0 else "已经是最后一个部分", code="cannot_move")
        sections[index], sections[other] = sections[other], sections[index]
        return definition

    return await _change(staff=staff, survey_id=survey_id, operation="move_section",
                         detail={"section": key, "direction": direction}, change=change)


def _direction(direction: str) -> int:
    if direction not in ("up", "down"):
        raise SurveyError("移动方向只能是上移或下移", code="invalid_direction", field="direction")
    return -1 if direction == "up" else 1


# -- questions --------------------------------------------------------------------------------------


async def add_question(*, staff: Staff, survey_id: int, question: Mapping[str, Any]) -> Questionnaire:
    """A new question at the end of its section; its key (q1, q2 …) is given here unless set,
    never one an earlier version used for another question."""
    values = dict(question)

    def change(definition: dict[str, Any]) -> dict[str, Any]:
        key = str(values.get("key") or "")
        if key and key in [q["key"] for q in definition["questions"]]:
            raise SurveyError(f"题目编号 {key} 已存在", code="duplicate_key", field="key")
        definition["questions"].append({**values, "key": key})  # no key: `_change` gives one
        return definition

    return await _change(staff=staff, survey_id=survey_id, operation="add_question",
                         detail={"title": str(values.get("title", ""))[:100]}, change=change)


async def update_question(*, staff: Staff, survey_id: int, key: str, question: Mapping[str, Any]) -> Questionnaire:
    """Replace a question's definition (its key stays)."""
    values = dict(question)

    def change(definition: dict[str, Any]) -> dict[str, Any]:
        index = _find(definition["questions"], key, "题目")
        definition["questions"][index] = {**values, "key": key}
        return definition

    return await _change(staff=staff, survey_id=survey_id, operation="update_question", detail={"question": key},
                         change=change)


async def remove_question(*, staff: Staff, survey_id: int, key: str) -> Questionnaire:
    """Remove a question no other question's skip condition depends on."""

    def change(definition: dict[str, Any]) -> dict[str, Any]:
        index = _find(definition["questions"], key, "题目")
        dependants = _dependants(definition, key)
        if dependants:
            raise SurveyError(f"题目 {'、'.join(dependants)} 的显示条件引用了本题，请先修改它们的显示条件",
                              code="question_in_use")
        del definition["questions"][index]
        return definition

    return await _change(staff=staff, survey_id=survey_id, operation="remove_question", detail={"question": key},
                         change=change)


async def move_question(*, staff: Staff, survey_id: int, key: str, direction: str) -> Questionnaire:
    """Move a question one place up or down inside its section (a skip condition must still
    refer to an earlier question: `definition.load` says so otherwise)."""
    step = _direction(direction)

    def change(definition: dict[str, Any]) -> dict[str, Any]:
        questions = definition["questions"]
        index = _find(questions, key, "题目")
        section = questions[index].get("section")
        peers = [i for i, q in enumerate(questions) if q.get("section") == section]
        place = peers.index(index) + step
        if not 0 <= place < len(peers):
            raise SurveyError("已经是本部分第一题" if step < 0 else "已经是本部分最后一题", code="cannot_move")
        other = peers[place]
        questions[index], questions[other] = questions[other], questions[index]
        return definition

    return await _change(staff=staff, survey_id=survey_id, operation="move_question",
                         detail={"question": key, "direction": direction}, change=change)


async def publish_questionnaire(*, staff: Staff, survey_id: int, now: datetime | None = None) -> Questionnaire:
    """Publish the newest version: new respondents get it from now on (those answering keep theirs)."""
    now = now or _now()
    async with in_transaction() as connection:
        survey = await get_survey(survey_id=survey_id, connection=connection)
        await Survey.filter(id=survey.id).using_db(connection).select_for_update().first()
        newest = await newest_questionnaire(survey_id=survey.id, connection=connection)
        if newest is None or not (newest.definition or {}).get("questions"):
            raise SurveyError("问卷还没有题目，不能发布", code="questionnaire_empty")
        if newest.published_at is not None:
            raise SurveyError(f"第{newest.version}版已发布，没有新的修改需要发布", code="already_published")
        try:
            defs.load(newest.definition)
        except defs.DefinitionInvalid as invalid:
            raise SurveyError("；".join(invalid.problems), code="definition_invalid") from None
        await Questionnaire.filter(id=newest.id).using_db(connection).update(published_at=now)
        await audit.record(staff=staff, action="survey.questionnaire", target_type="survey", target_id=survey.id,
                           detail={"operation": "publish", "version": newest.version})
        return await Questionnaire.get(id=newest.id).using_db(connection)


# -- reading the builder's question form -------------------------------------------------------------

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_SCALES = {"1-5": (1, 5), "1-7": (1, 7), "1-10": (1, 10), "0-10": (0, 10)}


def parse_question_form(form: Mapping[str, str], *, previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A question's definition from the builder's form fields (all text), or `SurveyError`
    with the field at fault.

    Options are one per line, `标签` or `标签|分值`, optionally prefixed `编码=` (the stored
    value); a line without a code keeps the code of the same label in `previous` (the
    question being edited), else gets the next free number, so answers already given
    keep meaning the same option. Matrix rows likewise (`编码=标签`)."""
    kind = (form.get("type") or "").strip()
    if kind not in defs.QUESTION_TYPES:
        raise SurveyError("请选择题型", code="invalid_type", field="type")
    question: dict[str, Any] = {
        "section": (form.get("section") or "").strip(),
        "type": kind,
        "title": (form.get("title") or "").strip(),
        "required": (form.get("required") or "") in ("on", "1", "true", "yes"),
    }
    if not question["title"]:
        raise SurveyError("请填写题目", code="title_required", field="title")
    for name, label, limit in (("title", "题目", 300), ("help", "填写说明", 300), ("unit", "单位", 10),
                               ("min_label", "量表最低分说明", 20), ("max_label", "量表最高分说明", 20)):
        if len((form.get(name) or "").strip()) > limit:
            raise SurveyError(f"{label}最多{limit}个字", code="too_long", field=name)
    if not question["section"]:
        raise SurveyError("请选择所属部分", code="section_required", field="section")
    help_text = (form.get("help") or "").strip()
    if help_text:
        question["help"] = help_text
    previous = previous or {}
    if kind in ("single", "multiple"):
        question["options"] = _options(form.get("options") or "", previous.get("options") or [])
        if kind == "multiple":
            for name in ("min_choices", "max_choices"):
                value = _int(form, name, "选择数")
                if value is not None:
                    question[name] = value
    if kind in ("rating", "matrix"):
        span = _SCALES.get((form.get("scale") or "1-5").strip())
        if span is None:
            raise SurveyError("评分量表只支持 1–5、1–7、1–10 或 0–10", code="invalid_scale", field="scale")
        scale: dict[str, Any] = {"min": span[0], "max": span[1]}
        for name in ("min_label", "max_label"):
            label = (form.get(name) or "").strip()
            if label:
                scale[name] = label
        question["scale"] = scale
    if kind == "matrix":
        question["rows"] = _rows(form.get("rows") or "", previous.get("rows") or [])
    if kind == "number":
        for name, label in (("min", "最小值"), ("max", "最大值")):
            value = _float(form, name, label)
            if value is not None:
                question[name] = value
        if (form.get("integer") or "") in ("on", "1", "true", "yes"):
            question["integer"] = True
        unit = (form.get("unit") or "").strip()
        if unit:
            question["unit"] = unit
    if kind in ("text", "textarea"):
        limit = _int(form, "max_length", "字数上限")
        if limit:
            question["max_length"] = limit
    condition = (form.get("show_if_question") or "").strip()
    if condition:
        values = [v for v in re.split(r"[\s,，、;；]+", (form.get("show_if_values") or "").strip()) if v]
        if not values:
            raise SurveyError("设置了显示条件时，请填写触发显示的选项（编码或标签）或分值", code="show_if_values",
                              field="show_if_values")
        question["show_if"] = {"question": condition, "values": values}
    return question


def resolve_condition_labels(question: dict[str, Any], definition: Mapping[str, Any]) -> dict[str, Any]:
    """Let staff write a skip condition's options by label: labels become the option values."""
    condition = question.get("show_if")
    if not condition:
        return question
    source = next((q for q in definition.get("questions", []) if q.get("key") == condition["question"]), None)
    if source is None:
        return question
    by_label = {o.get("label"): o.get("value") for o in source.get("options") or []}
    values = [by_label.get(v, v) for v in condition["values"]]
    return {**question, "show_if": {"question": condition["question"], "values": values}}


def _options(text: str, previous: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    known = {o.get("label"): o.get("value") for o in previous}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    parsed: list[tuple[str | None, str, float | None]] = []
    for number, line in enumerate(lines, 1):
        code: str | None = None
        head, _, score_text = line.partition("|")
        if "=" in head:
            maybe, _, rest = head.partition("=")
            if _CODE.match(maybe.strip()):
                code, head = maybe.strip(), rest
        label = head.strip()
        if not label:
            raise SurveyError(f"第{number}个选项缺少文字", code="invalid_options", field="options")
        if len(label) > 60:
            raise SurveyError(f"第{number}个选项最多60个字", code="invalid_options", field="options")
        score = None
        if score_text.strip():
            try:
                score = float(score_text.strip())
            except ValueError:
                raise SurveyError(f"第{number}个选项的分值须为0到100的数字", code="invalid_options",
                                  field="options") from None
            if not 0 <= score <= 100:
                raise SurveyError(f"第{number}个选项的分值须为0到100的数字", code="invalid_options", field="options")
        parsed.append((code or known.get(label), label, score))
    used = {code for code, _, _ in parsed if code}
    options = []
    counter = 0
    for code, label, score in parsed:
        if not code:
            counter += 1
            while str(counter) in used:
                counter += 1
            code = str(counter)
            used.add(code)
        option: dict[str, Any] = {"value": code, "label": label}
        if score is not None:
            option["score"] = int(score) if score.is_integer() else score
        options.append(option)
    return options


def _rows(text: str, previous: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    known = {r.get("label"): r.get("key") for r in previous}
    rows: list[dict[str, Any]] = []
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        key = None
        if "=" in line:
            maybe, _, rest = line.partition("=")
            if re.fullmatch(r"[a-z][a-z0-9_]{0,31}", maybe.strip()):
                key, line = maybe.strip(), rest.strip()
        if len(line) > 60:
            raise SurveyError("矩阵题每一行最多60个字", code="invalid_rows", field="rows")
        key = key or known.get(line)
        rows.append({"key": key, "label": line})
    used = {row["key"] for row in rows if row["key"]}
    counter = 0
    for row in rows:
        if row["key"] is None:
            counter += 1
            while f"r{counter}" in used:
                counter += 1
            row["key"] = f"r{counter}"
            used.add(row["key"])
    return rows


def _int(form: Mapping[str, str], name: str, label: str) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"\d{1,6}", raw):
        raise SurveyError(f"{label}须为正整数", code="invalid_number", field=name)
    return int(raw)


def _float(form: Mapping[str, str], name: str, label: str) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise SurveyError(f"{label}须为数字", code="invalid_number", field=name) from None
    return int(value) if value.is_integer() else value


def option_lines(question: Mapping[str, Any]) -> str:
    """A question's options as the builder's textarea shows them (`编码=标签|分值`)."""
    lines = []
    for option in question.get("options") or []:
        line = f"{option['value']}={option['label']}"
        if option.get("score") is not None:
            line += f"|{option['score']}"
        lines.append(line)
    return "\n".join(lines)


def row_lines(question: Mapping[str, Any]) -> str:
    return "\n".join(f"{row['key']}={row['label']}" for row in question.get("rows") or [])
