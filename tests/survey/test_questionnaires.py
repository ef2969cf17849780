"""Building a questionnaire: templates, sections and questions checked through the one
definition reader, and versions — an answered version never changes under its respondents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.audit.models import AuditLog
from app.survey import answering, questionnaires
from app.survey import definition as defs
from app.survey.errors import SurveyError
from app.survey.models import Questionnaire, Survey, SurveyKind, SurveyStatus
from app.survey.questionnaires import SurveyInput
from tests.admin.support import seed_accounts
from tests.survey.factories import full_answers, make_open_survey, make_respondent, sample, twelve_question_definition

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
async def staff(db):
    return (await seed_accounts())["fuwu"]


def _input(**overrides) -> SurveyInput:
    values = {"title": "2026年度营商环境企业满意度调查", "kind": SurveyKind.annual, "year": 2026,
              "organiser": "市营商环境建设办公室", "closes_at": datetime.now(UTC) + timedelta(days=30)}
    values.update(overrides)
    return SurveyInput(**values)


def test_the_annual_template_is_the_done_criteria_questionnaire():
    definition = defs.load(questionnaires.annual_definition())
    assert len(definition.questions) == 12
    assert defs.dimensions_of(definition) == ["government", "market", "social", "legal", "industry"]
    assert {q.type for q in definition.questions} == set(defs.QUESTION_TYPES) - {"text"}  # long text stands for both


@pytest.mark.parametrize("name", sorted(questionnaires.TEMPLATES))
def test_every_template_is_a_valid_starting_point(name):
    definition = questionnaires.TEMPLATES[name][1]()
    if name == "blank":
        assert definition["questions"] == [] and len(definition["sections"]) == 1
    else:
        assert defs.dimensions_of(defs.load(definition))
    assert questionnaires.TEMPLATES[name][1]() is not definition  # a fresh copy each time


async def test_staff_start_from_the_annual_template_as_a_draft(staff):
    survey = await questionnaires.create_survey(staff=staff, data=_input(), template="annual")
    assert survey.status == SurveyStatus.draft and survey.created_by_id == staff.id
    version = await Questionnaire.get(survey_id=survey.id)
    assert version.version == 1 and version.published_at is None
    assert len(defs.load(version.definition).questions) == 12
    entry = await AuditLog.get(action="survey.create")
    assert entry.target_id == str(survey.id) and entry.detail["template"] == "annual"


async def test_this_year_starts_from_last_years_questionnaire(staff):
    last_year = await make_open_survey(title="2025年度营商环境企业满意度调查")
    await questionnaires.add_question(staff=staff, survey_id=last_year.id, question={
        "section": "market", "type": "rating", "title": "招投标的公平程度", "scale": {"min": 1, "max": 5}})
    survey = await questionnaires.create_survey(staff=staff, data=_input(previous_id=last_year.id), template="previous")
    copied = await Questionnaire.get(survey_id=survey.id)
    assert copied.definition == (await Questionnaire.get(survey_id=last_year.id)).definition
    assert copied.published_at is None and survey.previous_id == last_year.id
    with pytest.raises(SurveyError) as refused:
        await questionnaires.create_survey(staff=staff, data=_input(), template="previous")
    assert refused.value.field == "previous_id"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"title": "  "}, "title", "请填写调查名称"),
    ({"year": None}, "year", "年度营商环境评估请填写年度"),
    ({"kind": "poll"}, "kind", "请选择调查类型"),
    ({"opens_at": datetime.now(UTC) + timedelta(days=40)}, "closes_at", "截止时间须晚于开始时间"),
    ({"max_reminders": 11}, "max_reminders", "最多提醒次数"),
    ({"eligibility_rate": 1.5}, "eligibility_rate", "合格率"),
])
async def test_settings_are_refused_field_by_field_in_chinese(staff, overrides, field, message):
    with pytest.raises(SurveyError) as refused:
        await questionnaires.create_survey(staff=staff, data=_input(**overrides), template="annual")
    assert refused.value.field == field and message in refused.value.message
    assert await Survey.all().count() == 0


async def test_a_twelve_question_questionnaire_is_built_from_nothing_across_five_dimensions(staff):
    survey = await questionnaires.create_survey(staff=staff, data=_input(), template=None)
    target = twelve_question_definition()
    # The blank start has one section; make it the first dimension, then add the others.
    first = target["sections"][0]
    await questionnaires.update_section(staff=staff, survey_id=survey.id, key="s1",
                                        section={"title": first["title"], "dimension": first["dimension"]})
    keys = {first["key"]: "s1"}
    for section in target["sections"][1:]:
        version = await questionnaires.add_section(staff=staff, survey_id=survey.id, section=section)
        keys[section["key"]] = version.definition["sections"][-1]["key"]
    for question in target["questions"]:
        question = {k: v for k, v in question.items() if k != "key"}
        await questionnaires.add_question(staff=staff, survey_id=survey.id,
                                          question={**question, "section": keys[question["section"]]})
    published = await questionnaires.publish_questionnaire(staff=staff, survey_id=survey.id)
    definition = defs.load(published.definition)
    assert published.version == 1 and published.published_at is not None
    assert [q.key for q in definition.questions] == [f"q{n}" for n in range(1, 13)]
    assert defs.dimensions_of(definition) == ["government", "market", "social", "legal", "industry"]
    # The stored questionnaire scores answers exactly as the template would.
    reference = defs.load(twelve_question_definition())
    assert defs.dimension_scores(definition, full_answers()) == defs.dimension_scores(reference, full_answers())
    with pytest.raises(SurveyError, match="已发布"):
        await questionnaires.publish_questionnaire(staff=staff, survey_id=survey.id)


async def test_an_empty_questionnaire_cannot_be_published(staff):
    survey = await questionnaires.create_survey(staff=staff, data=_input(), template="blank")
    with pytest.raises(SurveyError, match="还没有题目"):
        await questionnaires.publish_questionnaire(staff=staff, survey_id=survey.id)


async def test_an_answered_version_never_changes_a_new_version_takes_the_edits(staff, settings):
    survey = await make_open_survey()
    user, enterprise = await make_respondent()
    await sample(survey, enterprise)
    await answering.save_answers(survey_id=survey.id, user=user, settings=settings, answers={"q1": 4}, channel="h5")
    first = await Questionnaire.get(survey_id=survey.id, version=1)

    changed = dict(twelve_question_definition()["questions"][0], title="您对本区政务服务的总体评价")
    second = await questionnaires.update_question(staff=staff, survey_id=survey.id, key="q1", question=changed)
    assert second.version == 2 and second.published_at is None
    assert (await Questionnaire.get(id=first.id)).definition == first.definition  # untouched
    # A further edit lands on the same (still unanswered) draft version.
    third = await questionnaires.remove_question(staff=staff, survey_id=survey.id, key="q12")
    assert third.id == second.id and await Questionnaire.filter(survey_id=survey.id).count() == 2
    assert (await questionnaires.editable_questionnaire(survey_id=survey.id)).id == second.id

    # Until published, new respondents still get version 1; afterwards version 2, while the
    # first respondent keeps answering version 1.
    newcomer, other = await make_respondent()
    await sample(survey, other)
    before = await answering.open_response(survey_id=survey.id, user=newcomer, settings=settings)
    assert before.questionnaire.version == 1
    await questionnaires.publish_questionnaire(staff=staff, survey_id=survey.id)
    fresh = await answering.open_response(survey_id=survey.id, user=newcomer, settings=settings)
    assert fresh.questionnaire.version == 2 and fresh.definition.question("q1").title == "您对本区政务服务的总体评价"
    kept = await answering.open_response(survey_id=survey.id, user=user, settings=settings)
    assert kept.questionnaire.version == 1 and kept.answers == {"q1": 4}


async def test_an_answered_question_keeps_its_key_type_and_scale_across_versions(staff, settings):
    survey = await make_open_survey()
    user, enterprise = await make_respondent()
    await sample(survey, enterprise)
    await answering.save_answers(survey_id=survey.id, user=user, settings=settings, answers={"q1": 4}, channel="h5")
    rating = twelve_question_definition()["questions"][0]
    for changed in ({**rating, "scale": {"min": 0, "max": 10}}, {**rating, "type": "number", "scale": None}):
        with pytest.raises(SurveyError) as refused:
            await questionnaires.update_question(staff=staff, survey_id=survey.id, key="q1",
                                                 question={k: v for k, v in changed.items() if v is not None})
        assert refused.value.code == "answered_shape_fixed" and "已有答卷" in refused.value.message
    assert await Questionnaire.filter(survey_id=survey.id).count() == 1  # nothing half-written
    # Its wording may change; a removed question's key is not reused for a new question.
    await questionnaires.update_question(staff=staff, survey_id=survey.id, key="q1",
                                         question={**rating, "title": "政务服务总体满意度"})
    await questionnaires.remove_question(staff=staff, survey_id=survey.id, key="q12")
    added = await questionnaires.add_question(staff=staff, survey_id=survey.id, question={
        "section": "industry", "type": "text", "title": "贵企业所在园区名称", "required": False})
    assert [q["key"] for q in added.definition["questions"]][-1] == "q13"


async def test_an_unanswered_version_is_edited_in_place(staff):
    survey = await make_open_survey()
    version = await questionnaires.move_question(staff=staff, survey_id=survey.id, key="q9", direction="down")
    assert version.version == 1 and await Questionnaire.filter(survey_id=survey.id).count() == 1
    order = [q["key"] for q in version.definition["questions"]]
    assert order.index("q10") < order.index("q9")
    entry = await AuditLog.filter(action="survey.questionnaire").first()
    assert entry.detail["operation"] == "move_question" and entry.detail["version"] == 1


async def test_changes_that_break_the_questionnaire_are_refused_and_nothing_is_written(staff):
    survey = await make_open_survey()
    before = (await Questionnaire.get(survey_id=survey.id)).definition
    attempts = [
        (questionnaires.move_question(staff=staff, survey_id=survey.id, key="q3", direction="up"), "显示条件只能引用它前面的题目"),
        (questionnaires.remove_question(staff=staff, survey_id=survey.id, key="q2"), "显示条件引用了本题"),
        (questionnaires.remove_section(staff=staff, survey_id=survey.id, key="gov"), "该部分还有题目"),
        (questionnaires.move_question(staff=staff, survey_id=survey.id, key="q1", direction="up"), "已经是本部分第一题"),
        (questionnaires.add_question(staff=staff, survey_id=survey.id, question={
            "section": "gov", "type": "single", "title": "只有一个选项", "options": [{"value": "a", "label": "甲"}]}),
         "选择题至少需要两个选项"),
        (questionnaires.add_question(staff=staff, survey_id=survey.id, question={
            "section": "nowhere", "type": "text", "title": "没有部分"}), "所属部分 nowhere 不存在"),
        (questionnaires.update_section(staff=staff, survey_id=survey.id, key="gov",
                                       section={"title": "政务", "dimension": "weather"}), "评估维度"),
        (questionnaires.update_question(staff=staff, survey_id=survey.id, key="q99", question={}), "没有编号为 q99"),
    ]
    for attempt, message in attempts:
        with pytest.raises(SurveyError) as refused:
            await attempt
        assert message in refused.value.message
    assert (await Questionnaire.get(survey_id=survey.id)).definition == before
    assert not await AuditLog.filter(action="survey.questionnaire").exists()


async def test_an_empty_section_is_removed_and_sections_move_with_their_questions(staff):
    survey = await make_open_survey()
    added = await questionnaires.add_section(staff=staff, survey_id=survey.id,
                                             section={"title": "获得电力", "dimension": "social"})
    key = added.definition["sections"][-1]["key"]
    assert key == "s1"
    moved = await questionnaires.move_section(staff=staff, survey_id=survey.id, key="industry", direction="up")
    assert [s["key"] for s in moved.definition["sections"]][3:5] == ["industry", "legal"]
    order = [q["key"] for q in moved.definition["questions"]]
    assert order.index("q11") < order.index("q9")  # questions follow their section
    removed = await questionnaires.remove_section(staff=staff, survey_id=survey.id, key=key)
    assert key not in [s["key"] for s in removed.definition["sections"]]


def test_the_builder_form_keeps_option_codes_so_old_answers_keep_their_meaning():
    previous = {"options": [{"value": "yes", "label": "办理过"}, {"value": "no", "label": "没有办理"}]}
    question = questionnaires.parse_question_form(
        {"section": "gov", "type": "single", "title": "近一年是否办理过开办企业业务", "required": "on",
         "options": "办理过\n没有办理\n不清楚|50"}, previous=previous)
    assert question["options"] == [{"value": "yes", "label": "办理过"}, {"value": "no", "label": "没有办理"},
                                   {"value": "1", "label": "不清楚", "score": 50}]
    assert question["required"] is True
    rating = questionnaires.parse_question_form({"section": "gov", "type": "rating", "title": "满意度",
                                                 "scale": "0-10", "min_label": "很不满意"})
    assert rating["scale"] == {"min": 0, "max": 10, "min_label": "很不满意"} and rating["required"] is False
    matrix = questionnaires.parse_question_form({"section": "s", "type": "matrix", "title": "评分",
                                                 "rows": "power=获得电力\n用水用气"})
    assert matrix["rows"] == [{"key": "power", "label": "获得电力"}, {"key": "r1", "label": "用水用气"}]
    for form, field in [({"section": "gov", "type": "single", "title": "x", "options": "甲|120"}, "options"),
                        ({"section": "gov", "type": "rating", "title": "x", "scale": "2-9"}, "scale"),
                        ({"section": "gov", "type": "essay", "title": "x"}, "type"),
                        ({"section": "gov", "type": "text", "title": ""}, "title"),
                        ({"section": "gov", "type": "number", "title": "x", "min": "abc"}, "min")]:
        with pytest.raises(SurveyError) as refused:
            questionnaires.parse_question_form(form)
        assert refused.value.field == field


async def test_settings_that_respondents_were_promised_stay_once_opened(staff):
    survey = await make_open_survey()
    with pytest.raises(SurveyError) as refused:
        await questionnaires.update_survey(staff=staff, survey_id=survey.id,
                                           data=_input(title=survey.title, is_anonymous=False,
                                                       closes_at=survey.closes_at))
    assert refused.value.field == "is_anonymous"
    with pytest.raises(SurveyError) as refused:
        await questionnaires.update_survey(staff=staff, survey_id=survey.id, data=_input(
            title=survey.title, closes_at=datetime.now(UTC) - timedelta(hours=1)))
    assert refused.value.field == "closes_at"
    later = survey.closes_at + timedelta(days=7)
    updated = await questionnaires.update_survey(staff=staff, survey_id=survey.id,
                                                 data=_input(title="延期后的调查", closes_at=later, max_reminders=3))
    assert updated.title == "延期后的调查" and updated.max_reminders == 3 and updated.closes_at == later
    entry = await AuditLog.get(action="survey.update")
    assert entry.detail["changes"]["title"] == {"from": survey.title, "to": "延期后的调查"}
