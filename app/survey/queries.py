"""The read side of survey building for the admin: the survey list, one survey's overview
counts, and its questionnaire versions as the builder shows them.

Counts only: nothing here reads an answer (`app.survey.analysis` does, for results)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.functions import Count

from app.survey import definition as defs
from app.survey.models import Disposition, Questionnaire, Survey, SurveyKind, SurveyResponse, SurveySample, SurveyStatus

__all__ = [
    "BuilderView",
    "QuestionRow",
    "SectionView",
    "SurveyCounts",
    "SurveyRow",
    "VersionRow",
    "builder_view",
    "previous_choices",
    "survey_counts",
    "survey_list",
    "versions_of",
]

PAGE_SIZE = 30


@dataclass(frozen=True)
class SurveyRow:
    survey: Survey
    submitted: int
    drafts: int
    sampled: int


async def _count_by_survey(model: Any, survey_ids: list[int], **filters: Any) -> dict[int, int]:
    if not survey_ids:
        return {}
    rows = await (model.filter(survey_id__in=survey_ids, **filters).annotate(n=Count("id"))
                  .group_by("survey_id").values_list("survey_id", "n"))
    return {survey_id: n for survey_id, n in rows}


async def survey_list(*, status: SurveyStatus | None = None, kind: SurveyKind | None = None, year: int | None = None,
                      page: int = 1) -> tuple[list[SurveyRow], int]:
    """Surveys newest first with their response counts (submitted, drafts) and sample size."""
    query = Survey.all()
    if status is not None:
        query = query.filter(status=status)
    if kind is not None:
        query = query.filter(kind=kind)
    if year is not None:
        query = query.filter(year=year)
    total = await query.count()
    page = max(1, page)
    surveys = await query.order_by("-id").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ids = [s.id for s in surveys]
    submitted = await _count_by_survey(SurveyResponse, ids, submitted=True)
    drafts = await _count_by_survey(SurveyResponse, ids, submitted=False)
    sampled = await _count_by_survey(SurveySample, ids)
    return [SurveyRow(s, submitted.get(s.id, 0), drafts.get(s.id, 0), sampled.get(s.id, 0)) for s in surveys], total


@dataclass(frozen=True)
class SurveyCounts:
    sampled: int
    invited: int
    submitted: int
    drafts: int
    by_disposition: dict[Disposition, int] = field(default_factory=dict)
    versions: int = 0
    published_version: int | None = None
    questions: int = 0


async def survey_counts(*, survey_id: int) -> SurveyCounts:
    """The overview's numbers: sample, invitations, responses, dispositions, questionnaire."""
    dispositions = dict(
        await SurveySample.filter(survey_id=survey_id).annotate(n=Count("id")).group_by("disposition")
        .values_list("disposition", "n")
    )
    by_disposition = {d: int(dispositions.get(d.value, dispositions.get(d, 0)) or 0) for d in Disposition}
    newest = await Questionnaire.filter(survey_id=survey_id).order_by("-version").first()
    published = await Questionnaire.filter(survey_id=survey_id, published_at__isnull=False).order_by("-version").first()
    return SurveyCounts(
        sampled=sum(by_disposition.values()),
        invited=await SurveySample.filter(survey_id=survey_id, invited_at__isnull=False).count(),
        submitted=await SurveyResponse.filter(survey_id=survey_id, submitted=True).count(),
        drafts=await SurveyResponse.filter(survey_id=survey_id, submitted=False).count(),
        by_disposition=by_disposition,
        versions=await Questionnaire.filter(survey_id=survey_id).count(),
        published_version=published.version if published else None,
        questions=len((newest.definition or {}).get("questions") or []) if newest else 0,
    )


async def previous_choices(*, exclude: int | None = None) -> list[Survey]:
    """Surveys a survey may be compared with (last year's), newest first."""
    query = Survey.all().order_by("-year", "-id")
    if exclude is not None:
        query = query.exclude(id=exclude)
    return await query.limit(200)


@dataclass(frozen=True)
class VersionRow:
    questionnaire: Questionnaire
    responses: int

    @property
    def frozen(self) -> bool:
        return self.responses > 0


async def versions_of(*, survey_id: int) -> list[VersionRow]:
    """Every questionnaire version, newest first, with how many responses use it."""
    versions = await Questionnaire.filter(survey_id=survey_id).order_by("-version")
    counts = dict(
        await SurveyResponse.filter(survey_id=survey_id).annotate(n=Count("id")).group_by("questionnaire_id")
        .values_list("questionnaire_id", "n")
    )
    return [VersionRow(q, int(counts.get(q.id, 0))) for q in versions]


@dataclass(frozen=True)
class QuestionRow:
    number: int
    data: dict[str, Any]
    question: defs.Question | None
    """The parsed question (None only if a stored draft does not parse, which `_check` prevents)."""

    @property
    def key(self) -> str:
        return str(self.data.get("key", ""))


@dataclass(frozen=True)
class SectionView:
    data: dict[str, Any]
    dimension_label: str
    questions: list[QuestionRow]

    @property
    def key(self) -> str:
        return str(self.data.get("key", ""))


@dataclass(frozen=True)
class BuilderView:
    questionnaire: Questionnaire | None
    sections: list[SectionView]
    questions: dict[str, dict[str, Any]]
    """key -> question JSON (for skip conditions' labels)."""
    scored_dimensions: list[str]
    problems: list[str]
    """Why the version could not be published as it stands (empty: it can)."""


def builder_view(questionnaire: Questionnaire | None) -> BuilderView:
    """A version's sections with their numbered questions, as the builder lists them."""
    if questionnaire is None:
        return BuilderView(None, [], {}, [], ["问卷还没有题目"])
    data = questionnaire.definition or {}
    parsed: dict[str, defs.Question] = {}
    problems: list[str] = []
    scored: list[str] = []
    if not data.get("questions"):
        problems.append("问卷还没有题目")
    else:
        try:
            definition = defs.load(data)
        except defs.DefinitionInvalid as invalid:
            problems.extend(invalid.problems)
        else:
            parsed = {q.key: q for q in definition.questions}
            scored = defs.dimensions_of(definition)
    numbers = {q.get("key"): n for n, q in enumerate(data.get("questions") or [], 1)}
    sections = []
    for section in data.get("sections") or []:
        rows = [QuestionRow(numbers[q.get("key")], q, parsed.get(q.get("key")))
                for q in data.get("questions") or [] if q.get("section") == section.get("key")]
        sections.append(SectionView(section, defs.DIMENSIONS[section.get("dimension", "profile")], rows))
    return BuilderView(questionnaire, sections, {q.get("key"): q for q in data.get("questions") or []}, scored,
                       problems)
