"""Survey results: weighted dimension scores, distributions, groups, last year, versions, hot words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.enterprise.reference import District, Ownership, SizeClass
from app.survey.analysis import summarise
from app.survey.errors import SurveyNotFound
from app.survey.models import Questionnaire
from tests.survey.factories import full_answers, make_open_survey, twelve_question_definition
from tests.survey.responses import respond

pytestmark = pytest.mark.usefixtures("db")

LOW = {"q1": 2, "q2": "no", "q5": 3, "q6": ["talent"], "q7": {"power": 2, "water": 2, "network": 2}, "q8": 2,
       "q9": 2, "q10": "2", "q11": 2}
# Dimension scores of one response (0–100): full_answers() and LOW.
FULL_SCORES = {"government": 87.5, "market": 80.0, "social": (250 / 3 + 50) / 2, "legal": 87.5, "industry": 75.0}
LOW_SCORES = {"government": 25.0, "market": 30.0, "social": 25.0, "legal": 25.0, "industry": 25.0}


def _weighted(a: float, wa: float, b: float, wb: float) -> float:
    return (a * wa + b * wb) / (wa + wb)


async def test_dimension_scores_are_weighted_by_design_weight_and_shown_unweighted_too(settings):
    survey = await make_open_survey()
    await respond(survey, full_answers(), settings=settings, probability=0.1)   # weight 10
    await respond(survey, LOW, settings=settings, probability=0.01)             # weight 100
    await respond(survey, {"q1": 5}, settings=settings, submit=False)           # a draft: counted, not analysed

    summary = await summarise(survey_id=survey.id, settings=settings)

    assert (summary.submitted, summary.drafts) == (2, 1)
    assert [d.key for d in summary.dimensions] == ["government", "market", "social", "legal", "industry"]
    for row in summary.dimensions:
        assert row.n == 2
        assert row.weighted_score == pytest.approx(_weighted(FULL_SCORES[row.key], 10, LOW_SCORES[row.key], 100))
        assert row.score == pytest.approx((FULL_SCORES[row.key] + LOW_SCORES[row.key]) / 2)
    weighted = [row.weighted_score for row in summary.dimensions]
    assert summary.overall.weighted_score == pytest.approx(sum(weighted) / 5)
    assert summary.overall.score == pytest.approx(sum(FULL_SCORES[k] + LOW_SCORES[k] for k in FULL_SCORES) / 10)
    assert summary.weight_total == pytest.approx(110)
    assert summary.effective_n == pytest.approx(110 ** 2 / (10 ** 2 + 100 ** 2))


async def test_each_question_has_its_distribution_weighted_and_unweighted(settings):
    survey = await make_open_survey()
    await respond(survey, full_answers(), settings=settings, probability=0.1)
    await respond(survey, LOW, settings=settings, probability=0.01)
    third = {**full_answers(), "q3": 10, "q6": ["finance", "talent", "orders"], "q1": 4}
    await respond(survey, third, settings=settings, probability=0.1)

    summary = await summarise(survey_id=survey.id, settings=settings)
    questions = {q.key: q for q in summary.questions}
    assert [q.key for q in summary.questions] == [f"q{n}" for n in range(1, 13)]

    q1 = {c.value: c for c in questions["q1"].categories}
    assert list(q1) == ["1", "2", "3", "4", "5"] and q1["1"].label == "1分（很不满意）"
    assert (q1["4"].count, q1["2"].count, q1["5"].count) == (2, 1, 0)
    assert q1["4"].share == pytest.approx(200 / 3) and q1["4"].weighted_share == pytest.approx(20 / 120 * 100)
    assert questions["q1"].numbers.weighted_mean == pytest.approx((4 * 20 + 2 * 100) / 120)

    q6 = {c.value: c for c in questions["q6"].categories}  # multiple: share of those who answered
    assert [c.label for c in questions["q6"].categories] == ["融资难", "招工难", "成本高", "订单少"]
    assert (q6["finance"].count, q6["talent"].count, q6["cost"].count, q6["orders"].count) == (2, 2, 1, 1)
    assert q6["finance"].share == pytest.approx(200 / 3)

    q3 = questions["q3"]  # only asked of those who started a business (skip logic)
    assert q3.answered == 2 and q3.unit == "天"
    assert (q3.numbers.minimum, q3.numbers.maximum, q3.numbers.median, q3.numbers.mean) == (3, 10, 6.5, 6.5)
    assert sorted(q3.values) == [3.0, 10.0]

    power = questions["q7"].rows[0]
    assert power.label == "获得电力" and power.answered == 3
    assert power.weighted_score == pytest.approx((100 * 20 + 25 * 100) / 120)
    assert questions["q10"].scored and questions["q10"].dimension_label == "法治环境"
    assert not questions["q2"].scored and questions["q2"].weighted_score is None


async def test_small_groups_are_suppressed(settings):
    survey = await make_open_survey()
    for _ in range(2):
        await respond(survey, full_answers(), settings=settings, district=District.pudong, size_class=SizeClass.small)
    await respond(survey, LOW, settings=settings, district=District.xuhui, size_class=SizeClass.small,
                  ownership=Ownership.foreign)

    summary = await summarise(survey_id=survey.id, settings=settings.model_copy(update={"survey_min_cell": 2}))
    groups = {g.by: g for g in summary.groups}
    districts = {row.label: row for row in groups["district"].rows}
    assert districts["浦东新区"].n == 2 and not districts["浦东新区"].suppressed
    assert districts["浦东新区"].scores["government"] == pytest.approx(87.5)
    assert districts["徐汇区"].suppressed and districts["徐汇区"].overall is None
    assert set(districts["徐汇区"].scores.values()) == {None}
    assert groups["district"].suppressed == 1
    sizes = groups["size_class"].rows
    assert [(row.label, row.n, row.suppressed) for row in sizes] == [("小型", 3, False)]
    assert [row.label for row in groups["ownership"].rows] == ["民营", "外资"]
    assert summary.min_cell == 2


async def test_comparison_with_last_years_survey(settings):
    last_year = await make_open_survey(title="2025年度营商环境企业满意度调查")
    await respond(last_year, LOW, settings=settings)
    survey = await make_open_survey(previous=last_year)
    await respond(survey, full_answers(), settings=settings)

    summary = await summarise(survey_id=survey.id, settings=settings)
    assert summary.previous_survey.id == last_year.id
    government = summary.dimensions[0]
    assert government.previous == pytest.approx(25) and government.delta == pytest.approx(62.5)
    assert summary.overall.previous_n == 1
    assert summary.overall.delta == pytest.approx(sum(FULL_SCORES.values()) / 5 - sum(LOW_SCORES.values()) / 5)
    assert {q.key: q.previous_score for q in summary.questions}["q1"] == pytest.approx(25)


async def test_versions_are_merged_by_question_key(settings):
    survey = await make_open_survey()
    await respond(survey, full_answers(), settings=settings)
    changed = twelve_question_definition()
    changed["questions"][0]["title"] = "您对本区政务服务的总体满意度（修订）"
    changed["questions"][5]["options"] = [*changed["questions"][5]["options"], {"value": "land", "label": "用地难"}]
    await Questionnaire.create(survey=survey, version=2, definition=changed, published_at=datetime.now(UTC))
    await respond(survey, {**full_answers(), "q6": ["land"]}, settings=settings)

    summary = await summarise(survey_id=survey.id, settings=settings)
    assert summary.versions == (1, 2)
    q1 = summary.questions[0]
    assert q1.title.endswith("（修订）") and q1.answered == 2
    q6 = {c.value: c.count for c in summary.questions[5].categories}
    assert q6 == {"finance": 1, "talent": 0, "cost": 1, "orders": 0, "land": 1}
    assert summary.dimensions[0].n == 2


async def test_free_text_answers_are_listed_with_their_hot_words(settings):
    survey = await make_open_survey()
    texts = ["希望审批材料进一步简化，审批时限缩短", "建议简化审批流程，推行一网通办", "融资渠道少，希望增加贷款贴息"]
    for text in texts:
        await respond(survey, {**full_answers(), "q12": text}, settings=settings)
    await respond(survey, {**full_answers(), "q12": ""}, settings=settings)

    summary = await summarise(survey_id=survey.id, settings=settings)
    q12 = summary.questions[-1]
    assert q12.text_count == 3 and q12.answered == 3
    assert set(q12.texts) == set(texts)
    assert "审批" in q12.hot_words
    assert all(any(word in text for text in texts) for word in q12.hot_words)
    assert summary.hot_words == q12.hot_words


async def test_an_empty_survey_summarises_to_nothing_and_an_unknown_one_is_not_found(settings):
    survey = await make_open_survey()
    summary = await summarise(survey_id=survey.id, settings=settings)
    assert summary.submitted == 0 and summary.overall.weighted_score is None
    assert all(q.answered == 0 and q.score is None for q in summary.questions)
    assert all(row.weighted_score is None for row in summary.dimensions)
    with pytest.raises(SurveyNotFound):
        await summarise(survey_id=survey.id + 999, settings=settings)
