"""H5 survey pages, opened from the invitation and reminder template messages and the chat.

* `GET /h5/surveys` — my surveys (`answering.my_surveys`): new, drafts with their progress,
  submitted ones.
* `GET /h5/surveys/<id>` — the questionnaire on one page (`?mode=step`: one question per
  screen, `&q=<key>` which one, `&q=_end` the review screen before submitting), with a
  progress bar. Skip logic runs live in the page (each question carries its `show_if`) and
  again in the service, which never stores a hidden answer on submission. A submitted survey
  shows a thank-you page with the answers read-only.
* `POST /h5/surveys/<id>/draft` — save answers: the page's script saves each question as it
  changes (`Accept: application/json`, answered with the progress or the question's error);
  the 保存草稿 / 下一题 buttons post the same form without script. Valid answers are kept
  even when another one on the form is wrong; the wrong one is shown beside its question.
* `POST /h5/surveys/<id>/submit` — submit once; errors per question beside the questions,
  with what was typed kept.
* `GET|POST /h5/surveys/<id>/decline` — 不参加本次调查, confirmed on its own page.

Every rule is `app.survey.answering`'s: the draft is the same one the chat and the
mini-program use, so a follower can begin anywhere and finish here. A person bound to
several sampled enterprises picks one with `enterprise_id` (the list links carry it).
Signed in through the H5 OAuth session; POSTs carry the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, redirect

from app.identity.models import WeChatUser
from app.survey import answering
from app.survey import definition as defs
from app.survey.answering import ResponseView
from app.survey.errors import AnswersInvalid, SurveyError, SurveyNotFound
from app.survey.models import Disposition
from handlers.h5.csrf import CSRF_FIELD, FORGED_MESSAGE, csrf_ok, csrf_token, refuse_forgery
from handlers.h5.pages import render_page
from handlers.h5.session import visitor

__all__ = ["answers_from_form", "raw_from_answers", "register"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
END = "_end"
"""The step that follows the last question: the review screen with the submit button."""
DONE = {
    "draft": "草稿已保存。您可以随时回来继续填写，在公众号对话或小程序中也能接着答。",
}
_ACCESS_DENIED = {"not_invited", "enterprise_access_denied", "ineligible"}
_STATES = {"new": "未作答", "draft": "已保存草稿", "submitted": "已提交"}


def register(bp: Blueprint) -> None:
    """Adds this module's pages to the H5 blueprint (called once by `handlers.routes`)."""
    bp.add_route(survey_list, "/h5/surveys", methods=["GET"], name="h5_survey_list")
    bp.add_route(survey_page, "/h5/surveys/<survey_id:int>", methods=["GET"], name="h5_survey_page")
    bp.add_route(survey_draft, "/h5/surveys/<survey_id:int>/draft", methods=["POST"], name="h5_survey_draft")
    bp.add_route(survey_submit, "/h5/surveys/<survey_id:int>/submit", methods=["POST"], name="h5_survey_submit")
    bp.add_route(decline_page, "/h5/surveys/<survey_id:int>/decline", methods=["GET"], name="h5_survey_decline_page")
    bp.add_route(survey_decline, "/h5/surveys/<survey_id:int>/decline", methods=["POST"], name="h5_survey_decline")


# -- who is asking ------------------------------------------------------------------------


async def _visitor(request: Request) -> WeChatUser | None | HTTPResponse:
    """The signed-in person (created for a follower seen for the first time: a public survey
    may be answered by any follower); a redirect to sign in; None for an unknown openid."""
    return await visitor(request, create_person=True)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _forged(request: Request) -> HTTPResponse | None:
    if csrf_ok(request) or not _wants_json(request):
        return refuse_forgery(request)
    return json({"ok": False, "message": FORGED_MESSAGE}, status=403)


def _enterprise_id(raw: Any) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) < 10 else None


def _form_value(request: Request, name: str) -> str:
    return str((request.form or {}).get(name) or "").strip()


def _page_url(survey_id: int, *, enterprise_id: int | None, **params: str) -> str:
    query = {key: value for key, value in params.items() if value}
    if enterprise_id is not None:
        query["enterprise_id"] = str(enterprise_id)
    return f"/h5/surveys/{survey_id}" + (f"?{urlencode(query)}" if query else "")


def _time(moment: datetime | None) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" if moment else ""


def _refusal(error: SurveyError) -> HTTPResponse:
    """A survey the person cannot answer now, explained."""
    if isinstance(error, SurveyNotFound):
        return _message("问卷不存在", "该问卷不存在或尚未开始。", status=404)
    if error.code == "survey_not_open":
        return _message("问卷不在填写时间", error.message, status=200)
    if error.code in _ACCESS_DENIED:
        return _message("无法填写问卷", error.message, status=403)
    return _message("无法填写问卷", error.message, status=409)


def _answering_for(view: ResponseView, enterprise_id: int | None) -> int | None:
    """The enterprise the page answers for, named in every link and form from here on: a person
    bound to several sampled enterprises must land on the same one after submitting (the
    service would otherwise pick the next one not yet complete)."""
    return view.enterprise.id if view.enterprise is not None else enterprise_id


def _message(title: str, message: str, *, status: int) -> HTTPResponse:
    return render_page("survey_message.html", title=title, message=message, status=status)


# -- form <-> answers ---------------------------------------------------------------------


def answers_from_form(definition: defs.Definition, form: Any, keys: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answers a form sent for the questions it showed (`keys`), for the service, and the
    same as typed (to show again beside an error). A question shown but left empty is sent
    as None, which clears an earlier answer."""
    answers: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for key in keys:
        try:
            question = definition.question(key)
        except KeyError:
            continue
        if question.type == "multiple":
            chosen = [str(v) for v in (form.getlist(key) if form is not None else None) or [] if str(v).strip()]
            raw[key] = chosen
            answers[key] = chosen or None
        elif question.type == "matrix":
            rows = {row.key: str((form or {}).get(f"{key}.{row.key}") or "").strip() for row in question.rows}
            raw[key] = rows
            given = {row: value for row, value in rows.items() if value}
            answers[key] = given or None
        else:
            value = str((form or {}).get(key) or "")
            raw[key] = value
            answers[key] = value if value.strip() else None
    return answers, raw


def raw_from_answers(definition: defs.Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Stored answers as the form's inputs hold them."""
    raw: dict[str, Any] = {}
    for question in definition.questions:
        value = answers.get(question.key)
        if value is None:
            continue
        if question.type == "multiple":
            raw[question.key] = [str(v) for v in value]
        elif question.type == "matrix":
            raw[question.key] = {str(k): str(v) for k, v in dict(value).items()}
        else:
            raw[question.key] = str(value)
    return raw


def _asked(request: Request) -> list[str]:
    """The question keys the posted form showed (empty inputs are not sent, so the form lists them)."""
    form = request.form
    keys: list[str] = []
    for value in (form.getlist("asked") if form is not None else None) or []:
        keys.extend(part for part in str(value).split(",") if part)
    return keys[: defs.MAX_QUESTIONS]


def _error_messages(view: ResponseView, errors: Mapping[str, str]) -> dict[str, str]:
    """The service's errors, and for required questions still unanswered a note of their own."""
    found = dict(errors)
    for question in view.missing:
        found.setdefault(question.key, "此题为必答题，请作答")
    return found


async def _save_what_is_valid(*, survey_id: int, user: WeChatUser, settings: Any, answers: Mapping[str, Any],
                              enterprise_id: int | None) -> tuple[ResponseView | None, dict[str, str]]:
    """Save the answers; when some are wrong, save the rest and say which are wrong."""
    if not answers:
        return None, {}
    try:
        view = await answering.save_answers(survey_id=survey_id, user=user, settings=settings, answers=answers,
                                            channel="h5", enterprise_id=enterprise_id)
        return view, {}
    except AnswersInvalid as invalid:
        errors = dict(invalid.errors)
    rest = {key: value for key, value in answers.items() if key not in errors}
    view = None
    if rest:
        try:
            view = await answering.save_answers(survey_id=survey_id, user=user, settings=settings, answers=rest,
                                                channel="h5", enterprise_id=enterprise_id)
        except AnswersInvalid as invalid:  # cannot happen: each answer is read on its own
            errors.update(invalid.errors)
    return view, errors


# -- pages --------------------------------------------------------------------------------


async def survey_list(request: Request) -> HTTPResponse:
    user = await _visitor(request)
    if isinstance(user, HTTPResponse):
        return user
    cards = await answering.my_surveys(user=user, settings=request.app.ctx.resources.settings) if user else []
    return render_page("survey_list.html", title="我的问卷", cards=cards, states=_STATES, time=_time)


def _position(view: ResponseView, key: str | None) -> int:
    keys = [q.key for q in view.visible]
    return keys.index(key) if key in keys else -1


def _step_key(view: ResponseView, wanted: str | None) -> str:
    """Which screen step mode shows: the asked question if it is shown, else where to resume."""
    if wanted == END:
        return END
    if wanted and _position(view, wanted) >= 0:
        return wanted
    following = view.next_question
    return following.key if following is not None else END


def _render_answer(request: Request, view: ResponseView, *, mode: str, enterprise_id: int | None,
                   step: str | None = None, raw: Mapping[str, Any] | None = None,
                   errors: Mapping[str, str] | None = None, notice: str = "", status: int = 200) -> HTTPResponse:
    definition = view.definition
    visible = [q.key for q in view.visible]
    numbers = {key: position for position, key in enumerate(visible, 1)}
    shown = dict(raw_from_answers(definition, view.answers))
    shown.update(raw or {})
    answered, total = view.progress
    current = _step_key(view, step) if mode == "step" else None
    previous = following = None
    if current is not None:
        at = len(visible) if current == END else _position(view, current)
        previous = visible[at - 1] if at > 0 else None
        following = visible[at + 1] if current != END and at + 1 < len(visible) else (END if current != END else None)
    return render_page(
        "survey_answer.html", title=view.survey.title, status=status, view=view, survey=view.survey,
        definition=definition, sections=definition.sections, questions=definition.questions, numbers=numbers,
        raw=shown, errors=dict(errors or {}), notice=notice, mode=mode, step=current, end=END, previous=previous,
        following=following, answered=answered, total=total, percent=view.percent,
        enterprise_id=enterprise_id, dimensions=defs.DIMENSIONS, answer_text=defs.answer_text,
        show_if_text=_show_if_text(definition), time=_time, csrf_field=CSRF_FIELD, csrf_token=csrf_token(request),
        page_url=lambda **params: _page_url(view.survey.id, enterprise_id=enterprise_id, **params),
    )


def _show_if_text(definition: defs.Definition) -> dict[str, str]:
    """For each conditional question, when it is asked (shown to readers of a page without script)."""
    texts: dict[str, str] = {}
    for question in definition.questions:
        condition = question.show_if
        if condition is None:
            continue
        source = definition.question(condition.question)
        labels = []
        for value in condition.values:
            option = source.option(value)
            labels.append(option.label if option is not None else f"{value}分")
        texts[question.key] = f"“{source.title}”选择“{'、'.join(labels)}”时作答"
    return texts


def _render_done(view: ResponseView, *, thanks: bool) -> HTTPResponse:
    answers = view.answers
    rows = [(view.definition.section(q.section), q, defs.answer_text(q, answers.get(q.key)))
            for q in defs.visible_questions(view.definition, answers)]
    return render_page("survey_done.html", title=view.survey.title, survey=view.survey, view=view, rows=rows,
                       thanks=thanks, time=_time)


async def _opened(request: Request, survey_id: int) -> tuple[ResponseView, int | None] | HTTPResponse:
    """What every GET page shares: the person (signing in first), their response to the survey
    and the enterprise they answer for — or the page that says why not."""
    user = await _visitor(request)
    if isinstance(user, HTTPResponse):
        return user
    if user is None:
        return _message("问卷不存在", "该问卷不存在或尚未开始。", status=404)
    enterprise_id = _enterprise_id(request.args.get("enterprise_id"))
    try:
        view = await answering.open_response(survey_id=survey_id, user=user, settings=request.app.ctx.resources.settings,
                                             enterprise_id=enterprise_id)
    except SurveyError as error:
        return _refusal(error)
    return view, _answering_for(view, enterprise_id)


async def survey_page(request: Request, survey_id: int) -> HTTPResponse:
    opened = await _opened(request, survey_id)
    if isinstance(opened, HTTPResponse):
        return opened
    view, enterprise_id = opened
    if view.submitted:
        return _render_done(view, thanks=request.args.get("done") == "submit")
    mode = "step" if request.args.get("mode") == "step" else "page"
    return _render_answer(request, view, mode=mode, enterprise_id=enterprise_id, step=request.args.get("q"),
                          notice=DONE.get(request.args.get("done") or "", ""))


async def _posted(request: Request, survey_id: int) -> tuple[WeChatUser, ResponseView, int | None] | HTTPResponse:
    """The checks every POST shares: CSRF, the person, the survey still answerable by them."""
    forged = _forged(request)
    if forged is not None:
        return forged
    user = await _visitor(request)
    if isinstance(user, HTTPResponse) or user is None:
        return _message("请先登录", "请在微信中打开企业服务云后再填写问卷。", status=403)
    enterprise_id = _enterprise_id(_form_value(request, "enterprise_id"))
    try:
        view = await answering.open_response(survey_id=survey_id, user=user, settings=request.app.ctx.resources.settings,
                                             enterprise_id=enterprise_id)
    except SurveyError as error:
        if _wants_json(request):
            return json({"ok": False, "message": error.message}, status=409 if error.status < 404 else error.status)
        return _refusal(error)
    return user, view, _answering_for(view, enterprise_id)


async def survey_draft(request: Request, survey_id: int) -> HTTPResponse:
    checked = await _posted(request, survey_id)
    if isinstance(checked, HTTPResponse):
        return checked
    user, view, enterprise_id = checked
    page_url = _page_url(survey_id, enterprise_id=enterprise_id)
    if view.submitted:
        if _wants_json(request):
            return json({"ok": False, "message": "问卷已提交，不能再修改，感谢您的参与"}, status=409)
        return redirect(page_url, status=303)
    settings = request.app.ctx.resources.settings
    answers, raw = answers_from_form(view.definition, request.form, _asked(request))
    saved = view
    errors: dict[str, str] = {}
    if answers:
        try:
            found, errors = await _save_what_is_valid(survey_id=survey_id, user=user, settings=settings,
                                                      answers=answers, enterprise_id=enterprise_id)
        except SurveyError as error:
            if _wants_json(request):
                return json({"ok": False, "message": error.message}, status=409)
            return _refusal(error)
        saved = found or await answering.open_response(survey_id=survey_id, user=user, settings=settings,
                                                       enterprise_id=enterprise_id)
    if _wants_json(request):
        answered, total = saved.progress
        return json({"ok": not errors, "errors": errors, "answered": answered, "total": total,
                     "percent": saved.percent, "visible": [q.key for q in saved.visible],
                     "saved_at": _time(answering.now())}, status=422 if errors else 200)
    mode = "step" if _form_value(request, "mode") == "step" else "page"
    if errors:
        return _render_answer(request, saved, mode=mode, enterprise_id=enterprise_id, step=_form_value(request, "q"),
                              raw=raw, errors=errors, status=422)
    if mode == "page":
        return redirect(_page_url(survey_id, enterprise_id=enterprise_id, done="draft"), status=303)
    return _step_on(request, saved, enterprise_id=enterprise_id, raw=raw)


def _step_on(request: Request, view: ResponseView, *, enterprise_id: int | None, raw: Mapping[str, Any]) -> HTTPResponse:
    """After a step's answer is saved: on to the next shown question (a required one must be
    answered first), back to the previous one, or stay (保存草稿)."""
    current = _form_value(request, "q")
    go = _form_value(request, "go")
    visible = [q.key for q in view.visible]
    at = _position(view, current)
    target = current
    if go == "prev":
        target = visible[at - 1] if at > 0 else (visible[0] if visible else END)
    elif go == "next":
        if at >= 0:
            question = view.visible[at]
            if question.required and not defs.is_answered(question, view.answers):
                message = "请为每一项评分后再继续" if question.type == "matrix" else "此题为必答题，请作答后再继续"
                return _render_answer(request, view, mode="step", enterprise_id=enterprise_id, step=current, raw=raw,
                                      errors={current: message}, status=422)
            target = visible[at + 1] if at + 1 < len(visible) else END
        else:
            target = ""  # the question is no longer asked: resume where the answers stop
    params = {"mode": "step", "q": target}
    if go not in ("prev", "next"):
        params["done"] = "draft"
    return redirect(_page_url(view.survey.id, enterprise_id=enterprise_id, **params), status=303)


async def survey_submit(request: Request, survey_id: int) -> HTTPResponse:
    checked = await _posted(request, survey_id)
    if isinstance(checked, HTTPResponse):
        return checked
    user, view, enterprise_id = checked
    done_url = _page_url(survey_id, enterprise_id=enterprise_id, done="submit")
    if view.submitted:
        return redirect(done_url, status=303)
    settings = request.app.ctx.resources.settings
    answers, raw = answers_from_form(view.definition, request.form, _asked(request))
    try:
        await answering.submit(survey_id=survey_id, user=user, settings=settings, channel="h5", answers=answers,
                               enterprise_id=enterprise_id)
    except AnswersInvalid as invalid:
        errors = dict(invalid.errors)
        try:  # keep what was valid, so nothing typed is lost if the page is left now
            saved, more = await _save_what_is_valid(survey_id=survey_id, user=user, settings=settings,
                                                    answers={k: v for k, v in answers.items() if k not in errors},
                                                    enterprise_id=enterprise_id)
            errors.update(more)
        except SurveyError:
            saved = None
        current = saved or await answering.open_response(survey_id=survey_id, user=user, settings=settings,
                                                         enterprise_id=enterprise_id)
        errors = _error_messages(current, errors)
        mode = "step" if _form_value(request, "mode") == "step" else "page"
        first = next((q.key for q in current.definition.questions if q.key in errors), None)
        return _render_answer(request, current, mode=mode, enterprise_id=enterprise_id, step=first, raw=raw,
                              errors=errors, status=422)
    except SurveyError as error:
        return _refusal(error)
    return redirect(done_url, status=303)


async def decline_page(request: Request, survey_id: int) -> HTTPResponse:
    opened = await _opened(request, survey_id)
    if isinstance(opened, HTTPResponse):
        return opened
    view, enterprise_id = opened
    if view.submitted:
        return redirect(_page_url(survey_id, enterprise_id=enterprise_id), status=303)
    return render_page("survey_decline.html", title="不参加本次调查", survey=view.survey, view=view,
                       enterprise_id=enterprise_id, back=_page_url(survey_id, enterprise_id=enterprise_id),
                       csrf_field=CSRF_FIELD, csrf_token=csrf_token(request))


async def survey_decline(request: Request, survey_id: int) -> HTTPResponse:
    forged = _forged(request)
    if forged is not None:
        return forged
    user = await _visitor(request)
    if isinstance(user, HTTPResponse) or user is None:
        return _message("请先登录", "请在微信中打开企业服务云后再操作。", status=403)
    enterprise_id = _enterprise_id(_form_value(request, "enterprise_id"))
    try:
        sample = await answering.decline(survey_id=survey_id, user=user, enterprise_id=enterprise_id)
    except SurveyError as error:
        return _refusal(error)
    if sample is None:
        return _message("无需登记", "这是公开问卷，不填写即可，我们不会就此提醒您。", status=200)
    if sample.disposition == Disposition.complete:
        return _message("已提交", "您已提交本问卷，今后不会再就本次调查提醒您。感谢您的参与！", status=200)
    return _message("已记录", "已记录您不参加本次调查，今后不会再就本次调查提醒您。感谢您的关注！", status=200)
