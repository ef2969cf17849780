"""What a person receives: the notifications they were sent (我的消息), policy-push
preferences (退订 by support type) and the subscribe-message grants the mini-program
collected with `wx.requestSubscribeMessage`."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

import templates_msg
from app.notification.inbox import describe_message, mark_read, received_messages, unread_count
from app.notification.service import record_miniprogram_grants
from app.push.preferences import NotFollowing, person_push_settings, update_person_push_settings
from miniprogram_api.auth import authenticated, current_user, principal
from miniprogram_api.blueprint import bp
from miniprogram_api.errors import register_domain_error
from miniprogram_api.idempotency import idempotent
from miniprogram_api.notification_schemas import (
    GrantBalanceOut,
    GrantBalancesOut,
    GrantResultsRequest,
    MarkReadRequest,
    PushSettingsOut,
    PushSettingsUpdate,
    ReceivedMessageOut,
    SubscribeTemplateOut,
    SubscribeTemplatesOut,
    UnreadCountOut,
)
from miniprogram_api.pagination import PageQuery, PageResponse, paginate
from miniprogram_api.responses import ok
from miniprogram_api.spec import describe
from miniprogram_api.validation import validate_body, validate_query
from templates_msg.base import Channel, MessageKind

register_domain_error(NotFollowing)

TAGS = ["消息订阅"]


@bp.get("/me/policy-subscriptions")
@describe("我的政策推送设置（按支持方式）", response=PushSettingsOut, tags=TAGS)
@authenticated
async def get_push_settings(request: Request) -> HTTPResponse:
    return ok(PushSettingsOut.build(await person_push_settings(user=current_user(request))))


@bp.put("/me/policy-subscriptions")
@describe("修改政策推送设置（退订或恢复）", response=PushSettingsOut, tags=TAGS, errors=["not_following"])
@authenticated
@validate_body(PushSettingsUpdate)
async def put_push_settings(request: Request, body: PushSettingsUpdate) -> HTTPResponse:
    updated = await update_person_push_settings(
        user=current_user(request), receive_all=body.receive_all, types=body.types
    )
    return ok(PushSettingsOut.build(updated))


@bp.get("/subscribe-templates")
@describe("小程序可申请的订阅消息模板", response=SubscribeTemplatesOut, tags=TAGS)
@authenticated
async def subscribe_templates(request: Request) -> HTTPResponse:
    settings = request.app.ctx.resources.settings
    items = [
        SubscribeTemplateOut(
            name=definition.name,
            title=definition.title,
            template_id=definition.template_id(settings),
            long_term=definition.long_term,
        )
        for definition in templates_msg.all_definitions()
        if definition.kind is MessageKind.subscribe
        and definition.channel is Channel.miniprogram
        and definition.is_configured(settings)
    ]
    return ok(SubscribeTemplatesOut(items=items))


@bp.post("/me/subscribe-grants")
@describe(
    "上报订阅消息授权结果",
    response=GrantBalancesOut,
    tags=TAGS,
    description="把 wx.requestSubscribeMessage 的结果原样上报；请带 Idempotency-Key，重试不会重复计数。",
)
@authenticated
@idempotent
@validate_body(GrantResultsRequest)
async def report_grants(request: Request, body: GrantResultsRequest) -> HTTPResponse:
    balances = await record_miniprogram_grants(
        openid=principal(request).account.openid,
        results=body.results,
        settings=request.app.ctx.resources.settings,
    )
    return ok(
        GrantBalancesOut(
            items=[
                GrantBalanceOut(template_id=template_id, remaining=balance.remaining, long_term=balance.long_term)
                for template_id, balance in balances.items()
            ]
        )
    )


@bp.get("/me/messages")
@describe(
    "我的消息（收到的通知，分页，最新在前）",
    response=PageResponse[ReceivedMessageOut],
    tags=TAGS,
    description="公众号模板消息、订阅通知与小程序订阅消息中已送达本人的通知；聊天回复不在其中。",
)
@authenticated
@validate_query(PageQuery)
async def list_messages(request: Request, query: PageQuery) -> HTTPResponse:
    user = current_user(request)
    page = await paginate(await received_messages(user=user), query)
    read_up_to = user.messages_read_up_to
    return ok(
        PageResponse[ReceivedMessageOut](
            items=[ReceivedMessageOut.build(describe_message(entry, read_up_to=read_up_to)) for entry in page.items],
            next_cursor=page.next_cursor,
        )
    )


@bp.get("/me/messages/unread-count")
@describe("未读消息数（“我的”页角标）", response=UnreadCountOut, tags=TAGS)
@authenticated
async def messages_unread_count(request: Request) -> HTTPResponse:
    return ok(UnreadCountOut(unread=await unread_count(user=current_user(request))))


@bp.post("/me/messages/read")
@describe(
    "标记消息已读",
    response=UnreadCountOut,
    tags=TAGS,
    description="把 up_to_id 及更早的消息标记为已读（不传则全部）；只会前进，重复调用无副作用。返回剩余未读数。",
)
@authenticated
@validate_body(MarkReadRequest)
async def mark_messages_read(request: Request, body: MarkReadRequest) -> HTTPResponse:
    return ok(UnreadCountOut(unread=await mark_read(user=current_user(request), up_to_id=body.up_to_id)))
