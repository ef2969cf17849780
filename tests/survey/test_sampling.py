"""Drawing a survey's sample: strata, allocation, reproducibility, the reachable frame, redraws."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from app.audit.models import AuditLog
from app.enterprise.reference import District, Ownership, SizeClass
from app.staff.models import StaffRole
from app.survey import sampling
from app.survey.errors import SurveyError
from app.survey.models import SampleFrame, Survey, SurveyKind, SurveySample, SurveyStatus
from app.survey.sampling import SampleDesign, allocate
from tests.admin.support import make_staff, seed_organisations
from tests.survey.sampling_support import make_reachable, make_register, record_service_use

pytestmark = pytest.mark.usefixtures("db")

PD, XH = District.pudong, District.xuhui
SMALL, LARGE = SizeClass.small, SizeClass.large
PRIVATE, FOREIGN = Ownership.private, Ownership.foreign


@pytest.fixture
async def manager():
    await seed_organisations()
    return await make_staff("survey-manager", StaffRole.service_manager, "city.coordination")


async def draft_survey(**fields) -> Survey:
    return await Survey.create(title="营商环境专项调查", kind=fields.pop("kind", SurveyKind.adhoc), **fields)


# -- allocation -------------------------------------------------------------------------------


def test_proportional_allocation_adds_up_to_the_size_exactly():
    allocated = allocate({"a": 500, "b": 300, "c": 199, "d": 1}, size=100)
    assert sum(allocated.values()) == 100
    assert allocated["a"] == 50 and allocated["b"] == 30
    assert allocated["c"] + allocated["d"] == 20 and allocated["c"] in (19, 20)


def test_a_minimum_per_stratum_lifts_small_strata_and_takes_from_the_large():
    allocated = allocate({"big": 9_000, "mid": 900, "tiny": 100, "two": 2}, size=200, minimum=10)
    assert sum(allocated.values()) == 200
    assert allocated["tiny"] == 10 and allocated["two"] == 2  # a stratum cannot give more than it has
    assert allocated["mid"] >= 10 and allocated["big"] > allocated["mid"]


def test_allocation_refuses_a_sample_larger_than_the_frame_or_minimums_beyond_the_size():
    with pytest.raises(SurveyError) as too_large:
        allocate({"a": 10, "b": 5}, size=16)
    assert too_large.value.code == "sample_too_large" and "15" in too_large.value.message
    with pytest.raises(SurveyError) as minimums:
        allocate({key: 100 for key in "abcdef"}, size=20, minimum=5)
    assert minimums.value.code == "minimum_too_large" and "每层至少5家" in minimums.value.message


# -- preview and draw ---------------------------------------------------------------------------


async def test_preview_shows_strata_and_make_up_against_the_register_and_writes_nothing():
    register = await make_register({(PD, SMALL, PRIVATE): 60, (PD, LARGE, FOREIGN): 20, (XH, SMALL, PRIVATE): 20})
    survey = await draft_survey()
    result = await sampling.preview(design=SampleDesign(size=50, reachable_only=False))
    assert result.frame_size == 100 and result.register_size == 100 and result.size == 50
    assert result.design.seed is not None  # chosen, so 抽样 can draw exactly this
    table = {row.key: (row.population, row.allocated) for row in result.strata}
    assert table == {"310104|small|private": (20, 10), "310115|large|foreign": (20, 10),
                     "310115|small|private": (60, 30)}
    assert all(row.probability == pytest.approx(0.5) for row in result.strata)
    districts = {row.label: row for row in result.makeup["district"]}
    assert districts["浦东新区"].register_share == pytest.approx(0.8)
    assert districts["浦东新区"].sample == 40 and districts["徐汇区"].sample_share == pytest.approx(0.2)
    assert {row.label for row in result.makeup["ownership"]} == {"民营", "外资"}
    assert await SurveySample.filter(survey_id=survey.id).count() == 0
    assert len(result.enterprise_ids) == 50 and set(result.enterprise_ids) <= {e.id for e in register}


async def test_a_draw_writes_the_sample_with_strata_probabilities_and_the_recorded_design(manager):
    await make_register({(PD, SMALL, PRIVATE): 40, (XH, SMALL, PRIVATE): 10})
    survey = await draft_survey()
    design = SampleDesign(size=10, strata=("district",), seed=20260101, reachable_only=False)
    result = await sampling.draw(staff=manager, survey_id=survey.id, design=design)
    assert result.written == 10
    rows = await SurveySample.filter(survey_id=survey.id).prefetch_related("enterprise")
    assert Counter(row.stratum for row in rows) == {"310115": 8, "310104": 2}
    assert [row.inclusion_probability for row in rows] == pytest.approx([0.2] * 10)
    assert all(row.frame == SampleFrame.register and row.enterprise.district.value == row.stratum for row in rows)
    assert rows[0].design_weight == pytest.approx(5)
    survey = await Survey.get(id=survey.id)
    assert survey.sample_seed == 20260101
    recorded = survey.sample_design
    assert recorded["strata"] == ["district"] and recorded["size"] == 10 and recorded["frame_size"] == 50
    assert recorded["strata_table"] == [{"key": "310104", "N": 10, "n": 2, "p": 0.2},
                                        {"key": "310115", "N": 40, "n": 8, "p": 0.2}]
    assert recorded["frame_date"] and recorded["drawn_by"] == "survey-manager"
    entry = await AuditLog.get(action="survey.sample")
    assert entry.target_id == str(survey.id) and entry.detail["seed"] == 20260101
    assert sampling.design_from_survey(survey) == result.design


async def test_the_same_seed_draws_the_same_enterprises_and_another_seed_others(manager):
    await make_register({(PD, SMALL, PRIVATE): 300, (XH, LARGE, FOREIGN): 100, (XH, SMALL, PRIVATE): 100})
    first, second, third = await draft_survey(), await draft_survey(), await draft_survey()
    design = SampleDesign(size=60, seed=4242, reachable_only=False)
    await sampling.draw(staff=manager, survey_id=first.id, design=design)
    await sampling.draw(staff=manager, survey_id=second.id, design=design)
    await sampling.draw(staff=manager, survey_id=third.id, design=SampleDesign(size=60, seed=4243, reachable_only=False))

    async def drawn(survey):
        return sorted(await SurveySample.filter(survey_id=survey.id).values_list("enterprise_id", flat=True))

    assert await drawn(first) == await drawn(second)
    assert await drawn(first) != await drawn(third)
    previewed = await sampling.preview(design=design)
    assert sorted(previewed.enterprise_ids) == await drawn(first)  # what the preview showed is what was drawn


async def test_only_reachable_enterprises_are_in_the_frame_unless_staff_choose_otherwise(manager):
    register = await make_register({(PD, SMALL, PRIVATE): 10})
    await make_reachable(register[:3])
    await make_reachable(register[3:5], channel="miniprogram")
    await make_reachable(register[5:6], revoked=True)  # binding revoked
    await make_reachable(register[6:7], subscribed=False)  # unfollowed the account
    reachable = await sampling.preview(design=SampleDesign(size=5))
    assert reachable.frame_size == 5 and set(reachable.enterprise_ids) == {e.id for e in register[:5]}
    everyone = await sampling.preview(design=SampleDesign(size=5, reachable_only=False))
    assert everyone.frame_size == 10
    with pytest.raises(SurveyError) as too_many:
        await sampling.preview(design=SampleDesign(size=6))
    assert too_many.value.code == "sample_too_large"


async def test_the_service_use_frame_holds_enterprises_that_used_the_service_in_the_period(manager):
    register = await make_register({(PD, SMALL, PRIVATE): 6})
    inside = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    for enterprise in register[:3]:
        await record_service_use(enterprise, code="KB-001", completed_at=inside)
    await record_service_use(register[0], code="KB-001", completed_at=inside + timedelta(days=1))  # twice: once in frame
    await record_service_use(register[3], code="KB-001", completed_at=datetime(2025, 12, 1, tzinfo=UTC))  # too early
    await record_service_use(register[4], code="SG-002", completed_at=inside)  # another service
    survey = await draft_survey(kind=SurveyKind.service)
    design = SampleDesign(size=3, frame="service_use", service_code="KB-001", period_from=date(2026, 3, 1),
                          period_to=date(2026, 3, 31), reachable_only=False)
    result = await sampling.draw(staff=manager, survey_id=survey.id, design=design)
    assert result.frame_size == 3
    rows = await SurveySample.filter(survey_id=survey.id)
    assert {row.enterprise_id for row in rows} == {e.id for e in register[:3]}
    assert {row.frame for row in rows} == {SampleFrame.service_use} and {row.inclusion_probability for row in rows} == {1.0}
    with pytest.raises(SurveyError) as no_service:
        await sampling.preview(design=SampleDesign(size=3, frame="service_use", period_from=date(2026, 3, 1),
                                                   period_to=date(2026, 3, 31)))
    assert no_service.value.field == "service_code"


async def test_the_annual_evaluation_refuses_a_sample_below_the_minimum(manager, settings):
    await make_register({(PD, SMALL, PRIVATE): 30})
    survey = await draft_survey(kind=SurveyKind.annual)
    with pytest.raises(SurveyError) as refused:
        await sampling.draw(staff=manager, survey_id=survey.id, design=SampleDesign(size=20, reachable_only=False),
                            settings=settings)
    assert refused.value.code == "sample_too_small" and "1,000" in refused.value.message
    lowered = settings.model_copy(update={"survey_annual_min_sample": 20})
    result = await sampling.draw(staff=manager, survey_id=survey.id, design=SampleDesign(size=20, reachable_only=False),
                                 settings=lowered)
    assert result.written == 20


async def test_a_redraw_replaces_the_sample_until_an_invitation_has_gone_out(manager):
    await make_register({(PD, SMALL, PRIVATE): 30})
    survey = await draft_survey()
    await sampling.draw(staff=manager, survey_id=survey.id, design=SampleDesign(size=10, seed=1, reachable_only=False))
    await sampling.draw(staff=manager, survey_id=survey.id, design=SampleDesign(size=12, seed=2, reachable_only=False))
    assert await SurveySample.filter(survey_id=survey.id).count() == 12
    one = await SurveySample.filter(survey_id=survey.id).first()
    await SurveySample.filter(id=one.id).update(invited_at=datetime.now(UTC))
    with pytest.raises(SurveyError) as refused:
        await sampling.draw(staff=manager, survey_id=survey.id, design=SampleDesign(size=8, seed=3, reachable_only=False))
    assert refused.value.code == "already_invited" and "不能重新抽样" in refused.value.message
    assert await SurveySample.filter(survey_id=survey.id).count() == 12
    assert (await Survey.get(id=survey.id)).sample_seed == 2


async def test_closed_and_public_surveys_are_not_sampled_and_evaluators_may_not_draw(manager):
    await make_register({(PD, SMALL, PRIVATE): 5})
    closed = await draft_survey(status=SurveyStatus.closed)
    public = await draft_survey(is_public=True)
    design = SampleDesign(size=2, reachable_only=False)
    for survey, code in ((closed, "survey_closed"), (public, "public_survey")):
        with pytest.raises(SurveyError) as refused:
            await sampling.draw(staff=manager, survey_id=survey.id, design=design)
        assert refused.value.code == code
    evaluator = await make_staff("pinggu", StaffRole.evaluator, "city.coordination")
    with pytest.raises(SurveyError) as forbidden:
        await sampling.draw(staff=evaluator, survey_id=(await draft_survey()).id, design=design)
    assert forbidden.value.code == "forbidden"


async def test_invalid_designs_are_refused_with_the_field_at_fault():
    cases = [
        (SampleDesign(size=0), "size"),
        (SampleDesign(size=5, strata=("industry",)), "strata"),
        (SampleDesign(size=5, allocation="minimum", min_per_stratum=0), "min_per_stratum"),
        (SampleDesign(size=5, seed=-1), "seed"),
        (SampleDesign(size=5, frame="service_use", service_code="X", period_from=date(2026, 3, 2),
                      period_to=date(2026, 3, 1)), "period_to"),
    ]
    for design, field in cases:
        with pytest.raises(SurveyError) as refused:
            await sampling.preview(design=design)
        assert refused.value.field == field, design


async def test_strata_with_a_minimum_all_get_their_share(manager):
    await make_register({(PD, SMALL, PRIVATE): 200, (XH, SMALL, PRIVATE): 4, (District.chongming, SMALL, PRIVATE): 12})
    result = await sampling.preview(design=SampleDesign(size=40, strata=("district",), allocation="minimum",
                                                        min_per_stratum=6, reachable_only=False))
    allocated = {row.key: row.allocated for row in result.strata}
    assert allocated == {"310104": 4, "310151": 6, "310115": 30}
    probabilities = {row.key: row.probability for row in result.strata}
    assert probabilities["310104"] == 1.0 and probabilities["310115"] == pytest.approx(30 / 200)


# -- manual additions ---------------------------------------------------------------------------


async def test_staff_add_an_enterprise_by_credit_code_representing_only_itself(manager):
    register = await make_register({(PD, SMALL, PRIVATE): 3})
    survey = await draft_survey()
    sample = await sampling.add_to_sample(staff=manager, survey_id=survey.id, credit_code=register[1].credit_code.lower())
    assert sample.frame == SampleFrame.manual and sample.inclusion_probability == 1.0
    assert sample.stratum == "310115|small|private"
    with pytest.raises(SurveyError) as twice:
        await sampling.add_to_sample(staff=manager, survey_id=survey.id, credit_code=register[1].credit_code)
    assert twice.value.code == "already_sampled"
    with pytest.raises(SurveyError) as unknown:
        await sampling.add_to_sample(staff=manager, survey_id=survey.id, credit_code="91310000XXXXXXXXXX")
    assert unknown.value.code == "enterprise_not_found" and unknown.value.field == "credit_code"
    assert await AuditLog.filter(action="survey.sample_add").count() == 1
    page = await sampling.list_sample(survey_id=survey.id)
    assert page.total == 1 and page.counts == {"manual": 1} and page.rows[0].enterprise.name == register[1].name
