"""Telling a provider's members what happened to it: the outbox handlers of its notices.

* `provider.notify_members` (queued by `app.provider.steps.record_event` with `notify`):
  one `provider.notify_member` row per active member (stable dedupe keys, so a re-run adds
  nothing twice).
* `provider.notify_member`: the mini-program subscribe message `provider_status` to the
  member's mini-program account that holds a grant for it; when no grant can be used (or
  WeChat refused it for good), the official-account template message
  `provider_status_progress` to the member's follower, as appeals and engagements do;
  with neither, `skipped:no_grant` — the member reads the same reason on the desk's timeline.

Every message goes through `app.notification.service.send_rendered` with context
`provider:<id>`, so it is in the message log next to the provider.
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise.exceptions import IntegrityError

import templates_msg
from app.identity.models import Follower, MiniProgramUser
from app.notification.models import GrantChannel
from app.notification.outcomes import outcome_result, raise_if_transient
from app.notification.service import available_grants, send_rendered
from app.outbox.delivery import outbox_handler
from app.outbox.models import OutboxMessage
from app.outbox.service import put as outbox_put
from app.provider.models import Provider, ProviderEvent, ProviderMember, ProviderStatus
from templates_msg import TemplateError
from templates_msg.provider_status import values_for

__all__ = ["NOTES", "note_for", "notify_member", "notify_members"]

logger = logging.getLogger("qiyun.provider.notices")

NOTES: dict[str, str] = {
    "admit": "已准予入驻，可在工作台发布服务产品",
    "request_info": "请补充：{reason}",
    "refuse": "未通过：{reason}",
    "warn": "预警：{reason}",
    "suspend": "已暂停：{reason}",
    "lift_warning": "预警已解除",
    "reinstate": "已恢复服务：{reason}",
    "complaint_upheld": "一项投诉经核实属实：{reason}",
    "product_withdraw": "产品「{product}」已被下架：{reason}",
    "text_refused": "提交的文字未通过内容审核：{reason}",
}
"""event action -> the note shown in the message ({reason}, {product} filled in)."""


def note_for(event: ProviderEvent) -> str:
    template = NOTES.get(event.action, "{reason}")
    return template.format(reason=event.reason or "详见工作台", product=(event.payload or {}).get("name", ""))


@outbox_handler("provider.notify_members")
async def notify_members(message: OutboxMessage, resources: Any) -> str:
    payload = message.payload or {}
    provider_id, event_id = payload.get("provider_id"), payload.get("event_id")
    members = await ProviderMember.filter(provider_id=provider_id, revoked_at__isnull=True).order_by("id")
    if not members:
        return "skipped:no_members"
    for member in members:
        try:
            await outbox_put(topic="provider.notify_member", dedupe_key=f"outbox:{message.id}:member:{member.id}",
                             payload={"provider_id": provider_id, "event_id": event_id, "user_id": member.user_id})
        except IntegrityError:
            continue  # put by an earlier run of this row at the same moment
    return f"sent:fanout:{len(members)}"


@outbox_handler("provider.notify_member")
async def notify_member(message: OutboxMessage, resources: Any) -> str:
    payload = message.payload or {}
    provider = await Provider.get_or_none(id=payload.get("provider_id"))
    event = await ProviderEvent.get_or_none(id=payload.get("event_id"))
    if provider is None or event is None:
        return "skipped:gone"
    values = values_for(provider, note=note_for(event), updated_at=event.created_at,
                        status=ProviderStatus(event.to_status or provider.status))
    user_id = payload.get("user_id")
    if user_id is None:
        return "skipped:no_user"
    try:
        sent = await _send_subscribe(provider, user_id, values, resources)
        if sent is None:
            sent = await _send_official_account(provider, user_id, values, message, resources)
    except TemplateError as exc:
        return f"failed:template:{exc}"
    return sent or "skipped:no_grant"


async def _send_subscribe(provider: Provider, user_id: Any, values: dict[str, Any], resources: Any) -> str | None:
    """The `provider_status` subscribe message on a usable grant; None when none could be
    used (or WeChat refused it for good), so the official account is tried next."""
    settings = resources.settings
    definition = templates_msg.get("provider_status")
    if not definition.is_configured(settings) or not settings.miniprogram_appid:
        return None
    template_id = definition.template_id(settings)
    rendered = definition.render(values, settings=settings)
    for account in await MiniProgramUser.filter(user_id=user_id).order_by("-id"):
        balance = await available_grants(channel=GrantChannel.miniprogram, openid=account.openid, template_id=template_id)
        if not balance.can_send:
            continue
        outcome = await send_rendered(wechat=resources.miniprogram, openid=account.openid, message=rendered,
                                      follower=None, context=f"provider:{provider.id}")
        if outcome.ok:
            return "sent:subscribe:provider_status"
        if outcome.refused_locally:
            continue  # the grant was used up meanwhile
        raise_if_transient(outcome)
        logger.info("provider notice refused on the mini-program, trying the official account",
                    extra={"provider_id": provider.id, "errcode": outcome.errcode})
    return None


async def _send_official_account(provider: Provider, user_id: Any, values: dict[str, Any], message: OutboxMessage,
                                 resources: Any) -> str | None:
    """The `provider_status_progress` template message to the member's follower (no grant
    needed); None when the member does not follow the official account."""
    follower = await Follower.filter(user_id=user_id, subscribed=True).order_by("-id").first()
    if follower is None:
        return None
    definition = templates_msg.get("provider_status_progress")
    if not definition.is_configured(resources.settings):
        return "skipped:not_configured:provider_status_progress"
    rendered = definition.render(values, settings=resources.settings)
    outcome = await send_rendered(wechat=resources.official_account, openid=follower.openid, message=rendered,
                                  follower=follower, context=f"provider:{provider.id}",
                                  client_msg_id=f"outbox-{message.id}")
    return outcome_result(outcome, "template:provider_status_progress")
