"""Telling people about engagements: the outbox handler of `engagement.notify`.

Rows are queued by `app.engagement.service` in the step's transaction, with an
`audience`:

* `enterprise` — the person who made the request hears of accepted, declined, delivered
  (with a request to confirm), completed (with a request to rate) and a cancellation by
  the provider or staff;
* `provider` — fanned out into one `member` row per active member of the provider (stable
  dedupe keys, so a rerun adds nothing): a new request, a confirmation or automatic
  completion, a delivery sent back, a cancellation by the enterprise or staff;
* `member` — one provider member.

Channel, for one person, first that can reach them:

1. **completed, to the enterprise: the rating prompt in chat** — a customer-service text
   (reply 评价 to start the rating flow, or the page's link) if they follow the account and
   the 48-hour window is open;
2. the mini-program subscribe message `provider_engagement`, if one of their mini-program
   accounts holds a grant for it (the grant ledger, `app.notification`);
3. the official-account template message `provider_engagement_progress` (a completed
   engagement's says 待评价 and opens the rating form), if they follow the account;
4. otherwise `skipped:no_channel`.

Every message goes through `app.notification.service.send_rendered` (templates and
subscribe messages) or is recorded with `record_outbound` (the customer-service prompt), with
context `engagement:<id>`. A rerun row resends its template message with the same
`client_msg_id` (WeChat de-duplicates).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

import templates_msg
from app.engagement.models import Engagement, EngagementEvent
from app.identity import followers
from app.identity.models import Follower, MiniProgramUser
from app.messagelog.service import record_outbound
from app.notification.models import GrantChannel
from app.notification.outcomes import raise_if_transient
from app.notification.service import available_grants, send_rendered
from app.outbox.delivery import RetryLater, outbox_handler
from app.outbox.models import OutboxMessage
from app.outbox.service import put as outbox_put
from app.provider.models import ProviderMember
from app.wechat.errors import (
    WeChatAPIError,
    WeChatWindowClosedError,
)
from templates_msg import TemplateError
from templates_msg.provider_engagement import values_for as subscribe_values

__all__ = ["Notice", "notice_for", "notify", "rating_prompt_text"]

logger = logging.getLogger("qiyun.engagement.notices")


@dataclass(frozen=True)
class Notice:
    progress: str
    """A key of templates_msg.provider_engagement_progress.PROGRESS_PHRASES."""
    note: str
    rating_prompt: bool = False


_ENTERPRISE = {
    "accept": lambda e, ev: Notice("accepted", "服务机构已接受委托，将与您联系"),
    "decline": lambda e, ev: Notice("declined", ev.text or "服务机构婉拒了委托"),
    "deliver": lambda e, ev: Notice("delivered", "服务已交付，请确认是否完成"),
    "confirm": lambda e, ev: Notice("to_rate", "服务已完成，请为本次服务评价", rating_prompt=True),
    "auto_complete": lambda e, ev: Notice("to_rate", "逾期未确认已自动完成，请评价", rating_prompt=True),
    "cancel": lambda e, ev: Notice("cancelled", ev.text or "委托已取消"),
}
_MEMBER = {
    "request": lambda e, ev: Notice("requested", f"{e.enterprise.name}委托，请及时处理"),
    "confirm": lambda e, ev: Notice("completed", "企业已确认服务完成"),
    "auto_complete": lambda e, ev: Notice("completed", "企业逾期未确认，已自动完成"),
    "reopen": lambda e, ev: Notice("reopened", ev.text or "企业反馈服务尚未完成"),
    "cancel": lambda e, ev: Notice("cancelled", ev.text or "委托已取消"),
}


def notice_for(audience: str, engagement: Engagement, event: EngagementEvent) -> Notice | None:
    table = _ENTERPRISE if audience == "enterprise" else _MEMBER
    builder = table.get(event.action)
    return builder(engagement, event) if builder else None


def engagement_url(settings: Any, engagement_id: int) -> str:
    return f"{settings.public_base_url.rstrip('/')}/h5/engagements/{engagement_id}"


def rating_prompt_text(engagement: Engagement, *, settings: Any) -> str:
    """The chat's invitation to rate (also what 评价 answers when the flow cannot start)."""
    link = engagement_url(settings, engagement.id) + "#rate"
    return (
        f"您委托「{engagement.provider.name}」的「{engagement.product.name}」服务已完成。\n"
        "请为本次服务打分，您的评价将帮助其他企业选择服务机构。\n"
        f"回复“评价”即可在对话中评价，或<a href=\"{link}\">点此在网页上评价</a>。"
    )


async def _send_prompt(engagement: Engagement, user_id: int, resources: Any) -> str | None:
    follower = await Follower.filter(user_id=user_id, subscribed=True).order_by("-id").first()
    if follower is None or not followers.in_service_window(follower):
        return None
    text = rating_prompt_text(engagement, settings=resources.settings)
    try:
        await resources.official_account.message.send_custom_text(follower.openid, text)
    except WeChatWindowClosedError as exc:
        await record_outbound(openid=follower.openid, kind="custom", follower=follower, summary=text, errcode=exc.errcode,
                              status="failed", related_type="engagement", related_id=engagement.id)
        return None  # the template message takes over
    except WeChatAPIError as exc:
        await record_outbound(openid=follower.openid, kind="custom", follower=follower, summary=text, errcode=exc.errcode,
                              status="failed", related_type="engagement", related_id=engagement.id)
        if exc.retryable or exc.errcode is None:
            raise RetryLater(f"custom message: {exc}") from exc
        return None
    await record_outbound(openid=follower.openid, kind="custom", follower=follower, summary=text, errcode=0,
                          status="sent", related_type="engagement", related_id=engagement.id,
                          payload={"purpose": "rating_prompt"})
    return "sent:custom:rating_prompt"


async def _send_subscribe(engagement: Engagement, user_id: int, notice: Notice, when: datetime, resources: Any) -> str | None:
    definition = templates_msg.get("provider_engagement")
    settings = resources.settings
    if not definition.is_configured(settings) or not settings.miniprogram_appid:
        return None
    template_id = definition.template_id(settings)
    values = subscribe_values(engagement, provider_name=engagement.provider.name, product_name=engagement.product.name,
                              updated_at=when, note=notice.note)
    for account in await MiniProgramUser.filter(user_id=user_id).order_by("-id"):
        balance = await available_grants(channel=GrantChannel.miniprogram, openid=account.openid, template_id=template_id)
        if not balance.can_send:
            continue
        outcome = await send_rendered(wechat=resources.miniprogram, openid=account.openid,
                                      message=definition.render(values, settings=settings), follower=None,
                                      context=f"engagement:{engagement.id}")
        if outcome.ok:
            return "sent:subscribe:provider_engagement"
        if outcome.refused_locally:
            continue
        raise_if_transient(outcome)
    return None


async def _send_template(engagement: Engagement, user_id: int, notice: Notice, when: datetime,
                         message: OutboxMessage, resources: Any) -> str | None:
    follower = await Follower.filter(user_id=user_id, subscribed=True).order_by("-id").first()
    if follower is None:
        return None
    definition = templates_msg.get("provider_engagement_progress")
    if not definition.is_configured(resources.settings):
        return "skipped:not_configured:provider_engagement_progress"
    rendered = definition.render(
        {"engagement_id": engagement.id, "provider_name": engagement.provider.name,
         "product_name": engagement.product.name, "progress": notice.progress, "note": notice.note,
         "updated_at": when},
        settings=resources.settings,
    )
    outcome = await send_rendered(wechat=resources.official_account, openid=follower.openid, message=rendered,
                                  follower=follower, context=f"engagement:{engagement.id}",
                                  client_msg_id=f"outbox-{message.id}")
    if outcome.ok:
        return "sent:template:provider_engagement_progress"
    raise_if_transient(outcome)
    return f"failed:{outcome.errcode}:template:provider_engagement_progress"


async def _fan_out(message: OutboxMessage, engagement: Engagement) -> str:
    members = await ProviderMember.filter(provider_id=engagement.provider_id, revoked_at__isnull=True).order_by("id")
    if not members:
        return "skipped:no_members"
    for member in members:
        try:
            await outbox_put(topic="engagement.notify", dedupe_key=f"outbox:{message.id}:member:{member.user_id}",
                             payload={**message.payload, "audience": "member", "user_id": member.user_id})
        except IntegrityError:
            continue  # put by an earlier run of this row at the same moment
    return f"sent:fanout:{len(members)}"


@outbox_handler("engagement.notify")
async def notify(message: OutboxMessage, resources: Any) -> str:
    payload = message.payload or {}
    engagement = await Engagement.filter(id=payload.get("engagement_id")).select_related(
        "provider", "product", "enterprise").first()
    event = await EngagementEvent.get_or_none(id=payload.get("event_id"))
    if engagement is None or event is None:
        return "skipped:engagement_gone"
    audience = str(payload.get("audience") or "")
    if audience == "provider":
        return await _fan_out(message, engagement)
    if audience == "enterprise":
        user_id = engagement.requested_by_id
    elif audience == "member":
        user_id = payload.get("user_id")
        if not await ProviderMember.filter(provider_id=engagement.provider_id, user_id=user_id,
                                           revoked_at__isnull=True).exists():
            return "skipped:not_a_member"
    else:
        return f"failed:unknown_audience:{audience}"
    if user_id is None:
        return "skipped:no_recipient"
    notice = notice_for("enterprise" if audience == "enterprise" else "member", engagement, event)
    if notice is None:
        return f"skipped:no_notice:{event.action}"
    when = event.created_at or datetime.now(UTC)
    try:
        sent = await _send_prompt(engagement, user_id, resources) if notice.rating_prompt else None
        if sent is None:
            sent = await _send_subscribe(engagement, user_id, notice, when, resources)
        if sent is None:
            sent = await _send_template(engagement, user_id, notice, when, message, resources)
    except TemplateError as exc:
        return f"failed:template:{exc}"
    return sent or "skipped:no_channel"
