"""Engagements and ratings in the mini-program: engage a product, follow it, confirm or
send it back, cancel, rate; and the provider desk's side (accept, decline, deliver).

Every step is the engagement service's (`app.engagement.service`, `.ratings`) and every
page the read side's (`app.engagement.queries`); these routes read the request, call one
of them, render.

* **Who may do what** is the transition table's (`app.engagement.workflow`): the same
  `POST /engagements/{id}/cancel` is the enterprise's or the provider's cancellation,
  depending on who calls it; a person with no role on an engagement gets 404.
* **Idempotency.** `Idempotency-Key` replays the first answer for 24 h, like every POST
  here; for a request and a rating the key also goes to the service (scoped to the
  account), so the same key returns the engagement or rating already made.
* **Ratings** need the four dimension scores here (the chat may skip them); the comment is
  checked by WeChat and a doubtful one is held for review (`counts=false` until then).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse

from app.engagement import queries, ratings, service
from app.engagement.models import EngagementChannel
from miniprogram_api.auth import authenticated, current_user, principal
from miniprogram_api.blueprint import bp
from miniprogram_api.engagement_schemas import (
    AcceptBody,
    DeliverBody,
    EngagementDetailOut,
    EngagementListOut,
    EngagementListQuery,
    EngagementRequest,
    EngagementSummaryOut,
    RatingBody,
    RatingOut,
    ReasonBody,
)
from miniprogram_api.errors import ApiError
from miniprogram_api.idempotency import HEADER as IDEMPOTENCY_HEADER
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import decode_cursor, encode_cursor
from miniprogram_api.responses import ok
from miniprogram_api.spec import describe
from miniprogram_api.validation import validate_body, validate_query

TAGS = ["服务委托"]
MAX_PAGE = 500
_STEP_ERRORS = ["engagement_not_found", "wrong_state", "note_required", "note_too_long", "engagement_conflict",
                "forbidden"]


def _settings(request: Request) -> Any:
    return request.app.ctx.resources.settings


def _service_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if not key:
        return None
    return f"mp:{principal(request).account.id}:{hashlib.sha256(key.encode()).hexdigest()}"


def _page(cursor: str | None) -> int:
    if not cursor:
        return 1
    value = decode_cursor(cursor)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_PAGE + 1:
        raise ApiError("invalid_cursor")
    return value


def _list(found: queries.Page, page: int) -> HTTPResponse:
    return ok(EngagementListOut(items=[EngagementSummaryOut.build(i) for i in found.items], total=found.total,
                                next_cursor=encode_cursor(page + 1) if found.has_next and page < MAX_PAGE else None))


async def _detail(request: Request, engagement_id: int) -> HTTPResponse:
    view = await queries.detail(engagement_id=engagement_id, user=current_user(request))
    return ok(EngagementDetailOut.build(view))


@bp.post("/engagements")
@describe(
    "委托服务：为我绑定的企业委托服务机构的某项服务产品",
    response=EngagementDetailOut, status=201, tags=TAGS,
    description="返回 201 与新订单；以同一 Idempotency-Key 重复提交返回首次的订单（200）。同一企业对同一产品只能有一个进行中的订单；"
    "已暂停的服务机构或已下架的产品不能委托。建议提交前请求 provider_engagement 订阅消息。",
    errors=["enterprise_access_denied", "product_not_found", "product_unavailable", "provider_unavailable",
            "own_provider", "engagement_open", "note_too_long"],
)
@authenticated
@idempotent
@validate_body(EngagementRequest)
async def engagement_create(request: Request, body: EngagementRequest) -> HTTPResponse:
    result = await service.request_engagement(
        user=current_user(request), product_id=body.product_id, enterprise_id=body.enterprise_id, note=body.note,
        channel=EngagementChannel.miniprogram, idempotency_key=_service_key(request),
    )
    view = await queries.detail(engagement_id=result.engagement.id, user=current_user(request))
    location = request.app.url_for("miniprogram.engagement_detail", engagement_id=result.engagement.id)
    return ok(EngagementDetailOut.build(view), status=201 if result.created else 200, headers={"Location": location})


@bp.get("/engagements")
@describe("我的服务委托（我绑定企业的订单，分页）", response=EngagementListOut, tags=TAGS)
@authenticated
@validate_query(EngagementListQuery)
async def engagement_list(request: Request, query: EngagementListQuery) -> HTTPResponse:
    page = _page(query.cursor)
    found = await queries.list_for_user(user=current_user(request), status=query.status, page=page,
                                        per_page=query.limit)
    return _list(found, page)


@bp.get("/me/providers/<provider_id:int>/engagements")
@describe("服务机构工作台：本机构收到的委托（按状态筛选）", response=EngagementListOut, tags=TAGS, errors=["forbidden"])
@authenticated
@validate_query(EngagementListQuery)
async def engagement_desk(request: Request, provider_id: int, query: EngagementListQuery) -> HTTPResponse:
    page = _page(query.cursor)
    found = await queries.list_for_provider(user=current_user(request), provider_id=provider_id,
                                            status=query.status, page=page, per_page=query.limit)
    return _list(found, page)


@bp.get("/engagements/<engagement_id:int>", name="engagement_detail")
@describe("服务订单详情：进度、评价与我可进行的操作", response=EngagementDetailOut, tags=TAGS,
          errors=["engagement_not_found"])
@authenticated
async def engagement_detail(request: Request, engagement_id: int) -> HTTPResponse:
    return await _detail(request, engagement_id)


@bp.post("/engagements/<engagement_id:int>/accept")
@describe("接受委托（服务机构成员）", response=EngagementDetailOut, tags=TAGS, errors=_STEP_ERRORS)
@authenticated
@idempotent
@validate_body(AcceptBody)
async def engagement_accept(request: Request, engagement_id: int, body: AcceptBody) -> HTTPResponse:
    await service.accept(engagement_id=engagement_id, user=current_user(request), note=body.note)
    return await _detail(request, engagement_id)


@bp.post("/engagements/<engagement_id:int>/decline")
@describe("婉拒委托（服务机构成员，须说明原因）", response=EngagementDetailOut, tags=TAGS, errors=_STEP_ERRORS)
@authenticated
@idempotent
@validate_body(ReasonBody)
async def engagement_decline(request: Request, engagement_id: int, body: ReasonBody) -> HTTPResponse:
    await service.decline(engagement_id=engagement_id, user=current_user(request), reason=body.reason)
    return await _detail(request, engagement_id)


@bp.post("/engagements/<engagement_id:int>/deliver")
@describe("交付服务（服务机构成员）：企业确认后完成，逾期未确认自动完成", response=EngagementDetailOut, tags=TAGS,
          errors=_STEP_ERRORS)
@authenticated
@idempotent
@validate_body(DeliverBody)
async def engagement_deliver(request: Request, engagement_id: int, body: DeliverBody) -> HTTPResponse:
    await service.deliver(engagement_id=engagement_id, user=current_user(request), note=body.note,
                          settings=_settings(request))
    return await _detail(request, engagement_id)


@bp.post("/engagements/<engagement_id:int>/confirm")
@describe("确认服务已完成（委托企业）", response=EngagementDetailOut, tags=TAGS, errors=_STEP_ERRORS)
@authenticated
@idempotent
async def engagement_confirm(request: Request, engagement_id: int) -> HTTPResponse:
    await service.confirm(engagement_id=engagement_id, user=current_user(request))
    return await _detail(request, engagement_id)


@bp.post("/engagements/<engagement_id:int>/reopen")
@describe("反馈服务尚未完成（委托企业，须说明原因）", response=EngagementDetailOut, tags=TAGS, errors=_STEP_ERRORS)
@authenticated
@idempotent
@validate_body(ReasonBody)
async def engagement_reopen(request: Request, engagement_id: int, body: ReasonBody) -> HTTPResponse:
    await service.reopen(engagement_id=engagement_id, user=current_user(request), reason=body.reason)
    return await _detail(request, engagement_id)


@bp.post("/engagements/<engagement_id:int>/cancel")
@describe("取消委托（企业：已申请或服务中；服务机构：服务中；须说明原因）", response=EngagementDetailOut, tags=TAGS,
          errors=_STEP_ERRORS)
@authenticated
@idempotent
@validate_body(ReasonBody)
async def engagement_cancel(request: Request, engagement_id: int, body: ReasonBody) -> HTTPResponse:
    await service.cancel(engagement_id=engagement_id, user=current_user(request), reason=body.reason)
    return await _detail(request, engagement_id)


@bp.post("/engagements/<engagement_id:int>/rating")
@describe(
    "评价已完成的服务（每项服务一次）",
    response=RatingOut, status=201, tags=TAGS,
    description="总体 1–5 分与四个维度（专业能力、响应速度、服务态度、收费合理）各 1–5 分；评语经微信内容安全检测，"
    "需人工审核的评语审核通过前不计入评分。服务机构成员、与服务机构为同一企业者不能评价。",
    errors=["engagement_not_found", "not_completed", "already_rated", "forbidden", "invalid_score",
            "invalid_dimension", "dimensions_required", "comment_too_long"],
)
@authenticated
@idempotent
@validate_body(RatingBody)
async def engagement_rate(request: Request, engagement_id: int, body: RatingBody) -> HTTPResponse:
    result = await ratings.rate(
        engagement_id=engagement_id, user=current_user(request), overall=body.overall, dimensions=body.dimensions,
        comment=body.comment, require_dimensions=True, channel=EngagementChannel.miniprogram,
        idempotency_key=_service_key(request), miniprogram=request.app.ctx.resources.miniprogram,
    )
    r = result.rating
    return ok(RatingOut(overall=r.overall, dimensions=r.dimensions, comment=r.comment,
                        comment_state=r.comment_check.label if hasattr(r.comment_check, "label") else str(r.comment_check),
                        counts=r.counts, created_at=r.created_at), status=201 if result.created else 200)
