"""The H5 survey pages opened from the invitation: the questionnaire on one page or one
question per screen, drafts saved as one answers (with or without the page's script), errors
beside their questions with what was typed kept, submitted once, a thank-you page with the
answers read-only; declining; and the explanations for whoever cannot answer."""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

import pytest

from app.identity.models import EnterpriseBinding, Follower
from app.survey import answering
from app.survey.models import Disposition, SurveyResponse, SurveySample
from handlers.h5 import session
from tests.identity.factories import make_enterprise
from tests.survey.factories import full_answers, make_open_survey, make_respondent, sample

pytestmark = pytest.mark.usefixtures("db")

JSON = {"Accept": "application/json"}
SCREENSHOT = Path(os.environ.get("QIYUN_SCREENSHOT_DIR", "/tmp")) / "qiyun-h5-survey.png"
CHROMIUM = os.environ.get("QIYUN_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
async def browser():
    """Debian's headless Chromium, as tests/admin/test_browser.py launches it (skipped without it,
    unless QIYUN_REQUIRE_BROWSER=1)."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        async_playwright = None
    if async_playwright is None or not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("QIYUN_REQUIRE_BROWSER") == "1":
            pytest.fail("browser tests required but Chromium or playwright is missing")
        pytest.skip("no Chromium / playwright")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ])
        yield launched
        await launched.close()


async def cookie_for(settings, user) -> dict[str, str]:
    follower = await Follower.get(user_id=user.id)
    value = session.sign(openid=follower.openid, secret_key=settings.secret_key.get_secret_value())
    return {"Cookie": f"{session.COOKIE_NAME}={value}"}


async def get(http, url: str, headers: dict[str, str]) -> tuple[int, str, str]:
    async with http.get(url, headers=headers, allow_redirects=False) as response:
        return response.status, response.headers.get("Location", ""), html.unescape(await response.text())


async def post(http, url: str, form, headers: dict[str, str]) -> tuple[int, str, str]:
    async with http.post(url, data=form, headers=headers, allow_redirects=False) as response:
        return response.status, response.headers.get("Location", ""), html.unescape(await response.text())


async def post_json(http, url: str, form, headers: dict[str, str]) -> tuple[int, dict]:
    async with http.post(url, data=form, headers={**headers, **JSON}, allow_redirects=False) as response:
        return response.status, await response.json()


def token_in(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def question_block(page: str, key: str) -> str:
    """The HTML of one question (up to the next question or the end of its section)."""
    start = page.rindex('<div class="q', 0, page.index(f'id="q-{key}"'))
    following = re.compile(r'<div class="q[ "]').search(page, start + 1)
    return page[start: following.start() if following else len(page)]


def full_form(token: str) -> list[tuple[str, str]]:
    """The whole questionnaire filled in as the page's inputs send it (= `full_answers()`)."""
    return [
        ("csrf_token", token), ("mode", "page"), ("asked", ",".join(f"q{n}" for n in range(1, 13))),
        ("q1", "4"), ("q2", "yes"), ("q3", "3"), ("q4", "5"), ("q5", "8"), ("q6", "finance"), ("q6", "cost"),
        ("q7.power", "5"), ("q7.water", "4"), ("q7.network", "4"), ("q8", "3"), ("q9", "5"), ("q10", "4"),
        ("q11", "4"), ("q12", "希望进一步简化审批材料，推行一网通办"),
    ]


async def invited(settings):
    survey = await make_open_survey()
    user, enterprise = await make_respondent()
    await sample(survey, enterprise, probability=0.04)
    return survey, user, enterprise, await cookie_for(settings, user)


async def test_answer_on_one_page_fix_the_errors_and_read_the_answers_back(server, http, settings):
    survey, user, enterprise, headers = await invited(settings)
    base = f"{server}/h5/surveys/{survey.id}"

    status, _, page = await get(http, f"{server}/h5/surveys", headers)
    assert status == 200 and survey.title in page and enterprise.name in page and "未作答" in page
    status, _, page = await get(http, base, headers)
    assert status == 200 and page.count('class="q') >= 12
    assert "您对改善营商环境的意见建议" in page and "（选填）" in question_block(page, "q12")
    assert 'data-show-if="q2"' in question_block(page, "q3") and " hidden" in question_block(page, "q3")
    assert re.search(r'id="answered">0</b> / <b id="total">10<', page)
    token = token_in(page)

    refused, _, _ = await post(http, f"{base}/submit", [("q1", "4")], headers)
    assert refused == 403  # no CSRF token
    typed = [("csrf_token", token), ("mode", "page"), ("asked", "q1,q2,q3,q5,q12"), ("q1", "4"), ("q2", "yes"),
             ("q3", "三天"), ("q5", ""), ("q12", "审批再快一点")]
    status, _, page = await post(http, f"{base}/submit", typed, headers)
    assert status == 422
    q3 = question_block(page, "q3")
    assert "请填写一个数字" in q3 and 'value="三天"' in q3 and "has-error" in q3  # what was typed, beside its error
    assert "此题为必答题" in question_block(page, "q5") and "此题为必答题" in question_block(page, "q4")
    assert "此题为必答题" not in question_block(page, "q1") and "checked" in question_block(page, "q1")
    draft = await SurveyResponse.get(survey_id=survey.id)
    assert draft.answers == {"q1": 4, "q2": "yes", "q12": "审批再快一点"} and not draft.submitted  # the valid ones kept

    status, location, _ = await post(http, f"{base}/submit", full_form(token), headers)
    assert (status, location) == (303, f"/h5/surveys/{survey.id}?done=submit&enterprise_id={enterprise.id}")
    response = await SurveyResponse.get(survey_id=survey.id)
    assert response.answers == full_answers() and response.submitted and response.channel == "h5"
    assert (await SurveySample.get(survey_id=survey.id)).disposition == Disposition.complete

    status, _, page = await get(http, f"{server}{location}", headers)
    assert status == 200 and "感谢您的参与" in page and "<form" not in page
    assert "融资难、成本高" in page and "获得电力 5分" in page and "3天" in page and "非常满意" in page
    status, location, _ = await post(http, f"{base}/submit", full_form(token), headers)
    assert status == 303  # submitting again changes nothing
    status, location, _ = await post(http, f"{base}/draft", [("csrf_token", token), ("asked", "q1"), ("q1", "1")],
                                     headers)
    assert status == 303 and (await SurveyResponse.get(survey_id=survey.id)).answers["q1"] == 4
    _, _, page = await get(http, f"{server}/h5/surveys", headers)
    assert "已提交" in page


async def test_autosave_keeps_each_answer_and_submission_drops_what_skip_logic_hid(server, http, settings):
    survey, user, _, headers = await invited(settings)
    base = f"{server}/h5/surveys/{survey.id}"
    token = token_in((await get(http, base, headers))[2])

    status, body = await post_json(http, f"{base}/draft", {"csrf_token": token, "asked": "q2", "q2": "yes"}, headers)
    assert status == 200 and body["ok"] and (body["answered"], body["total"]) == (1, 12) and "q3" in body["visible"]
    status, body = await post_json(http, f"{base}/draft", {"csrf_token": token, "asked": "q3", "q3": "4"}, headers)
    assert status == 200 and body["answered"] == 2
    status, body = await post_json(http, f"{base}/draft", {"csrf_token": token, "asked": "q1", "q1": "9"}, headers)
    assert status == 422 and set(body["errors"]) == {"q1"} and "1 到 5" in body["errors"]["q1"]
    status, body = await post_json(http, f"{base}/draft", {"asked": "q1", "q1": "3"}, headers)
    assert status == 403 and not body["ok"]  # no CSRF token
    status, body = await post_json(http, f"{base}/draft", {"csrf_token": token, "asked": "q2", "q2": "no"}, headers)
    assert "q3" not in body["visible"] and body["total"] == 10
    assert (await SurveyResponse.get(survey_id=survey.id)).answers == {"q2": "no", "q3": 4}  # a draft keeps it

    # The follower carries on in the chat, then finishes here: the page shows the chat's answers.
    await answering.save_answers(survey_id=survey.id, user=user, settings=settings, channel="chat", by_number=True,
                                 answers={"q1": "5", "q6": "1 3"})
    _, _, page = await get(http, base, headers)
    assert re.search(r'value="5"\s+checked', question_block(page, "q1"))
    assert question_block(page, "q6").count("checked") == 2
    form = [item for item in full_form(token) if item[0] not in ("q3", "q4")]
    form = [(k, "no") if k == "q2" else (k, v) for k, v in form]
    status, _, _ = await post(http, f"{base}/submit", form, headers)
    assert status == 303
    answers = (await SurveyResponse.get(survey_id=survey.id)).answers
    assert answers["q2"] == "no" and "q3" not in answers and "q4" not in answers


async def test_one_question_per_screen(server, http, settings):
    survey, user, enterprise, headers = await invited(settings)
    base = f"{server}/h5/surveys/{survey.id}"
    status, _, page = await get(http, f"{base}?mode=step", headers)
    assert status == 200 and "第 1 / 10 题" in page and 'id="q-q1"' in page and 'id="q-q2"' not in page
    token = token_in(page)
    step = {"csrf_token": token, "mode": "step", "q": "q1", "asked": "q1", "go": "next"}

    status, _, page = await post(http, f"{base}/draft", step, headers)
    assert status == 422 and "此题为必答题，请作答后再继续" in page
    status, location, _ = await post(http, f"{base}/draft", {**step, "q1": "4"}, headers)
    assert (status, location) == (303, f"/h5/surveys/{survey.id}?mode=step&q=q2&enterprise_id={enterprise.id}")
    status, location, _ = await post(http, f"{base}/draft", {**step, "q": "q2", "asked": "q2", "q2": "yes"}, headers)
    assert "q=q3&" in location  # 办理过: the follow-up question comes next
    _, _, page = await get(http, f"{server}{location}", headers)
    assert "第 3 / 12 题" in page and "开办企业实际用了几个工作日" in page
    status, location, _ = await post(http, f"{base}/draft",
                                     {**step, "q": "q3", "asked": "q3", "q3": "", "go": "prev"}, headers)
    assert "q=q2&" in location
    status, location, _ = await post(http, f"{base}/draft", {**step, "q": "q2", "asked": "q2", "q2": "no"}, headers)
    assert "q=q5&" in location  # 没有办理: q3 and q4 are skipped

    rest = {k: v for k, v in full_answers().items() if k not in ("q1", "q2", "q3", "q4")}
    await answering.save_answers(survey_id=survey.id, user=user, settings=settings, answers=rest, channel="chat")
    status, _, page = await get(http, f"{base}?mode=step", headers)  # everything answered: the review screen
    assert "请核对您的回答" in page and "融资难、成本高" in page and "mode=step&q=q6" in page
    status, location, _ = await post(http, f"{base}/submit", {"csrf_token": token, "mode": "step"}, headers)
    assert status == 303 and "done=submit" in location
    assert (await SurveyResponse.get(survey_id=survey.id)).submitted


async def test_declining_is_confirmed_and_ends_the_reminders(server, http, settings):
    survey, user, _, headers = await invited(settings)
    base = f"{server}/h5/surveys/{survey.id}"
    status, _, page = await get(http, f"{base}/decline", headers)
    assert status == 200 and "确定不参加本次调查吗" in page
    token = token_in(page)
    assert (await post(http, f"{base}/decline", {}, headers))[0] == 403
    assert (await SurveySample.get(survey_id=survey.id)).disposition == Disposition.pending
    status, _, page = await post(http, f"{base}/decline", {"csrf_token": token}, headers)
    assert status == 200 and "已记录您不参加本次调查" in page
    sampled = await SurveySample.get(survey_id=survey.id)
    assert sampled.disposition == Disposition.refusal and sampled.opted_out
    status, _, page = await get(http, base, headers)
    assert status == 409 and "您已选择不参加本次调查" in page


async def test_who_cannot_answer_is_told_why(server, http, settings):
    survey, _, enterprise, _ = await invited(settings)
    outsider, own = await make_respondent()
    headers = await cookie_for(settings, outsider)
    status, _, page = await get(http, f"{server}/h5/surveys/{survey.id}", headers)
    assert status == 403 and "不在本次调查的抽样名单中" in page
    status, _, page = await get(http, f"{server}/h5/surveys/{survey.id}?enterprise_id={enterprise.id}", headers)
    assert status == 403 and "您尚未绑定该企业" in page
    _, _, page = await get(http, f"{server}/h5/surveys", headers)
    assert "目前没有需要您填写的问卷" in page

    closed = await make_open_survey(title="上一期调查", closes_in_days=-1)
    await sample(closed, own)
    await sample(closed, await make_enterprise(name="无关企业有限公司"))
    status, _, page = await get(http, f"{server}/h5/surveys/{closed.id}", headers)
    assert status == 200 and "该问卷已结束" in page and "<form" not in page
    status, _, page = await get(http, f"{server}/h5/surveys/999999", headers)
    assert status == 404 and "该问卷不存在" in page


async def test_a_public_survey_is_open_to_any_follower(server, http, settings):
    survey = await make_open_survey(is_public=True, title="政务服务好差评公开问卷")
    await Follower.create(openid="o-public-survey")
    value = session.sign(openid="o-public-survey", secret_key=settings.secret_key.get_secret_value())
    headers = {"Cookie": f"{session.COOKIE_NAME}={value}"}
    status, _, page = await get(http, f"{server}/h5/surveys", headers)
    assert status == 200 and "政务服务好差评公开问卷" in page
    _, _, page = await get(http, f"{server}/h5/surveys/{survey.id}", headers)
    status, location, _ = await post(http, f"{server}/h5/surveys/{survey.id}/submit", full_form(token_in(page)), headers)
    assert status == 303
    response = await SurveyResponse.get(survey_id=survey.id)
    assert response.submitted and response.enterprise_id is None


@pytest.mark.parametrize("path", ["/h5/surveys", "/h5/surveys/1", "/h5/surveys/1?mode=step", "/h5/surveys/1/decline"])
async def test_without_a_session_the_pages_send_the_visitor_to_sign_in(server, http, path):
    status, location, _ = await get(http, f"{server}{path}", {})
    assert status == 302 and location.startswith("/h5/oauth/start?next=")


async def test_in_a_browser_skip_logic_and_progress_follow_the_answers_and_each_change_is_saved(
    browser, server, settings
):
    """The page's script in a real headless Chromium (skipped without one, as the admin's browser tests)."""
    from playwright.async_api import expect

    survey, user, _, headers = await invited(settings)
    follower = await Follower.get(user_id=user.id)
    context = await browser.new_context(base_url=server, locale="zh-CN", viewport={"width": 390, "height": 844})
    await context.add_cookies([{
        "name": session.COOKIE_NAME, "url": f"{server}/h5/",
        "value": session.sign(openid=follower.openid, secret_key=settings.secret_key.get_secret_value()),
    }])
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        await page.goto(f"/h5/surveys/{survey.id}")
        await expect(page.locator("#q-q3")).to_be_hidden()
        await expect(page.locator("#total")).to_have_text("10")

        await page.locator("#q-q2 label", has_text="办理过").click()
        await expect(page.locator("#q-q3")).to_be_visible()
        await expect(page.locator("#q-q3 .qno")).to_have_text("3")
        await expect(page.locator("#q-q5 .qno")).to_have_text("5")
        await expect(page.locator("#saved")).to_contain_text("已自动保存")
        await page.locator("#q-q1 .point", has_text="4").click()
        await expect(page.locator("#answered")).to_have_text("2")
        await expect(page.locator("#total")).to_have_text("12")
        await page.fill("#q-q3 input", "三天")
        await page.keyboard.press("Tab")
        await expect(page.locator("#q-q3 .error")).to_have_text("请填写一个数字")
        await page.locator("#q-q2 label", has_text="没有办理").click()
        await expect(page.locator("#q-q3")).to_be_hidden()
        await expect(page.locator("#q-q5 .qno")).to_have_text("3")
        await expect(page.locator("#total")).to_have_text("10")
        await expect(page.locator("#saved")).to_contain_text("已自动保存")
        await page.screenshot(path=str(SCREENSHOT), full_page=True)
    finally:
        await context.close()
    assert (await SurveyResponse.get(survey_id=survey.id)).answers == {"q1": 4, "q2": "no"}
    assert problems == []


async def test_a_person_bound_to_two_sampled_enterprises_answers_for_each_in_turn(server, http, settings):
    survey, user, first, headers = await invited(settings)
    second = await make_enterprise(name="上海第二家受访企业有限公司")
    await EnterpriseBinding.create(user=user, enterprise=second, role="contact", verified_by="test")
    await sample(survey, second)
    _, _, page = await get(http, f"{server}/h5/surveys", headers)
    assert f"enterprise_id={first.id}" in page and f"enterprise_id={second.id}" in page

    _, _, page = await get(http, f"{server}/h5/surveys/{survey.id}", headers)  # the invitation's link: no enterprise
    assert f"代表企业：{first.name}" in page and f'name="enterprise_id" value="{first.id}"' in page
    status, location, _ = await post(http, f"{server}/h5/surveys/{survey.id}/submit", full_form(token_in(page)),
                                     headers)
    assert location == f"/h5/surveys/{survey.id}?done=submit&enterprise_id={first.id}"
    _, _, page = await get(http, f"{server}{location}", headers)
    assert "感谢您的参与" in page and first.name in page  # the thank-you page of the one just answered
    _, _, page = await get(http, f"{server}/h5/surveys/{survey.id}", headers)
    assert f"代表企业：{second.name}" in page  # the next one still to answer
    dispositions = {s.enterprise_id: s.disposition for s in await SurveySample.filter(survey_id=survey.id)}
    assert dispositions == {first.id: Disposition.complete, second.id: Disposition.pending}
