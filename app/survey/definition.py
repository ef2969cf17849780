"""What a questionnaire is, what an answer may be, and what it scores: the one reading of
`Questionnaire.definition` that the builder, every answering channel and the analysis share.

A definition is JSON:

    {"sections": [{"key": "s1", "title": "开办企业", "dimension": "government"}, ...],
     "questions": [{"key": "q1", "section": "s1", "type": "rating", "title": "...",
                    "required": true, "scale": {"min": 1, "max": 5, "min_label": "很不满意",
                    "max_label": "很满意"}, "show_if": {"question": "q0", "values": ["yes"]}}, ...]}

Question types and the value an answer stores:

* `single` — one option's `value` (str); options may carry a `score` (0–100) to count
  towards the section's dimension (e.g. 很满意 100 … 很不满意 0);
* `multiple` — a list of option values (`min_choices` / `max_choices`);
* `rating` — an int on the question's scale (1–5 or 0–10);
* `matrix` — {row key: int on the scale} (rows rated on one scale, e.g. departments);
* `number` — an int or float between `min` and `max` (`integer` true: whole numbers);
* `text` (short, one line) / `textarea` (long) — a str of at most `max_length` characters.

Skip logic: `show_if` shows a question only when an earlier `single` / `multiple` /
`rating` question's answer is (or contains) one of `values`. A hidden question is
neither asked nor required, and its answer (if the respondent changed their mind) is
dropped on submission (`prune`).

Scores: a rating maps linearly to 0–100 over its scale; a matrix is the mean of its rows;
a single choice is its option's score when it has one. A dimension's score is the mean
of its scored answers (`dimension_scores`); `app.survey.analysis` weights them across
respondents.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "DIMENSIONS",
    "QUESTION_TYPES",
    "AnswerInvalid",
    "Definition",
    "DefinitionInvalid",
    "Option",
    "Question",
    "Scale",
    "Section",
    "ShowIf",
    "answer_text",
    "dimension_scores",
    "is_answered",
    "load",
    "missing_required",
    "progress",
    "prune",
    "question_score",
    "read_answer",
    "visible_questions",
]

DIMENSIONS: dict[str, str] = {
    "government": "政务环境",
    "market": "市场环境",
    "social": "社会环境",
    "legal": "法治环境",
    "industry": "产业环境",
    "service": "部门服务",
    "profile": "基本情况（不计分）",
}
"""Evaluation dimensions a section maps to (the plan's five, the department-service
survey's, and `profile` for questions that describe the respondent and do not score)."""

SCORED_DIMENSIONS = tuple(key for key in DIMENSIONS if key != "profile")

QUESTION_TYPES: dict[str, str] = {
    "single": "单选题",
    "multiple": "多选题",
    "rating": "评分题",
    "matrix": "矩阵评分题",
    "number": "数字题",
    "text": "简答题",
    "textarea": "问答题",
}
CHOICE_TYPES = frozenset({"single", "multiple"})
SCALE_TYPES = frozenset({"rating", "matrix"})
TEXT_TYPES = frozenset({"text", "textarea"})
CONDITION_TYPES = frozenset({"single", "multiple", "rating"})

_KEY = r"^[a-z][a-z0-9_]{0,31}$"
MAX_QUESTIONS = 200
MAX_OPTIONS = 30


class DefinitionInvalid(ValueError):
    """A questionnaire definition staff wrote does not hold together; `problems` lists why, in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


class AnswerInvalid(ValueError):
    """An answer does not fit its question; `message` is what the respondent reads."""

    def __init__(self, question: str, message: str) -> None:
        super().__init__(message)
        self.question = question
        self.message = message


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Section(_Model):
    key: str = Field(pattern=_KEY)
    title: str = Field(min_length=1, max_length=60)
    dimension: str = "profile"
    description: str = Field(default="", max_length=500)

    @field_validator("dimension")
    @classmethod
    def _known_dimension(cls, value: str) -> str:
        if value not in DIMENSIONS:
            raise ValueError(f"未知的评估维度“{value}”")
        return value


class Option(_Model):
    value: str = Field(min_length=1, max_length=32)
    label: str = Field(min_length=1, max_length=60)
    score: float | None = Field(default=None, ge=0, le=100)


class Scale(_Model):
    min: int = 1
    max: int = 5
    min_label: str = Field(default="", max_length=20)
    max_label: str = Field(default="", max_length=20)

    @model_validator(mode="after")
    def _supported(self) -> "Scale":
        if (self.min, self.max) not in ((1, 5), (0, 10), (1, 10), (1, 7)):
            raise ValueError("评分量表只支持 1–5、1–7、1–10 或 0–10")
        return self

    def contains(self, value: int) -> bool:
        return self.min <= value <= self.max


class Row(_Model):
    key: str = Field(pattern=_KEY)
    label: str = Field(min_length=1, max_length=60)


class ShowIf(_Model):
    question: str
    values: tuple[str, ...] = Field(min_length=1)


class Question(_Model):
    key: str = Field(pattern=_KEY)
    section: str
    type: Literal["single", "multiple", "rating", "matrix", "number", "text", "textarea"]
    title: str = Field(min_length=1, max_length=300)
    help: str = Field(default="", max_length=300)
    required: bool = True
    options: tuple[Option, ...] = ()
    min_choices: int | None = Field(default=None, ge=1)
    max_choices: int | None = Field(default=None, ge=1)
    scale: Scale | None = None
    rows: tuple[Row, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = False
    unit: str = Field(default="", max_length=10)
    max_length: int = Field(default=0, ge=0, le=2000)
    show_if: ShowIf | None = None

    @property
    def type_label(self) -> str:
        return QUESTION_TYPES[self.type]

    @property
    def text_limit(self) -> int:
        return self.max_length or (100 if self.type == "text" else 1000)

    @property
    def is_scored(self) -> bool:
        if self.type in SCALE_TYPES:
            return True
        return self.type == "single" and any(option.score is not None for option in self.options)

    def option(self, value: str) -> Option | None:
        for option in self.options:
            if option.value == value:
                return option
        return None

    def problems(self) -> list[str]:
        name = f"题目 {self.key}"
        found: list[str] = []
        if self.type in CHOICE_TYPES:
            if len(self.options) < 2:
                found.append(f"{name}：选择题至少需要两个选项")
            if len(self.options) > MAX_OPTIONS:
                found.append(f"{name}：选项不能超过{MAX_OPTIONS}个")
            values = [option.value for option in self.options]
            if len(set(values)) != len(values):
                found.append(f"{name}：选项的值不能重复")
        elif self.options:
            found.append(f"{name}：{self.type_label}不设选项")
        if self.type == "multiple" and self.min_choices and self.max_choices and self.min_choices > self.max_choices:
            found.append(f"{name}：最少选择数不能大于最多选择数")
        if self.type in SCALE_TYPES and self.scale is None:
            found.append(f"{name}：评分题需要设置量表")
        if self.type == "matrix":
            keys = [row.key for row in self.rows]
            if not keys:
                found.append(f"{name}：矩阵题至少需要一行")
            if len(set(keys)) != len(keys):
                found.append(f"{name}：矩阵题的行不能重复")
        elif self.rows:
            found.append(f"{name}：只有矩阵题设置行")
        if self.type == "number" and self.min is not None and self.max is not None and self.min > self.max:
            found.append(f"{name}：最小值不能大于最大值")
        return found


class Definition(_Model):
    sections: tuple[Section, ...] = Field(min_length=1)
    questions: tuple[Question, ...] = Field(min_length=1, max_length=MAX_QUESTIONS)

    @model_validator(mode="after")
    def _consistent(self) -> "Definition":
        problems: list[str] = []
        section_keys = [section.key for section in self.sections]
        if len(set(section_keys)) != len(section_keys):
            problems.append("部分的编号不能重复")
        question_keys = [question.key for question in self.questions]
        if len(set(question_keys)) != len(question_keys):
            problems.append("题目的编号不能重复")
        seen: dict[str, Question] = {}
        for question in self.questions:
            if question.section not in section_keys:
                problems.append(f"题目 {question.key}：所属部分 {question.section} 不存在")
            problems.extend(question.problems())
            if question.show_if is not None:
                condition = seen.get(question.show_if.question)
                if condition is None:
                    problems.append(f"题目 {question.key}：显示条件只能引用它前面的题目")
                elif condition.type not in CONDITION_TYPES:
                    problems.append(f"题目 {question.key}：显示条件只能引用单选、多选或评分题")
                elif condition.type in CHOICE_TYPES:
                    unknown = [v for v in question.show_if.values if condition.option(v) is None]
                    if unknown:
                        problems.append(f"题目 {question.key}：显示条件的选项 {'、'.join(unknown)} 不存在")
            seen[question.key] = question
        if problems:
            raise DefinitionInvalid(problems)
        return self

    def question(self, key: str) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def dimension_of(self, question: Question) -> str:
        return self.section(question.section).dimension

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=True)


def load(data: Mapping[str, Any] | Definition) -> Definition:
    """The definition from its JSON; `DefinitionInvalid` with every problem found, in Chinese."""
    if isinstance(data, Definition):
        return data
    try:
        return Definition.model_validate(data)
    except DefinitionInvalid:
        raise
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            cause = error.get("ctx", {}).get("error")
            if isinstance(cause, DefinitionInvalid):
                problems.extend(cause.problems)
                continue
            where = ".".join(str(part) for part in error.get("loc", ()))
            problems.append(f"{where}：{error.get('msg', '')}" if where else str(error.get("msg", "")))
        raise DefinitionInvalid(problems or ["问卷格式不正确"]) from None


# -- skip logic and progress ------------------------------------------------------------------


def _shown(question: Question, answers: Mapping[str, Any], shown: set[str]) -> bool:
    condition = question.show_if
    if condition is None:
        return True
    if condition.question not in shown:
        return False
    given = answers.get(condition.question)
    if given is None:
        return False
    given_values = {str(v) for v in given} if isinstance(given, list) else {str(given)}
    return bool(given_values & set(condition.values))


def visible_questions(definition: Definition, answers: Mapping[str, Any]) -> list[Question]:
    """The questions asked for these answers, in order (a question whose condition's
    question is itself hidden is hidden too)."""
    shown: set[str] = set()
    visible = []
    for question in definition.questions:
        if _shown(question, answers, shown):
            shown.add(question.key)
            visible.append(question)
    return visible


def is_answered(question: Question, answers: Mapping[str, Any]) -> bool:
    value = answers.get(question.key)
    if value is None:
        return False
    if question.type == "matrix":
        return isinstance(value, dict) and all(row.key in value for row in question.rows)
    if isinstance(value, (list, dict, str)):
        return len(value) > 0
    return True


def missing_required(definition: Definition, answers: Mapping[str, Any]) -> list[Question]:
    """Visible required questions without an answer, in order."""
    return [q for q in visible_questions(definition, answers) if q.required and not is_answered(q, answers)]


def progress(definition: Definition, answers: Mapping[str, Any]) -> tuple[int, int]:
    """(answered, asked) over the visible questions: what a progress bar shows."""
    visible = visible_questions(definition, answers)
    return sum(1 for q in visible if is_answered(q, answers)), len(visible)


def prune(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers of visible questions only (a changed condition drops what it hid)."""
    keep = {q.key for q in visible_questions(definition, answers)}
    return {key: value for key, value in answers.items() if key in keep and value is not None}


# -- reading one answer ---------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s,，、;；/]+")


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        cleaned = _clean(value).rstrip("分")
        if re.fullmatch(r"-?\d{1,6}", cleaned):
            return int(cleaned)
    return None


def _choice_value(question: Question, value: Any, *, by_number: bool = False) -> str | None:
    """An option's value from its value, its label, or (for chat) its 1-based number.

    In chat a number is the option's place in the list even when option values are digits
    themselves (非常满意 "5" listed first: "1" means 非常满意, not the option valued "1")."""
    text = _clean(str(value)) if value is not None else ""
    if not text:
        return None
    if by_number and re.fullmatch(r"\d{1,2}", text) and 1 <= int(text) <= len(question.options):
        return question.options[int(text) - 1].value
    if question.option(text) is not None:
        return text
    for option in question.options:
        if text == option.label:
            return option.value
    return None


def read_answer(question: Question, value: Any, *, by_number: bool = False) -> Any:
    """The value to store for `value` (from a form, JSON or chat text), or `AnswerInvalid`.

    `by_number` (the chat) also accepts a choice's position in the list ("2", "1 3"), and
    reads a matrix as its rows' scores in order ("5 4 5"). None or empty text means "no
    answer" and returns None (whether that is allowed is `missing_required`'s question).
    """
    if value is None or (isinstance(value, (str, list, dict)) and len(value) == 0):
        return None
    kind = question.type
    if kind == "single":
        return _read_single(question, value, by_number=by_number)
    if kind == "multiple":
        return _read_multiple(question, value, by_number=by_number)
    if kind == "rating":
        return _read_scale(question, value)
    if kind == "matrix":
        return _read_matrix(question, value)
    if kind == "number":
        return _read_number(question, value)
    return _read_text(question, value)


def _read_single(question: Question, value: Any, *, by_number: bool) -> str:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise AnswerInvalid(question.key, "请选择一个选项")
    found = _choice_value(question, value, by_number=by_number)
    if found is None and by_number:
        position = _as_int(value)
        if position is not None and 1 <= position <= len(question.options):
            found = question.options[position - 1].value
    if found is None:
        raise AnswerInvalid(question.key, f"请回复选项前的数字（1-{len(question.options)}）" if by_number
                            else "请从给出的选项中选择")
    return found


def _read_multiple(question: Question, value: Any, *, by_number: bool) -> list[str]:
    if isinstance(value, str):
        parts = [p for p in _SEPARATORS.split(_clean(value)) if p]
        if by_number and len(parts) == 1 and parts[0].isdigit() and len(parts[0]) > 1 and len(question.options) < 10:
            parts = list(parts[0])  # "135" in chat: options 1, 3 and 5
    elif isinstance(value, list):
        parts = value
    else:
        raise AnswerInvalid(question.key, "请选择一个或多个选项")
    chosen: list[str] = []
    for part in parts:
        found = None
        if isinstance(part, (str, int)) and not isinstance(part, bool):
            found = _choice_value(question, part, by_number=by_number)
            if found is None and by_number:
                position = _as_int(part)
                if position is not None and 1 <= position <= len(question.options):
                    found = question.options[position - 1].value
        if found is None:
            raise AnswerInvalid(question.key, f"请回复选项前的数字，多个用空格隔开（1-{len(question.options)}）"
                                if by_number else "请从给出的选项中选择")
        if found not in chosen:
            chosen.append(found)
    order = {option.value: position for position, option in enumerate(question.options)}
    chosen.sort(key=order.__getitem__)
    if question.min_choices and len(chosen) < question.min_choices:
        raise AnswerInvalid(question.key, f"请至少选择{question.min_choices}项")
    if question.max_choices and len(chosen) > question.max_choices:
        raise AnswerInvalid(question.key, f"最多选择{question.max_choices}项")
    return chosen


def _read_scale(question: Question, value: Any) -> int:
    scale = question.scale or Scale()
    number = _as_int(value)
    if number is None or not scale.contains(number):
        raise AnswerInvalid(question.key, f"请回复 {scale.min} 到 {scale.max} 之间的整数")
    return number


def _read_matrix(question: Question, value: Any) -> dict[str, int]:
    scale = question.scale or Scale()
    rows = [row.key for row in question.rows]
    if isinstance(value, str):
        parts = [p for p in _SEPARATORS.split(_clean(value)) if p]
        if len(parts) == 1 and len(parts[0]) == len(rows) and parts[0].isdigit() and scale.max < 10:
            parts = list(parts[0])
        if len(parts) != len(rows):
            raise AnswerInvalid(question.key, f"请按顺序为 {len(rows)} 项各回复一个 {scale.min}–{scale.max} 的数字，用空格隔开")
        value = dict(zip(rows, parts, strict=True))
    if not isinstance(value, dict):
        raise AnswerInvalid(question.key, "矩阵题的答案格式不正确")
    unknown = [key for key in value if key not in rows]
    if unknown:
        raise AnswerInvalid(question.key, f"没有这一行：{'、'.join(map(str, unknown))}")
    read: dict[str, int] = {}
    for key in rows:
        if key not in value or value[key] in (None, ""):
            continue
        number = _as_int(value[key])
        if number is None or not scale.contains(number):
            label = next(row.label for row in question.rows if row.key == key)
            raise AnswerInvalid(question.key, f"“{label}”请评 {scale.min} 到 {scale.max} 分")
        read[key] = number
    return read  # a draft may rate some rows; `is_answered` wants them all


def _read_number(question: Question, value: Any) -> int | float:
    if isinstance(value, bool):
        raise AnswerInvalid(question.key, "请填写一个数字")
    if isinstance(value, str):
        cleaned = _clean(value).replace(",", "")
        if question.unit and cleaned.endswith(question.unit):
            cleaned = cleaned[: -len(question.unit)].strip()
        try:
            number = float(cleaned)
        except ValueError:
            raise AnswerInvalid(question.key, "请填写一个数字") from None
    elif isinstance(value, (int, float)):
        number = float(value)
    else:
        raise AnswerInvalid(question.key, "请填写一个数字")
    if not math.isfinite(number):
        raise AnswerInvalid(question.key, "请填写一个数字")
    if question.integer and not number.is_integer():
        raise AnswerInvalid(question.key, "请填写整数")
    unit = question.unit
    if question.min is not None and number < question.min:
        raise AnswerInvalid(question.key, f"不能小于{_number_text(question.min)}{unit}")
    if question.max is not None and number > question.max:
        raise AnswerInvalid(question.key, f"不能大于{_number_text(question.max)}{unit}")
    return int(number) if number.is_integer() else number


def _read_text(question: Question, value: Any) -> str:
    if not isinstance(value, str):
        raise AnswerInvalid(question.key, "请填写文字")
    text = value.strip()
    if question.type == "text":
        text = " ".join(text.split())
    if len(text) > question.text_limit:
        raise AnswerInvalid(question.key, f"内容太长了，请控制在{question.text_limit}字以内")
    return text


def _number_text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


# -- reading back and scoring ---------------------------------------------------------------------


def answer_text(question: Question, value: Any) -> str:
    """An answer as a person reads it (labels, not codes): chat summaries and exports."""
    if value is None or value == [] or value == {}:
        return "（未回答）"
    if question.type == "single":
        option = question.option(str(value))
        return option.label if option else str(value)
    if question.type == "multiple":
        return "、".join((question.option(str(v)).label if question.option(str(v)) else str(v)) for v in value)
    if question.type == "rating":
        scale = question.scale or Scale()
        return f"{value}分（{scale.min}–{scale.max}）"
    if question.type == "matrix":
        labels = {row.key: row.label for row in question.rows}
        return "；".join(f"{labels.get(k, k)} {v}分" for k, v in value.items())
    if question.type == "number":
        return f"{_number_text(float(value))}{question.unit}"
    return str(value)


def question_score(question: Question, value: Any) -> float | None:
    """The answer on 0–100, or None when the question does not score or was not answered."""
    if value is None:
        return None
    if question.type == "rating":
        scale = question.scale or Scale()
        return (int(value) - scale.min) * 100.0 / (scale.max - scale.min)
    if question.type == "matrix":
        scale = question.scale or Scale()
        scores = [(int(v) - scale.min) * 100.0 / (scale.max - scale.min) for v in (value or {}).values()]
        return sum(scores) / len(scores) if scores else None
    if question.type == "single":
        option = question.option(str(value))
        return option.score if option is not None else None
    return None


def dimension_scores(definition: Definition, answers: Mapping[str, Any]) -> dict[str, float]:
    """One respondent's mean 0–100 score per scored dimension (only those with answers)."""
    totals: dict[str, list[float]] = {}
    for question in visible_questions(definition, answers):
        dimension = definition.dimension_of(question)
        if dimension not in SCORED_DIMENSIONS:
            continue
        score = question_score(question, answers.get(question.key))
        if score is not None:
            totals.setdefault(dimension, []).append(score)
    return {dimension: sum(scores) / len(scores) for dimension, scores in totals.items()}


def dimensions_of(definition: Definition) -> list[str]:
    """The scored dimensions the questionnaire covers, in DIMENSIONS order."""
    used = {definition.dimension_of(q) for q in definition.questions if q.is_scored}
    return [key for key in SCORED_DIMENSIONS if key in used]


def iter_text_answers(definition: Definition, answers: Mapping[str, Any]) -> Iterable[tuple[Question, str]]:
    """The free-text answers (for hot words)."""
    for question in definition.questions:
        value = answers.get(question.key)
        if question.type in TEXT_TYPES and isinstance(value, str) and value.strip():
            yield question, value
