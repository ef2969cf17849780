"""Surveys in the mini-program: my surveys, the questionnaire with my answers so far, partial
saves, submission (once) and declining.

Every rule is `app.survey.answering`'s — who may answer for which enterprise, drafts shared
with the chat and the H5 page, skip logic, submitted once — and these routes read, call,
render. A person answers only for an enterprise they are bound to: naming another one's
`enterprise_id` is 403 `enterprise_access_denied`, and a survey their enterprises were not
sampled for is 403 `not_invited`, so nobody reads or writes another enterprise's answers.

* **Answers with errors** are 422 `answer_invalid` with `details.errors` {question key:
  Chinese message} (and `details.field`, the first); nothing of that request is saved.
* **Submission** is idempotent twice over: `Idempotency-Key` replays the first answer, and
  submitting an already submitted response answers with it (`already_submitted: true`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sanic import Request
from sanic.response import HTTPResponse

from app.survey import answering
from app.survey.errors import AnswersInvalid, SurveyError
from app.survey.models import Disposition
from miniprogram_api.auth import authenticated, current_user
from miniprogram_api.blueprint import bp
from miniprogram_api.errors import ApiError, register_domain_error
from miniprogram_api.idempotency import idempotent
from miniprogram_api.responses import ok
from miniprogram_api.spec import describe
from miniprogram_api.survey_schemas import (
    AnswersRequest,
    DeclineOut,
    DeclineRequest,
    ResponseOut,
    SubmitRequest,
    SurveyCardOut,
    SurveyListOut,
    SurveyQuery,
)
from miniprogram_api.validation import validate_body, validate_query

register_domain_error(SurveyError)

TAGS = ["问卷调查"]
_ACCESS_ERRORS = ["survey_not_found", "not_invited", "enterprise_access_denied", "survey_not_open", "opted_out",
                  "ineligible", "questionnaire_missing"]
_WRITE_ERRORS = [*_ACCESS_ERRORS, "answer_invalid", "already_submitted"]

T = TypeVar("T")


async def _answering(call: Callable[[], Awaitable[T]]) -> T:
    """Run a service call; invalid answers become 422 with every question's message."""
    try:
        return await call()
    except AnswersInvalid as invalid:
        raise ApiError("answer_invalid", invalid.message,
                       details={"field": invalid.field, "errors": dict(invalid.errors)}) from None


def _settings(request: Request) -> Any:
    return request.app.ctx.resources.settings


@bp.get("/surveys")
@describe("我的问卷：邀请我的企业填写的调查、公开问卷，以及已提交的问卷", response=SurveyListOut, tags=TAGS)
@authenticated
async def list_surveys(request: Request) -> HTTPResponse:
    cards = await answering.my_surveys(user=current_user(request), settings=_settings(request))
    return ok(SurveyListOut(items=[SurveyCardOut.build(card) for card in cards]))


@bp.get("/surveys/<survey_id:int>", name="survey")
@describe(
    "问卷与我的作答：题目（按部分）、已保存的答案、进度、下一道未答题",
    response=ResponseOut, tags=TAGS, errors=_ACCESS_ERRORS,
    description="草稿在公众号对话、H5 页面和小程序之间共享：在任一处作答，换个地方打开可接着答。"
    "已提交的问卷在调查结束后仍可查看（只读）。",
)
@authenticated
@validate_query(SurveyQuery)
async def survey_detail(request: Request, survey_id: int, query: SurveyQuery) -> HTTPResponse:
    view = await answering.open_response(survey_id=survey_id, user=current_user(request), settings=_settings(request),
                                         enterprise_id=query.enterprise_id)
    return ok(ResponseOut.build(view))


@bp.put("/surveys/<survey_id:int>/answers")
@describe(
    "保存部分答案（草稿）",
    response=ResponseOut, tags=TAGS, errors=_WRITE_ERRORS,
    description="只需发送有变化的题目；null 清除该题答案。答案不合题意时返回 422 answer_invalid，"
    "details.errors 为 {题目编号: 说明}，本次请求的答案都不保存。提交后不能再修改（409 already_submitted）。",
)
@authenticated
@validate_body(AnswersRequest)
async def save_answers(request: Request, survey_id: int, body: AnswersRequest) -> HTTPResponse:
    view = await _answering(lambda: answering.save_answers(
        survey_id=survey_id, user=current_user(request), settings=_settings(request), answers=body.answers,
        channel="miniprogram", enterprise_id=body.enterprise_id,
    ))
    return ok(ResponseOut.build(view))


@bp.post("/surveys/<survey_id:int>/submit")
@describe(
    "提交问卷（只能提交一次）",
    response=ResponseOut, tags=TAGS, errors=_WRITE_ERRORS,
    description="可一并发送最后的答案。必答题未答完时返回 422 answer_invalid，details.errors 列出每道题。"
    "重复提交返回已提交的答卷（already_submitted 为 true），不做任何更改。请带 Idempotency-Key。",
)
@authenticated
@idempotent
@validate_body(SubmitRequest)
async def submit(request: Request, survey_id: int, body: SubmitRequest) -> HTTPResponse:
    view = await _answering(lambda: answering.submit(
        survey_id=survey_id, user=current_user(request), settings=_settings(request), channel="miniprogram",
        answers=body.answers, enterprise_id=body.enterprise_id,
    ))
    return ok(ResponseOut.build(view))


@bp.post("/surveys/<survey_id:int>/decline")
@describe(
    "不参加本次调查",
    response=DeclineOut, tags=TAGS, errors=_ACCESS_ERRORS[:3],
    description="记录为拒绝参加，不再发送提醒。已提交的答卷不受影响。请先让用户确认。",
)
@authenticated
@idempotent
@validate_body(DeclineRequest)
async def decline(request: Request, survey_id: int, body: DeclineRequest) -> HTTPResponse:
    sample = await answering.decline(survey_id=survey_id, user=current_user(request), enterprise_id=body.enterprise_id)
    if sample is None:
        return ok(DeclineOut(declined=False, message="公开问卷无需登记，不填写即可"))
    if sample.disposition == Disposition.complete:
        return ok(DeclineOut(declined=True, message="您已提交本次问卷，今后不会再就本次调查提醒您。感谢您的参与"))
    return ok(DeclineOut(declined=True, message="已记录您不参加本次调查，今后不会再就本次调查提醒您。感谢您的关注"))
