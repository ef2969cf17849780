"""What a survey found: per-question distributions, weighted dimension scores, group
comparisons, the comparison with last year's survey, and the hot words of free text.

Only submitted responses count (drafts are counted separately, never analysed: an answer
can still change). Every statistic is given twice, weighted by the design weight copied
onto each response (1 / inclusion probability, `SurveyResponse.weight`) and unweighted, so
an evaluator sees what the weighting changes; the weighted figure is the estimate for the
register, because the sample over-represents the small strata it guarantees a minimum in.

* **Versions.** A survey may have been answered on several questionnaire versions; questions
  are matched by key. Each response is scored with its own version (`definition.
  dimension_scores`), and a question is described by the newest version that has it.
* **Dimension scores** (0–100): the weighted mean, over the responses that scored the
  dimension, of each response's own dimension score (the mean of its scored answers in the
  dimension's sections). The **overall score** is the mean of the dimension scores, each
  dimension counting equally (the plan evaluates five environments, not the questions that
  happen to be in them); the per-respondent variant would let a dimension with more
  questions weigh more.
* **Groups** (district, size class, ownership): the same scores per group; a group with fewer
  than `settings.survey_min_cell` responses is listed as suppressed with no figures, so a
  small cell cannot point at the few enterprises in it.
* **Comparison** with `survey.previous`: each dimension's weighted score then and now.
* **Free text**: the count and hot words (`app.appeal.similarity.hot_words`, TF-IDF over
  jieba words), and the texts themselves, which carry no respondent.

Nothing here writes; `summarise` reads the survey's responses once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from app.config import Settings
from app.enterprise.reference import District, LabelledEnum, Ownership, SizeClass
from app.survey import definition as defs
from app.survey.errors import SurveyNotFound
from app.survey.models import Questionnaire, Survey, SurveyResponse

__all__ = [
    "GROUPINGS",
    "Category",
    "DimensionScore",
    "GroupComparison",
    "GroupRow",
    "MatrixRowSummary",
    "NumberStats",
    "QuestionSummary",
    "ResponseRecord",
    "SurveySummary",
    "dimension_table",
    "load_responses",
    "merged_questions",
    "summarise",
]

GROUPINGS: dict[str, tuple[str, type[LabelledEnum]]] = {
    "district": ("区", District),
    "size_class": ("企业规模", SizeClass),
    "ownership": ("所有制", Ownership),
}
"""The response columns results are compared by, with their Chinese name and labels."""

UNKNOWN_GROUP = "未知"
TEXT_SHOWN = 100
"""At most this many free-text answers are listed per question (newest first); all count."""
HOT_WORDS = 20


# -- the shapes a summary is made of ------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """One option or scale point: how many chose it, and its share (percent) unweighted and weighted.

    For a multiple-choice question the share is of the respondents who answered it, so the
    shares add up to more than 100."""

    value: str
    label: str
    count: int
    weighted: float
    share: float
    weighted_share: float


@dataclass(frozen=True)
class NumberStats:
    n: int
    mean: float
    weighted_mean: float
    median: float
    weighted_median: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class MatrixRowSummary:
    key: str
    label: str
    answered: int
    categories: tuple[Category, ...]
    mean: float | None
    weighted_mean: float | None
    score: float | None
    weighted_score: float | None


@dataclass(frozen=True)
class QuestionSummary:
    """One question across the submitted responses (matched by key over versions)."""

    key: str
    number: int
    title: str
    type: str
    type_label: str
    section_title: str
    dimension: str
    dimension_label: str
    scored: bool
    unit: str
    answered: int
    weighted_answered: float
    categories: tuple[Category, ...] = ()
    rows: tuple[MatrixRowSummary, ...] = ()
    numbers: NumberStats | None = None
    values: tuple[float, ...] = ()
    """A number question's answers (unweighted), for its histogram."""
    score: float | None = None
    weighted_score: float | None = None
    previous_score: float | None = None
    text_count: int = 0
    texts: tuple[str, ...] = ()
    hot_words: tuple[str, ...] = ()

    @property
    def delta(self) -> float | None:
        if self.weighted_score is None or self.previous_score is None:
            return None
        return self.weighted_score - self.previous_score


@dataclass(frozen=True)
class DimensionScore:
    """A dimension's 0–100 score (key `overall` for the overall score) now and, if known, last time."""

    key: str
    label: str
    n: int
    score: float | None
    weighted_score: float | None
    previous: float | None = None
    previous_n: int = 0

    @property
    def delta(self) -> float | None:
        if self.weighted_score is None or self.previous is None:
            return None
        return self.weighted_score - self.previous


@dataclass(frozen=True)
class GroupRow:
    """One district / size class / ownership: its responses and weighted scores (None when suppressed)."""

    key: str
    label: str
    n: int
    suppressed: bool
    scores: dict[str, float | None]
    overall: float | None


@dataclass(frozen=True)
class GroupComparison:
    by: str
    label: str
    rows: tuple[GroupRow, ...]

    @property
    def suppressed(self) -> int:
        return sum(1 for row in self.rows if row.suppressed)


@dataclass(frozen=True)
class ResponseRecord:
    """One response with its questionnaire version read (what analysis and export work on)."""

    id: int
    version: int
    definition: defs.Definition
    answers: dict[str, Any]
    weight: float
    channel: str
    district: str | None
    size_class: str | None
    ownership: str | None
    submitted: bool
    submitted_at: datetime | None
    updated_at: datetime | None
    enterprise_id: int | None


@dataclass(frozen=True)
class SurveySummary:
    survey: Survey
    submitted: int
    drafts: int
    weight_total: float
    effective_n: float
    """Kish's effective sample size (Σw)²/Σw²: what the weighting costs in precision."""
    versions: tuple[int, ...]
    dimensions: tuple[DimensionScore, ...]
    overall: DimensionScore
    questions: tuple[QuestionSummary, ...]
    groups: tuple[GroupComparison, ...]
    hot_words: tuple[str, ...]
    previous_survey: Survey | None
    min_cell: int
    dimension_labels: dict[str, str] = field(default_factory=dict)

    @property
    def dimension_keys(self) -> list[str]:
        return [d.key for d in self.dimensions]


# -- reading the responses -------------------------------------------------------------------------


async def load_responses(*, survey_id: int, submitted: bool = True) -> list[ResponseRecord]:
    """The survey's submitted responses (or drafts, `submitted=False`), oldest first, each with
    its own questionnaire version read."""
    versions = {
        q.id: (q.version, defs.load(q.definition))
        for q in await Questionnaire.filter(survey_id=survey_id)
    }
    rows = await SurveyResponse.filter(survey_id=survey_id, submitted=submitted).order_by(
        "submitted_at" if submitted else "updated_at", "id"
    ).values(
        "id", "questionnaire_id", "answers", "weight", "channel", "district", "size_class", "ownership",
        "submitted", "submitted_at", "updated_at", "enterprise_id",
    )
    records = []
    for row in rows:
        version, definition = versions[row["questionnaire_id"]]
        records.append(ResponseRecord(
            id=row["id"], version=version, definition=definition, answers=dict(row["answers"] or {}),
            weight=float(row["weight"] or 0.0), channel=row["channel"], district=_code(row["district"]),
            size_class=_code(row["size_class"]), ownership=_code(row["ownership"]), submitted=row["submitted"],
            submitted_at=row["submitted_at"], updated_at=row["updated_at"], enterprise_id=row["enterprise_id"],
        ))
    return records


def _code(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return getattr(value, "value", value)


async def merged_questions(*, survey_id: int) -> list[tuple[defs.Definition, defs.Question]]:
    """Every question key the survey's versions have, described by the newest version that has
    it: the newest version's questions in order, then keys only older versions had."""
    definitions = [defs.load(q.definition)
                   for q in await Questionnaire.filter(survey_id=survey_id).order_by("-version")]
    return _merge(definitions)


def _merge(definitions: Sequence[defs.Definition]) -> list[tuple[defs.Definition, defs.Question]]:
    seen: set[str] = set()
    merged = []
    for definition in definitions:  # newest first
        for question in definition.questions:
            if question.key not in seen:
                seen.add(question.key)
                merged.append((definition, question))
    return merged


# -- statistics --------------------------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _wmean(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Σwx/Σw over (x, w) pairs; None when there is nothing (or no weight)."""
    total = sum(w for _, w in pairs)
    if not pairs or total <= 0:
        return None
    return sum(x * w for x, w in pairs) / total


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _weighted_median(pairs: Sequence[tuple[float, float]]) -> float:
    """The smallest value at which the cumulative weight reaches half of the total."""
    ordered = sorted(pairs)
    half = sum(w for _, w in ordered) / 2
    running = 0.0
    for value, weight in ordered:
        running += weight
        if running >= half:
            return value
    return ordered[-1][0]


def _categories(labels: Sequence[tuple[str, str]], chosen: Iterable[tuple[Iterable[str], float]],
                answered: int, weighted_answered: float) -> tuple[Category, ...]:
    counts = {value: 0 for value, _ in labels}
    weights = {value: 0.0 for value, _ in labels}
    names = dict(labels)
    for values, weight in chosen:
        for value in values:
            if value not in counts:  # an option an older version had
                counts[value], weights[value] = 0, 0.0
                names.setdefault(value, value)
            counts[value] += 1
            weights[value] += weight
    return tuple(
        Category(value=value, label=names[value], count=counts[value], weighted=weights[value],
                 share=100.0 * counts[value] / answered if answered else 0.0,
                 weighted_share=100.0 * weights[value] / weighted_answered if weighted_answered else 0.0)
        for value in counts
    )


def _scale_points(question: defs.Question) -> list[tuple[str, str]]:
    scale = question.scale or defs.Scale()
    points = []
    for point in range(scale.min, scale.max + 1):
        label = f"{point}分"
        if point == scale.min and scale.min_label:
            label = f"{point}分（{scale.min_label}）"
        elif point == scale.max and scale.max_label:
            label = f"{point}分（{scale.max_label}）"
        points.append((str(point), label))
    return points


def _option_labels(question: defs.Question, older: Sequence[defs.Question]) -> list[tuple[str, str]]:
    labels = [(option.value, option.label) for option in question.options]
    known = {value for value, _ in labels}
    for other in older:
        for option in other.options:
            if option.value not in known:
                known.add(option.value)
                labels.append((option.value, option.label))
    return labels


def _summarise_question(
    number: int, definition: defs.Definition, question: defs.Question, responses: Sequence[ResponseRecord],
    all_versions: Sequence[defs.Definition],
) -> QuestionSummary:
    """One question over the responses whose version has it with the same type."""
    given: list[tuple[Any, float, defs.Question]] = []
    for response in responses:
        value = response.answers.get(question.key)
        if value is None:
            continue
        try:
            own = response.definition.question(question.key)
        except KeyError:
            continue
        if own.type != question.type:
            continue  # the key was reused for another kind of question: not comparable
        given.append((value, response.weight, own))
    answered = len(given)
    weighted_answered = sum(w for _, w, _ in given)
    section = definition.section(question.section)
    dimension = section.dimension
    scores = [(s, w) for v, w, own in given if (s := defs.question_score(own, v)) is not None]
    base: dict[str, Any] = dict(
        key=question.key, number=number, title=question.title, type=question.type, type_label=question.type_label,
        section_title=section.title, dimension=dimension, dimension_label=defs.DIMENSIONS.get(dimension, dimension),
        scored=question.is_scored and dimension in defs.SCORED_DIMENSIONS, unit=question.unit, answered=answered,
        weighted_answered=weighted_answered,
        score=_mean([s for s, _ in scores]), weighted_score=_wmean(scores),
    )
    older = [q for d in all_versions for q in d.questions if q.key == question.key and q is not question]
    kind = question.type
    if kind in ("single", "multiple"):
        chosen = [([str(v)] if kind == "single" else [str(x) for x in v], w) for v, w, _ in given]
        base["categories"] = _categories(_option_labels(question, older), chosen, answered, weighted_answered)
    elif kind == "rating":
        chosen = [([str(v)], w) for v, w, _ in given]
        base["categories"] = _categories(_scale_points(question), chosen, answered, weighted_answered)
        base["numbers"] = _numbers([(float(v), w) for v, w, _ in given])
    elif kind == "number":
        base["numbers"] = _numbers([(float(v), w) for v, w, _ in given])
        base["values"] = tuple(float(v) for v, _, _ in given)
    elif kind == "matrix":
        base["rows"] = tuple(_matrix_row(question, row, given) for row in question.rows)
    elif kind in defs.TEXT_TYPES:
        texts = [str(v).strip() for v, _, _ in given if str(v).strip()]
        base["text_count"] = len(texts)
        base["texts"] = tuple(reversed(texts[-TEXT_SHOWN:]))
    return QuestionSummary(**base)


def _numbers(pairs: Sequence[tuple[float, float]]) -> NumberStats | None:
    if not pairs:
        return None
    values = [x for x, _ in pairs]
    return NumberStats(
        n=len(values), mean=sum(values) / len(values), weighted_mean=_wmean(pairs) or 0.0, median=_median(values),
        weighted_median=_weighted_median(pairs) if sum(w for _, w in pairs) > 0 else _median(values),
        minimum=min(values), maximum=max(values),
    )


def _matrix_row(question: defs.Question, row: Any, given: Sequence[tuple[Any, float, defs.Question]]) -> MatrixRowSummary:
    scale = question.scale or defs.Scale()
    pairs = [(float(v[row.key]), w) for v, w, _ in given if isinstance(v, dict) and v.get(row.key) is not None]
    span = scale.max - scale.min
    scores = [((x - scale.min) * 100.0 / span, w) for x, w in pairs]
    weighted_answered = sum(w for _, w in pairs)
    return MatrixRowSummary(
        key=row.key, label=row.label, answered=len(pairs),
        categories=_categories(_scale_points(question), [([str(int(x))], w) for x, w in pairs], len(pairs),
                               weighted_answered),
        mean=_mean([x for x, _ in pairs]), weighted_mean=_wmean(pairs),
        score=_mean([s for s, _ in scores]), weighted_score=_wmean(scores),
    )


def _response_dimensions(response: ResponseRecord) -> dict[str, float]:
    return defs.dimension_scores(response.definition, response.answers)


DimensionRows = dict[str, tuple[int, float | None, float | None]]
"""Per dimension: (responses that scored it, unweighted mean, weighted mean)."""


def _dimension_rows(responses: Sequence[ResponseRecord], keys: Sequence[str]) -> DimensionRows:
    """Per dimension: (responses that scored it, unweighted mean, weighted mean)."""
    per: dict[str, list[tuple[float, float]]] = {key: [] for key in keys}
    for response in responses:
        for key, score in _response_dimensions(response).items():
            per.setdefault(key, []).append((score, response.weight))
    return {key: (len(pairs), _mean([s for s, _ in pairs]), _wmean(pairs)) for key, pairs in per.items()}


def _overall(rows: DimensionRows, keys: Sequence[str], *,
             weighted: bool) -> float | None:
    values = [rows[key][2 if weighted else 1] for key in keys if key in rows]
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _dimension_keys(definitions: Iterable[defs.Definition]) -> list[str]:
    used: set[str] = set()
    for definition in definitions:
        used.update(defs.dimensions_of(definition))
    return [key for key in defs.SCORED_DIMENSIONS if key in used]


async def dimension_table(*, survey_id: int) -> tuple[int, DimensionRows, float | None]:
    """A survey's submitted count, its dimension rows (n, unweighted, weighted) and weighted
    overall score: what a later survey compares itself with."""
    return _dimension_table(await load_responses(survey_id=survey_id))


def _dimension_table(responses: Sequence[ResponseRecord]) -> tuple[int, DimensionRows, float | None]:
    keys = _dimension_keys({id(r.definition): r.definition for r in responses}.values())
    rows = _dimension_rows(responses, keys)
    return len(responses), rows, _overall(rows, keys, weighted=True)


def _groups(responses: Sequence[ResponseRecord], keys: Sequence[str], min_cell: int) -> tuple[GroupComparison, ...]:
    comparisons = []
    for column, (label, enum) in GROUPINGS.items():
        members: dict[str | None, list[ResponseRecord]] = {}
        for response in responses:
            members.setdefault(getattr(response, column), []).append(response)
        order = {member.value: position for position, member in enumerate(enum)}
        rows = []
        for code in sorted(members, key=lambda c: order.get(c, len(order)) if c is not None else len(order) + 1):
            group = members[code]
            name = enum.labels().get(code, code) if code is not None else UNKNOWN_GROUP
            if len(group) < min_cell:
                rows.append(GroupRow(key=code or "", label=name, n=len(group), suppressed=True,
                                     scores={key: None for key in keys}, overall=None))
                continue
            table = _dimension_rows(group, keys)
            rows.append(GroupRow(key=code or "", label=name, n=len(group), suppressed=False,
                                 scores={key: table[key][2] for key in keys},
                                 overall=_overall(table, keys, weighted=True)))
        comparisons.append(GroupComparison(by=column, label=label, rows=tuple(rows)))
    return tuple(comparisons)


def _question_scores(responses: Sequence[ResponseRecord]) -> dict[str, float | None]:
    """Each scored question's weighted mean score, by key."""
    pairs: dict[str, list[tuple[float, float]]] = {}
    for response in responses:
        for question in defs.visible_questions(response.definition, response.answers):
            score = defs.question_score(question, response.answers.get(question.key))
            if score is not None:
                pairs.setdefault(question.key, []).append((score, response.weight))
    return {key: _wmean(values) for key, values in pairs.items()}


async def _hot_words(texts: list[str], limit: int) -> list[str]:
    if not texts:
        return []
    from app.appeal.similarity import hot_words
    from app.policy import segment

    await segment.ensure_ready()
    return await asyncio.to_thread(hot_words, texts, limit)


async def summarise(*, survey_id: int, settings: Settings) -> SurveySummary:
    """The survey's results (see the module's docstring for every definition). `SurveyNotFound`
    if there is no such survey."""
    survey = await Survey.get_or_none(id=survey_id)
    if survey is None:
        raise SurveyNotFound()
    responses = await load_responses(survey_id=survey_id)
    drafts = await SurveyResponse.filter(survey_id=survey_id, submitted=False).count()
    all_definitions = [defs.load(q.definition)
                       for q in await Questionnaire.filter(survey_id=survey_id).order_by("-version")]
    keys = _dimension_keys(all_definitions)
    table = _dimension_rows(responses, keys)

    previous = await Survey.get_or_none(id=survey.previous_id) if survey.previous_id else None
    previous_rows: DimensionRows = {}
    previous_overall: float | None = None
    previous_n = 0
    previous_questions: dict[str, float | None] = {}
    if previous is not None:
        earlier = await load_responses(survey_id=previous.id)
        previous_n, previous_rows, previous_overall = _dimension_table(earlier)
        previous_questions = _question_scores(earlier)

    dimensions = tuple(
        DimensionScore(key=key, label=defs.DIMENSIONS[key], n=table[key][0], score=table[key][1],
                       weighted_score=table[key][2],
                       previous=previous_rows.get(key, (0, None, None))[2],
                       previous_n=previous_rows.get(key, (0, None, None))[0])
        for key in keys
    )
    overall = DimensionScore(
        key="overall", label="综合得分", n=sum(1 for r in responses if _response_dimensions(r)),
        score=_overall(table, keys, weighted=False), weighted_score=_overall(table, keys, weighted=True),
        previous=previous_overall, previous_n=previous_n,
    )

    questions = []
    for number, (definition, question) in enumerate(_merge(all_definitions), 1):
        summary = _summarise_question(number, definition, question, responses, all_definitions)
        if summary.scored and question.key in previous_questions:
            summary = _replace(summary, previous_score=previous_questions[question.key])
        questions.append(summary)
    all_texts: list[str] = []
    for position, summary in enumerate(questions):
        if summary.type in defs.TEXT_TYPES and summary.text_count:
            texts = [str(r.answers[summary.key]) for r in responses
                     if isinstance(r.answers.get(summary.key), str) and r.answers[summary.key].strip()]
            all_texts.extend(texts)
            questions[position] = _replace(summary, hot_words=tuple(await _hot_words(texts, HOT_WORDS)))

    weights = [r.weight for r in responses]
    squares = sum(w * w for w in weights)
    return SurveySummary(
        survey=survey, submitted=len(responses), drafts=drafts, weight_total=sum(weights),
        effective_n=(sum(weights) ** 2 / squares) if squares > 0 else 0.0,
        versions=tuple(sorted({r.version for r in responses})), dimensions=dimensions, overall=overall,
        questions=tuple(questions), groups=_groups(responses, keys, settings.survey_min_cell),
        hot_words=tuple(await _hot_words(all_texts, HOT_WORDS)), previous_survey=previous,
        min_cell=settings.survey_min_cell, dimension_labels={key: defs.DIMENSIONS[key] for key in keys},
    )


def _replace(summary: QuestionSummary, **changes: Any) -> QuestionSummary:
    return replace(summary, **changes)
