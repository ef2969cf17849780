"""Surveys over the mini-program API, as the mini-program uses them: my surveys, the
questionnaire as it is drawn, partial saves shared with the other channels, submission once,
declining; and nobody reaches another enterprise's answers."""

from __future__ import annotations

from app.identity.models import EnterpriseBinding, WeChatUser
from app.survey import answering
from app.survey.models import Disposition, SurveyResponse, SurveySample
from tests.identity.factories import make_enterprise
from tests.survey.factories import full_answers, make_open_survey, sample


async def respondent(mp, *, sampled_in=None, enterprise=None):
    """A mini-program user bound to an enterprise (sampled in `sampled_in` if given)."""
    token, me = await mp.login()
    enterprise = enterprise or await make_enterprise(name=f"上海小程序调查{me['id']}有限公司")
    await EnterpriseBinding.create(user_id=me["id"], enterprise=enterprise, role="contact", verified_by="test")
    if sampled_in is not None:
        await sample(sampled_in, enterprise, probability=0.05)
    return token, me, enterprise


async def test_answer_in_parts_then_submit_once(mp, settings) -> None:
    survey = await make_open_survey()
    token, me, enterprise = await respondent(mp, sampled_in=survey)

    listed = await mp.call("GET", "/mp/v1/surveys", token=token)
    assert listed.status == 200, listed.text
    [card] = listed.json["items"]
    assert (card["survey"]["id"], card["state"], card["enterprise"]["name"]) == (survey.id, "new", enterprise.name)

    shown = await mp.call("GET", f"/mp/v1/surveys/{survey.id}", token=token)
    assert shown.status == 200, shown.text
    body = shown.json
    assert [s["dimension_label"] for s in body["questionnaire"]["sections"]] == \
        ["政务环境", "市场环境", "社会环境", "法治环境", "产业环境"]
    questions = {q["key"]: q for s in body["questionnaire"]["sections"] for q in s["questions"]}
    assert len(questions) == 12
    assert questions["q3"]["show_if"] == {"question": "q2", "values": ["yes"]}
    assert questions["q5"]["scale"]["max"] == 10 and [r["key"] for r in questions["q7"]["rows"]] == \
        ["power", "water", "network"]
    assert body["next_question"] == "q1" and body["progress"] == {"answered": 0, "total": 10, "percent": 0}
    assert "q3" not in body["visible"]  # hidden until q2 is answered 办理过

    bad = await mp.call("PUT", f"/mp/v1/surveys/{survey.id}/answers", token=token,
                        json_body={"answers": {"q1": 7, "q2": "yes", "q6": ["finance", "nope"]}})
    assert bad.status == 422 and bad.error["code"] == "answer_invalid"
    assert set(bad.error["details"]["errors"]) == {"q1", "q6"} and "1 到 5" in bad.error["details"]["errors"]["q1"]
    assert not await SurveyResponse.exists()  # nothing of a refused request is kept

    answers = full_answers()
    first = {k: answers[k] for k in ("q1", "q2", "q3", "q4", "q5")}
    saved = await mp.call("PUT", f"/mp/v1/surveys/{survey.id}/answers", token=token, json_body={"answers": first})
    assert saved.status == 200, saved.text
    assert saved.json["answers"] == first and saved.json["next_question"] == "q6"
    assert saved.json["progress"]["answered"] == 5 and saved.json["progress"]["total"] == 12
    assert (await SurveySample.get(survey_id=survey.id)).disposition == Disposition.partial
    cleared = await mp.call("PUT", f"/mp/v1/surveys/{survey.id}/answers", token=token,
                            json_body={"answers": {"q5": None}})
    assert "q5" not in cleared.json["answers"] and cleared.json["next_question"] == "q5"

    early = await mp.call("POST", f"/mp/v1/surveys/{survey.id}/submit", token=token, json_body={})
    assert early.status == 422 and {"q5", "q6", "q11"} <= set(early.error["details"]["errors"])
    assert "q12" not in early.error["details"]["errors"]  # optional

    rest = {k: v for k, v in answers.items() if k not in first or k == "q5"}
    done = await mp.call("POST", f"/mp/v1/surveys/{survey.id}/submit", token=token, json_body={"answers": rest},
                         headers={"Idempotency-Key": "s-1"})
    assert done.status == 200, done.text
    assert done.json["submitted"] and not done.json["already_submitted"] and done.json["progress"]["percent"] == 100
    replay = await mp.call("POST", f"/mp/v1/surveys/{survey.id}/submit", token=token, json_body={"answers": rest},
                           headers={"Idempotency-Key": "s-1"})
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json == done.json
    again = await mp.call("POST", f"/mp/v1/surveys/{survey.id}/submit", token=token, json_body={})
    assert again.status == 200 and again.json["already_submitted"]
    late = await mp.call("PUT", f"/mp/v1/surveys/{survey.id}/answers", token=token, json_body={"answers": {"q1": 1}})
    assert late.status == 409 and late.error["code"] == "already_submitted"

    response = await SurveyResponse.get(survey_id=survey.id)
    assert response.answers == answers and response.channel == "miniprogram" and response.submitted
    assert (await SurveySample.get(survey_id=survey.id)).disposition == Disposition.complete
    listed = await mp.call("GET", "/mp/v1/surveys", token=token)
    assert [c["state"] for c in listed.json["items"]] == ["submitted"]


async def test_a_draft_from_another_channel_is_continued_here(mp, settings) -> None:
    survey = await make_open_survey()
    token, me, _ = await respondent(mp, sampled_in=survey)
    user = await WeChatUser.get(id=me["id"])
    await answering.save_answers(survey_id=survey.id, user=user, settings=settings, channel="chat", by_number=True,
                                 answers={"q1": "4", "q2": "2"})  # 没有办理: q3 and q4 skipped
    shown = await mp.call("GET", f"/mp/v1/surveys/{survey.id}", token=token)
    assert shown.json["answers"] == {"q1": 4, "q2": "no"} and shown.json["next_question"] == "q5"
    listed = await mp.call("GET", "/mp/v1/surveys", token=token)
    assert listed.json["items"][0]["state"] == "draft" and listed.json["items"][0]["percent"] == 20


async def test_nobody_answers_for_an_enterprise_they_are_not_bound_to(mp, settings) -> None:
    survey = await make_open_survey()
    owner_token, _, enterprise = await respondent(mp, sampled_in=survey)
    await mp.call("PUT", f"/mp/v1/surveys/{survey.id}/answers", token=owner_token,
                  json_body={"answers": {"q1": 5}})
    other_token, _, _ = await respondent(mp)  # bound to an enterprise that was not sampled

    for method, path, body in [
        ("GET", f"/mp/v1/surveys/{survey.id}?enterprise_id={enterprise.id}", None),
        ("PUT", f"/mp/v1/surveys/{survey.id}/answers", {"answers": {"q1": 1}, "enterprise_id": enterprise.id}),
        ("POST", f"/mp/v1/surveys/{survey.id}/submit", {"answers": full_answers(), "enterprise_id": enterprise.id}),
        ("POST", f"/mp/v1/surveys/{survey.id}/decline", {"enterprise_id": enterprise.id}),
    ]:
        refused = await mp.call(method, path, token=other_token, json_body=body)
        assert refused.status == 403 and refused.error["code"] == "enterprise_access_denied", (path, refused.text)
    uninvited = await mp.call("GET", f"/mp/v1/surveys/{survey.id}", token=other_token)
    assert uninvited.status == 403 and uninvited.error["code"] == "not_invited"
    assert "抽样名单" in uninvited.error["message"]
    assert (await mp.call("GET", "/mp/v1/surveys", token=other_token)).json["items"] == []

    response = await SurveyResponse.get(survey_id=survey.id)
    assert response.answers == {"q1": 5} and not response.submitted
    sampled = await SurveySample.get(survey_id=survey.id)
    assert sampled.disposition == Disposition.partial and not sampled.opted_out
    assert (await mp.call("GET", "/mp/v1/surveys", token=None)).status == 401


async def test_a_person_bound_to_two_sampled_enterprises_names_one(mp, settings) -> None:
    survey = await make_open_survey()
    token, me, first = await respondent(mp, sampled_in=survey)
    second = await make_enterprise(name="上海第二家抽样企业有限公司")
    await EnterpriseBinding.create(user_id=me["id"], enterprise=second, role="contact", verified_by="test")
    await sample(survey, second)
    listed = await mp.call("GET", "/mp/v1/surveys", token=token)
    assert {c["enterprise"]["name"] for c in listed.json["items"]} == {first.name, second.name}
    saved = await mp.call("PUT", f"/mp/v1/surveys/{survey.id}/answers", token=token,
                          json_body={"answers": {"q1": 2}, "enterprise_id": second.id})
    assert saved.json["enterprise"]["id"] == second.id
    other = await mp.call("GET", f"/mp/v1/surveys/{survey.id}?enterprise_id={first.id}", token=token)
    assert other.json["answers"] == {}
    dispositions = {s.enterprise_id: s.disposition for s in await SurveySample.filter(survey_id=survey.id)}
    assert dispositions == {first.id: Disposition.pending, second.id: Disposition.partial}


async def test_declined_closed_and_missing_surveys_are_explained(mp, settings) -> None:
    survey = await make_open_survey()
    token, _, _ = await respondent(mp, sampled_in=survey)
    declined = await mp.call("POST", f"/mp/v1/surveys/{survey.id}/decline", token=token, json_body={})
    assert declined.status == 200 and declined.json["declined"]
    sampled = await SurveySample.get(survey_id=survey.id)
    assert sampled.disposition == Disposition.refusal and sampled.opted_out
    refused = await mp.call("GET", f"/mp/v1/surveys/{survey.id}", token=token)
    assert refused.status == 409 and refused.error["code"] == "opted_out"
    assert (await mp.call("GET", "/mp/v1/surveys", token=token)).json["items"] == []

    closed = await make_open_survey(title="已结束的调查", closes_in_days=-1)
    token, _, _ = await respondent(mp, sampled_in=closed)
    shown = await mp.call("GET", f"/mp/v1/surveys/{closed.id}", token=token)
    assert shown.status == 409 and shown.error["code"] == "survey_not_open" and "已结束" in shown.error["message"]
    missing = await mp.call("GET", "/mp/v1/surveys/999999", token=token)
    assert missing.status == 404 and missing.error["code"] == "survey_not_found"


async def test_a_public_survey_is_answered_once_by_anyone(mp, settings) -> None:
    survey = await make_open_survey(is_public=True, title="企业诉求办理满意度公开问卷")
    token, _ = await mp.login()  # no enterprise at all
    listed = await mp.call("GET", "/mp/v1/surveys", token=token)
    assert [c["survey"]["title"] for c in listed.json["items"]] == ["企业诉求办理满意度公开问卷"]
    done = await mp.call("POST", f"/mp/v1/surveys/{survey.id}/submit", token=token,
                         json_body={"answers": full_answers()})
    assert done.status == 200 and done.json["submitted"] and done.json["enterprise"] is None
    declined = await mp.call("POST", f"/mp/v1/surveys/{survey.id}/decline", token=token, json_body={})
    assert declined.json["declined"] is False
    assert await SurveyResponse.filter(survey_id=survey.id, submitted=True).count() == 1


async def test_the_survey_endpoints_are_documented(mp) -> None:
    document = (await mp.call("GET", "/mp/v1/openapi.json")).json
    submit = document["paths"]["/mp/v1/surveys/{survey_id}/submit"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in submit["parameters"])
    assert "answer_invalid" in submit["responses"]["422"]["description"]
    assert "not_invited" in submit["responses"]["403"]["description"]
    schemas = document["components"]["schemas"]
    assert {"ResponseOut", "QuestionOut", "AnswersRequest", "SurveyListOut"} <= set(schemas)
    assert "show_if" in schemas["QuestionOut"]["properties"]
