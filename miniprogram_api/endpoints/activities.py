"""Activities in the mini-program: the schedule, sign-up, my sign-ups, cancelling, tickets.

Every rule is `app.activity.service`'s (capacity, waiting list, one sign-up per person,
deadlines) and every page `app.activity.queries`'; these routes read, call, render.

* **Sign-up** is idempotent twice over: `Idempotency-Key` replays the first answer, and a
  second sign-up of the same person answers with the existing one (200 instead of 201).
* **Reminders.** The page asks `wx.requestSubscribeMessage` for the 活动开始提醒 template
  at the sign-up tap and sends the result along (`subscribe_results`): that grant is what
  the day-before reminder spends (`app.activity.notices`).
* **Tickets** exist for confirmed sign-ups only, for their owner only (404 otherwise).
"""

from __future__ import annotations

import base64
from datetime import datetime

from sanic import Request
from sanic.response import HTTPResponse

from app.activity import queries, tickets
from app.activity import service as activity_service
from app.activity.errors import ActivityError, SignupNotFound
from app.activity.models import SignupChannel, SignupStatus
from app.activity.queries import SignupView
from app.notification.service import record_miniprogram_grants
from miniprogram_api.activity_schemas import (
    ActivityDetailOut,
    ActivityListOut,
    ActivityListQuery,
    ActivityOut,
    MySignupOut,
    SignupListOut,
    SignupOut,
    SignupRequest,
    TicketOut,
)
from miniprogram_api.auth import authenticated, current_user, principal
from miniprogram_api.blueprint import bp
from miniprogram_api.errors import ApiError, register_domain_error
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import decode_cursor, encode_cursor
from miniprogram_api.responses import ok
from miniprogram_api.spec import describe
from miniprogram_api.validation import validate_body, validate_query

register_domain_error(ActivityError)

TAGS = ["活动"]
MAX_OFFSET = 10_000
_SIGNUP_ERRORS = ["activity_not_found", "signup_closed", "name_too_long", "invalid_phone", "enterprise_access_denied"]
_CANCEL_ERRORS = ["signup_not_found", "already_cancelled", "already_checked_in", "activity_closed", "already_started",
                  "signup_conflict"]


def _now() -> datetime:
    return activity_service.now_local()


async def _signup_out(view: SignupView, *, created: bool = True) -> SignupOut:
    return SignupOut(
        signup=MySignupOut.build(view, enterprise_name=view.enterprise_name),
        activity=ActivityOut.build(queries.activity_view(view.activity, now=_now())),
        channel=SignupChannel(view.signup.channel),
        message=queries.signup_message(view.signup, created=created),
    )


async def _view_of(signup_id: int) -> SignupView:
    view = await queries.signup_view(signup_id=signup_id)
    if view is None:
        raise SignupNotFound()
    return view


@bp.get("/activities")
@describe("活动排片：即将开始、可报名的活动（分页，可按类型筛选）", response=ActivityListOut, tags=TAGS)
@authenticated
@validate_query(ActivityListQuery)
async def list_activities(request: Request, query: ActivityListQuery) -> HTTPResponse:
    offset = _offset(query.cursor)
    now = _now()
    items, total = await queries.upcoming(now=now, limit=query.limit, offset=offset, kind=query.kind)
    following = offset + len(items)
    return ok(ActivityListOut(
        items=[ActivityOut.build(queries.activity_view(item, now=now)) for item in items],
        total=total,
        next_cursor=encode_cursor(following) if following < total and following <= MAX_OFFSET else None,
    ))


@bp.get("/activities/<activity_id:int>", name="activity")
@describe("活动详情（含我的报名）", response=ActivityDetailOut, tags=TAGS, errors=["activity_not_found"])
@authenticated
async def activity_detail(request: Request, activity_id: int) -> HTTPResponse:
    activity = await activity_service.get_activity(activity_id=activity_id)
    mine = await queries.signup_of(activity_id=activity_id, user=current_user(request))
    my_out = MySignupOut.build(mine, enterprise_name=mine.enterprise_name) if mine is not None else None
    base = ActivityOut.build(queries.activity_view(activity, now=_now()))
    return ok(ActivityDetailOut(**base.model_dump(), description=activity.description, my_signup=my_out))


@bp.post("/activities/<activity_id:int>/signups")
@describe(
    "报名活动",
    response=SignupOut,
    status=201,
    tags=TAGS,
    description="有名额时报名成功并生成电子票；名额已满时进入候补名单（按报名先后排队，有人取消时自动递补并通知）。"
    "同一人对同一活动只有一个报名：重复报名返回已有的报名（200）。请带 Idempotency-Key。",
    errors=_SIGNUP_ERRORS,
)
@authenticated
@idempotent
@validate_body(SignupRequest)
async def sign_up(request: Request, activity_id: int, body: SignupRequest) -> HTTPResponse:
    who = principal(request)
    if body.subscribe_results:
        await record_miniprogram_grants(openid=who.account.openid, results=body.subscribe_results,
                                        settings=request.app.ctx.resources.settings)
    result = await activity_service.sign_up(
        activity_id=activity_id, user=who.user, channel=SignupChannel.miniprogram, contact_name=body.contact_name,
        contact_phone=body.contact_phone, enterprise_id=body.enterprise_id,
    )
    out = await _signup_out(await _view_of(result.signup.id), created=result.created)
    return ok(out, status=201 if result.created else 200)


@bp.get("/me/activity-signups")
@describe("我的活动报名（含候补；不含已取消）", response=SignupListOut, tags=TAGS)
@authenticated
async def my_signups(request: Request) -> HTTPResponse:
    views = await queries.my_signups(user=current_user(request))
    return ok(SignupListOut(items=[await _signup_out(view, created=False) for view in views]))


@bp.post("/me/activity-signups/<signup_id:int>/cancel")
@describe(
    "取消报名",
    response=SignupOut,
    tags=TAGS,
    description="活动开始前可取消；报名成功者取消后，名额自动递补给候补第 1 位。",
    errors=_CANCEL_ERRORS,
)
@authenticated
@idempotent
async def cancel_signup(request: Request, signup_id: int) -> HTTPResponse:
    signup = await activity_service.cancel_signup(signup_id=signup_id, user=current_user(request))
    return ok(await _signup_out(await _view_of(signup.id), created=False))


@bp.get("/me/activity-signups/<signup_id:int>/ticket")
@describe("电子票（二维码），入场时出示", response=TicketOut, tags=TAGS, errors=["signup_not_found"])
@authenticated
async def ticket(request: Request, signup_id: int) -> HTTPResponse:
    view = await queries.signup_view(signup_id=signup_id, user=current_user(request))
    if view is None:
        raise SignupNotFound()
    signup = view.signup
    if not view.ticket_visible:
        raise SignupNotFound("报名成功后才有电子票" if SignupStatus(signup.status) is SignupStatus.waitlisted else "该报名已取消")
    png = tickets.qr_png(signup.ticket_code)
    return ok(TicketOut(
        ticket_code=signup.ticket_code, qr_png_base64=base64.b64encode(png).decode(),
        status=SignupStatus(signup.status), status_label=view.status_label, checked_in_at=signup.checked_in_at,
        activity=ActivityOut.build(queries.activity_view(view.activity, now=_now())),
    ))


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    value = decode_cursor(cursor)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_OFFSET:
        raise ApiError("invalid_cursor")
    return value
