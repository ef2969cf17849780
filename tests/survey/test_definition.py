"""A questionnaire definition: what holds together, what an answer may be, what it scores."""

from __future__ import annotations

import pytest

from app.survey import definition as defs
from tests.survey.factories import full_answers, twelve_question_definition


def test_the_twelve_question_questionnaire_covers_the_five_dimensions():
    definition = defs.load(twelve_question_definition())
    assert len(definition.questions) == 12
    assert defs.dimensions_of(definition) == ["government", "market", "social", "legal", "industry"]


def test_a_definition_that_does_not_hold_together_lists_every_problem():
    data = twelve_question_definition()
    data["questions"][1]["options"] = [{"value": "yes", "label": "办理过"}]  # one option only
    data["questions"][2]["show_if"] = {"question": "q9", "values": ["1"]}  # refers forward
    data["questions"][3]["section"] = "nowhere"
    with pytest.raises(defs.DefinitionInvalid) as invalid:
        defs.load(data)
    problems = "；".join(invalid.value.problems)
    assert "q2" in problems and "两个选项" in problems
    assert "q3" in problems and "前面的题目" in problems
    assert "nowhere" in problems


def test_skip_logic_hides_questions_and_their_answers_are_dropped():
    definition = defs.load(twelve_question_definition())
    keys = [q.key for q in defs.visible_questions(definition, {"q2": "no"})]
    assert "q3" not in keys and "q4" not in keys
    assert len(keys) == 10
    answers = {**full_answers(), "q2": "no"}
    assert "q3" not in defs.prune(definition, answers)
    assert defs.missing_required(definition, {"q2": "no"})[0].key == "q1"


def test_answers_are_read_from_forms_and_chat_alike():
    definition = defs.load(twelve_question_definition())
    q = definition.question
    assert defs.read_answer(q("q2"), "2", by_number=True) == "no"
    assert defs.read_answer(q("q2"), "办理过") == "yes"
    assert defs.read_answer(q("q6"), "3 1", by_number=True) == ["finance", "cost"]
    assert defs.read_answer(q("q7"), "5 4 3") == {"power": 5, "water": 4, "network": 3}
    assert defs.read_answer(q("q3"), "5天") == 5
    assert defs.read_answer(q("q5"), "０") == 0
    for question, bad in (("q1", "6"), ("q3", "61"), ("q3", "2.5"), ("q6", "1 2 3 4"), ("q2", "9")):
        with pytest.raises(defs.AnswerInvalid):
            defs.read_answer(q(question), bad, by_number=True)


def test_scores_run_from_0_to_100_per_dimension():
    definition = defs.load(twelve_question_definition())
    scores = defs.dimension_scores(definition, full_answers())
    assert scores["government"] == pytest.approx((75 + 100) / 2)  # q1 4/5 -> 75, q4 非常满意 -> 100
    assert scores["market"] == pytest.approx(80)  # q5 8/10
    assert scores["social"] == pytest.approx(((100 + 75 + 75) / 3 + 50) / 2)
