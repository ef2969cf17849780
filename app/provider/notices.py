"""Telling a provider's members what happened to it: the outbox handlers of its notices.

* `provider.notify_members` (queued by `app.provider.steps.record_event` with `notify`):
  one `provider.notify_member` row per active member (stable dedupe keys, so a re-run adds
  nothing twice).
* `provider.notify_member`: the mini-program subscribe message `provider_status` to the
  member's mini-program account that holds a grant for it; without a grant,
  `skipped:no_grant` — the member reads the same reason on the desk's timeline.

Every message goes through `app.notification.service.send_rendered` with context
`provider:<id>`, so it is in the message log next to the provider.
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise.exceptions import IntegrityError

import templates_msg
from app.identity.models import MiniProgramUser
from app.notification.models import GrantChannel
from app.notification.outcomes import raise_if_transient
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
    settings = resources.settings
    definition = templates_msg.get("provider_status")
    if not definition.is_configured(settings) or not settings.miniprogram_appid:
        return "skipped:not_configured:provider_status"
    template_id = definition.template_id(settings)
    status = ProviderStatus(event.to_status or provider.status)
    try:
        rendered = definition.render(values_for(provider, note=note_for(event), updated_at=event.created_at,
                                                status=status), settings=settings)
    except TemplateError as exc:
        return f"failed:template:{exc}"
    accounts = await MiniProgramUser.filter(user_id=payload.get("user_id")).order_by("-id")
    for account in accounts:
        balance = await available_grants(channel=GrantChannel.miniprogram, openid=account.openid, template_id=template_id)
        if not balance.can_send:
            continue
        outcome = await send_rendered(wechat=resources.miniprogram, openid=account.openid, message=rendered,
                                      follower=None, context=f"provider:{provider.id}")
        if outcome.ok:
            return "sent:subscribe:provider_status"
        if outcome.refused_locally:
            continue
        raise_if_transient(outcome)
        return f"failed:{outcome.errcode}:subscribe:provider_status"
    return "skipped:no_grant"
