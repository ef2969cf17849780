"""H5 pages for engagements and ratings opened from the chat.

* `GET /h5/engagements/new?product_id=` — the 委托 form for one product (which bound
  enterprise, a note); `POST /h5/engagements` — engage it (the provider page's product
  button posts here with `product_id` and the CSRF token; `enterprise_id` may be left out
  when the person is bound to exactly one enterprise, otherwise the form asks);
* `GET /h5/engagements` — my engagements; `GET /h5/engagements/<id>` — one engagement with
  its timeline and the forms the person may use now: confirm completion, say it is not done,
  cancel, rate (`#rate`, where the completion message opens).

Signed in through the H5 OAuth session; POSTs carry the session's CSRF token. Every rule is
`app.engagement.service`'s / `.ratings`' and every view `app.engagement.queries`': an
engagement the person has no role on is a 404 page, a refused step is shown in its words
next to the form.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, redirect

from app.engagement import queries, ratings, service
from app.engagement.models import EngagementChannel
from app.identity.errors import AccessDenied
from app.identity.models import WeChatUser
from app.identity.service import active_bindings
from app.provider.errors import ProviderError, ProviderNotFound
from app.provider.queries import public_product
from handlers.h5.csrf import CSRF_FIELD, csrf_token, refuse_forgery
from handlers.h5.pages import message_page, render_page
from handlers.h5.session import visitor

__all__ = ["register"]

SHANGHAI_FMT = "%Y-%m-%d %H:%M"
PAGE_SIZE = 20
TABS = (("", "全部"), ("open", "进行中"), ("closed", "已结束"))
DONE = {
    "request": "委托已提交，服务机构接受后会通知您。",
    "confirm": "已确认服务完成，欢迎为本次服务评价。",
    "reopen": "已将您的反馈转给服务机构，请等待其继续服务。",
    "cancel": "委托已取消。",
    "rate": "感谢您的评价！",
    "rate_held": "感谢您的评价！评语正在审核中，审核通过后计入评分。",
}
_NOT_FOUND = {"title": "服务订单不存在", "message": "该服务订单不存在，或您无权查看。", "status": 404}


def _time(moment: datetime | None) -> str:
    from app.engagement.queries import SHANGHAI

    return f"{moment.astimezone(SHANGHAI):{SHANGHAI_FMT}}" if moment else ""


async def _visitor(request: Request) -> WeChatUser | None | HTTPResponse:
    # A first visit may engage a provider: the follower becomes a person if they are not one yet.
    return await visitor(request, create_person=True)


def _forged(request: Request) -> HTTPResponse | None:
    return refuse_forgery(request)


def _form(request: Request, name: str) -> str:
    return ((request.form or {}).get(name) or "").strip()


# -- engaging a product -------------------------------------------------------------------


async def _new_page(request: Request, user: WeChatUser, product_id: int, *, error: str = "",
                    values: dict[str, str] | None = None, status: int = 200) -> HTTPResponse:
    try:
        product = await public_product(product_id=product_id)
    except ProviderNotFound:
        return message_page(title="服务产品不存在", message="该服务产品不存在或已下架。", status=404)
    bindings = [b for b in await active_bindings(user=user)]
    return render_page(
        "engagement_new.html", title="委托服务", status=status, product=product, provider=product.provider,
        bindings=bindings, error=error, values=values or {}, token=secrets.token_hex(16),
        csrf_field=CSRF_FIELD, csrf_token=csrf_token(request),
    )


async def engagement_new(request: Request) -> HTTPResponse:
    user = await _visitor(request)
    if isinstance(user, HTTPResponse):
        return user
    try:
        product_id = int(request.args.get("product_id") or 0)
    except ValueError:
        product_id = 0
    if user is None or not product_id:
        return message_page(title="服务产品不存在", message="请从服务机构页面选择要委托的服务。", status=404)
    return await _new_page(request, user, product_id)


async def engagement_create(request: Request) -> HTTPResponse:
    forged = _forged(request)
    if forged is not None:
        return forged
    user = await _visitor(request)
    if isinstance(user, HTTPResponse) or user is None:
        return message_page(title="请先登录", message="请在微信中打开企业服务云后再委托服务。", status=403)
    values = {k: _form(request, k) for k in ("product_id", "enterprise_id", "note", "token")}
    try:
        product_id = int(values["product_id"])
    except ValueError:
        return message_page(title="服务产品不存在", message="请从服务机构页面选择要委托的服务。", status=404)
    bindings = await active_bindings(user=user)
    if not bindings:
        return message_page(title="请先绑定企业", message="委托服务须以企业名义办理。请先在公众号菜单「企业服务」→「绑定企业」中绑定您的企业。",
                            status=403)
    enterprise_id = int(values["enterprise_id"]) if values["enterprise_id"].isdigit() else None
    if enterprise_id is None:
        if len(bindings) > 1:
            return await _new_page(request, user, product_id, values=values)  # ask which enterprise
        enterprise_id = bindings[0].enterprise_id
    key = f"h5:{user.id}:{values['token']}"[:128] if values["token"] else None
    try:
        result = await service.request_engagement(user=user, product_id=product_id, enterprise_id=enterprise_id,
                                                  note=values["note"], channel=EngagementChannel.h5,
                                                  idempotency_key=key)
    except (ProviderError, AccessDenied) as error:
        return await _new_page(request, user, product_id, error=str(getattr(error, "message", error)), values=values,
                               status=getattr(error, "status", 400))
    return redirect(f"/h5/engagements/{result.engagement.id}?done=request", status=303)


# -- following them -----------------------------------------------------------------------


async def engagement_list(request: Request) -> HTTPResponse:
    user = await _visitor(request)
    if isinstance(user, HTTPResponse):
        return user
    status = request.args.get("status") or ""
    if status not in ("open", "closed"):
        status = ""
    try:
        page = max(1, min(int(request.args.get("page") or 1), 500))
    except ValueError:
        page = 1
    found = await queries.list_for_user(user=user, status=status or None, page=page, per_page=PAGE_SIZE) if user else None
    return render_page("engagement_list.html", title="我的服务委托", items=found.items if found else [],
                       total=found.total if found else 0, has_next=bool(found and found.has_next), page=page,
                       status_filter=status, tabs=TABS, time=_time)


async def _render_detail(request: Request, user: WeChatUser, engagement_id: int, *, notice: str = "",
                         errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                         status: int = 200) -> HTTPResponse:
    try:
        detail = await queries.detail(engagement_id=engagement_id, user=user)
    except ProviderNotFound:
        return message_page(**_NOT_FOUND)
    actions = {t.action: t for t in detail.actions}
    return render_page(
        "engagement_detail.html", title="服务订单详情", status=status, detail=detail, summary=detail.summary,
        actions=actions, provider_side="provider" in {r.value for r in detail.roles}, notice=notice,
        errors=errors or {}, values=values or {}, dimensions=ratings.DIMENSIONS, time=_time,
        comment_limit=ratings.COMMENT_LIMIT, token=secrets.token_hex(16), csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(request),
    )


async def engagement_detail(request: Request, engagement_id: int) -> HTTPResponse:
    user = await _visitor(request)
    if isinstance(user, HTTPResponse):
        return user
    if user is None:
        return message_page(**_NOT_FOUND)
    return await _render_detail(request, user, engagement_id, notice=DONE.get(request.args.get("done") or "", ""))


def _step(action: str) -> Any:
    async def handle(request: Request, engagement_id: int) -> HTTPResponse:
        forged = _forged(request)
        if forged is not None:
            return forged
        user = await _visitor(request)
        if isinstance(user, HTTPResponse) or user is None:
            return message_page(**_NOT_FOUND)
        reason = _form(request, "reason")
        try:
            if action == "confirm":
                await service.confirm(engagement_id=engagement_id, user=user)
            elif action == "reopen":
                await service.reopen(engagement_id=engagement_id, user=user, reason=reason)
            else:
                await service.cancel(engagement_id=engagement_id, user=user, reason=reason)
        except ProviderNotFound:
            return message_page(**_NOT_FOUND)
        except ProviderError as error:
            return await _render_detail(request, user, engagement_id, errors={action: error.message},
                                        values={"reason": reason}, status=error.status)
        return redirect(f"/h5/engagements/{engagement_id}?done={action}", status=303)

    handle.__name__ = f"engagement_{action}"
    return handle


async def engagement_rate(request: Request, engagement_id: int) -> HTTPResponse:
    forged = _forged(request)
    if forged is not None:
        return forged
    user = await _visitor(request)
    if isinstance(user, HTTPResponse) or user is None:
        return message_page(**_NOT_FOUND)
    form = request.form or {}
    values = {"overall": _form(request, "overall"), "comment": _form(request, "comment")}
    dimensions = {}
    for index, name in enumerate(ratings.DIMENSIONS):
        raw = (form.get(f"d{index}") or "").strip()
        values[f"d{index}"] = raw
        if raw:
            dimensions[name] = raw
    token = _form(request, "token")
    try:
        result = await ratings.rate(
            engagement_id=engagement_id, user=user, overall=values["overall"], dimensions=dimensions,
            comment=values["comment"], channel=EngagementChannel.h5,
            idempotency_key=f"h5:{user.id}:{token}"[:128] if token else None,
            miniprogram=request.app.ctx.resources.miniprogram,
        )
    except ProviderNotFound:
        return message_page(**_NOT_FOUND)
    except ProviderError as error:
        return await _render_detail(request, user, engagement_id, errors={"rate": error.message}, values=values,
                                    status=error.status)
    return redirect(f"/h5/engagements/{engagement_id}?done={'rate_held' if result.held else 'rate'}", status=303)


def register(bp: Blueprint) -> None:
    """Adds this module's pages to the H5 blueprint (called once by `handlers.routes`)."""
    bp.add_route(engagement_new, "/h5/engagements/new", methods=["GET"], name="h5_engagement_new")
    bp.add_route(engagement_create, "/h5/engagements", methods=["POST"], name="h5_engagement_create")
    bp.add_route(engagement_list, "/h5/engagements", methods=["GET"], name="h5_engagement_list")
    bp.add_route(engagement_detail, "/h5/engagements/<engagement_id:int>", methods=["GET"], name="h5_engagement_detail")
    for action in ("confirm", "reopen", "cancel"):
        bp.add_route(_step(action), f"/h5/engagements/<engagement_id:int>/{action}", methods=["POST"],
                     name=f"h5_engagement_{action}")
    bp.add_route(engagement_rate, "/h5/engagements/<engagement_id:int>/rate", methods=["POST"], name="h5_engagement_rate")
