"""AAPOR response rates from the sample's dispositions (Standard Definitions: RR1, RR2, RR3
with an estimated or a set eligibility rate, COOP1), overall and by group, while the survey
runs (pending = unknown eligibility) and after it closed."""

from __future__ import annotations

import pytest

from app.enterprise.reference import District, SizeClass
from app.survey.models import Disposition, SurveySample
from app.survey.rates import Counts, RateRow, eligibility_estimate, response_rates, stratum_label
from tests.identity.factories import make_enterprise
from tests.survey.factories import make_open_survey, sample


async def _cases(survey, district: District, size: SizeClass, **dispositions: int) -> None:
    for name, count in dispositions.items():
        for n in range(count):
            enterprise = await make_enterprise(name=f"回复率测试{district.value}{size.value}{name}{n}")
            enterprise.district, enterprise.size_class = district, size
            await enterprise.save(update_fields=["district", "size_class"])
            await sample(survey, enterprise, disposition=Disposition(name))


def test_the_formulas_are_aapors():
    counts = Counts(I=40, P=10, R=10, NC=20, UH=20, NE=10)
    row = RateRow("", "全部", counts, eligibility_estimate(counts))
    assert row.e == pytest.approx(80 / 90)
    assert row.rr1 == pytest.approx(40 / 100)
    assert row.rr2 == pytest.approx(50 / 100)
    assert row.rr3 == pytest.approx(40 / (80 + 80 / 90 * 20))
    assert row.coop1 == pytest.approx(40 / 60)


def test_with_nothing_known_e_is_one_and_rates_without_a_denominator_are_none():
    counts = Counts(UH=5)
    assert eligibility_estimate(counts) == 1.0
    row = RateRow("", "全部", counts, 1.0)
    assert row.rr1 == row.rr3 == 0.0
    assert row.coop1 is None
    assert RateRow("", "空", Counts(), 1.0).rr1 is None


async def test_rates_overall_and_by_stratum_while_the_survey_runs(db):
    survey = await make_open_survey()
    await _cases(survey, District.pudong, SizeClass.small, complete=3, partial=1, refusal=1, pending=3)
    await _cases(survey, District.xuhui, SizeClass.large, complete=1, non_contact=1, ineligible=2)

    table = await response_rates(survey_id=survey.id, by="stratum")
    overall = table.overall.counts
    assert (overall.I, overall.P, overall.R, overall.NC, overall.UH, overall.NE, overall.pending) == (4, 1, 1, 1, 3, 2, 3)
    assert table.e_estimated and table.e == pytest.approx(7 / 9)
    assert table.overall.rr1 == pytest.approx(4 / 10)
    assert table.overall.rr3 == pytest.approx(4 / (7 + 7 / 9 * 3))

    pudong, xuhui = table.groups  # the larger group first
    assert pudong.key == "310115|small|private" and pudong.label == "浦东新区 · 小型 · 民营"
    assert pudong.rr1 == pytest.approx(3 / 8)
    assert xuhui.counts.NE == 2 and xuhui.rr1 == pytest.approx(1 / 2)  # ineligible cases are out


async def test_rates_by_district_size_and_ownership_read_the_register(db):
    survey = await make_open_survey()
    await _cases(survey, District.pudong, SizeClass.small, complete=2, pending=2)
    await _cases(survey, District.xuhui, SizeClass.small, complete=1)
    by_district = await response_rates(survey_id=survey.id, by="district")
    assert {row.label: row.rr1 for row in by_district.groups} == {"浦东新区": 0.5, "徐汇区": 1.0}
    by_size = await response_rates(survey_id=survey.id, by="size_class")
    assert [(row.label, row.counts.total) for row in by_size.groups] == [("小型", 5)]
    by_ownership = await response_rates(survey_id=survey.id, by="ownership")
    assert by_ownership.groups[0].label == "民营"
    assert (await response_rates(survey_id=survey.id)).groups == []


async def test_a_set_eligibility_rate_replaces_the_estimate(db):
    survey = await make_open_survey(eligibility_rate=0.5)
    await _cases(survey, District.pudong, SizeClass.small, complete=2, unknown=4)
    table = await response_rates(survey_id=survey.id)
    assert not table.e_estimated and table.e == 0.5
    assert table.overall.rr1 == pytest.approx(2 / 6)
    assert table.overall.rr3 == pytest.approx(2 / (2 + 0.5 * 4))


async def test_rates_follow_the_dispositions_as_they_change(db):
    survey = await make_open_survey()
    await _cases(survey, District.pudong, SizeClass.small, pending=4)
    assert (await response_rates(survey_id=survey.id)).overall.rr1 == 0.0
    first = await SurveySample.filter(survey_id=survey.id).order_by("id").first()
    await SurveySample.filter(id=first.id).update(disposition=Disposition.complete)
    assert (await response_rates(survey_id=survey.id)).overall.rr1 == pytest.approx(0.25)


def test_stratum_labels_are_chinese():
    assert stratum_label("310104|large|foreign") == "徐汇区 · 大型 · 外资"
    assert stratum_label("") == "（未分层）"
    assert stratum_label("S01|custom") == "S01 · custom"
