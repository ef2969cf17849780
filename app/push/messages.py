"""The message a campaign sends: rendered once, when the campaign starts, and kept on it.

Every recipient gets the same message, so it is rendered from the policy when the campaign
starts (after the last preview) and stored in `PushCampaign.message`; workers send that
stored copy, so an edit to the policy during a campaign cannot make recipients get
different texts, and a worker needs no template code to send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import templates_msg
from app.config import Settings
from app.policy.models import Policy
from templates_msg import RenderedMessage

__all__ = ["policy_values", "render_campaign_message", "rendered_from_stored", "stored_message"]


async def policy_values(policy: Policy) -> dict[str, Any]:
    """The template context of a policy (for `policy_push` and any template built on it)."""
    from templates_msg.policy_push import values_for

    issuers = await policy.issuing_organisations.all().values_list("name", flat=True)
    return values_for(policy, issuers=[str(name) for name in issuers])


async def render_campaign_message(
    *,
    template_name: str,
    policy: Policy | None,
    settings: Settings,
    values: Mapping[str, Any] | None = None,
    require_template_id: bool = True,
) -> RenderedMessage:
    """Render the campaign's message; raises TemplateError (unknown template, missing values,
    template id not configured)."""
    definition = templates_msg.get(template_name)
    context: dict[str, Any] = {}
    if policy is not None:
        context.update(await policy_values(policy))
    if values:
        context.update(values)
    return definition.render(context, settings=settings, require_template_id=require_template_id)


def stored_message(message: RenderedMessage) -> dict[str, Any]:
    """What `PushCampaign.message` keeps: everything a worker needs to send, as JSON."""
    return {
        "name": message.name,
        "title": message.title,
        "kind": message.kind.value,
        "channel": message.channel.value,
        "template_id": message.template_id,
        "data": message.data,
        "url": message.url,
        "miniprogram": message.miniprogram,
        "sender_appid": message.sender_appid,
        "long_term": message.long_term,
        "summary": message.summary,
        "fields": [
            {"key": f.key, "label": f.label, "value": f.value, "shortened": f.shortened} for f in message.fields
        ],
    }


def rendered_from_stored(stored: Mapping[str, Any]) -> RenderedMessage:
    """The `RenderedMessage` again (for senders that take one, e.g. subscribe messages)."""
    from templates_msg.base import Channel, MessageKind, RenderedField
    from templates_msg.fields import field_type_of

    fields = tuple(
        RenderedField(
            key=f["key"],
            label=f["label"],
            type=field_type_of(f["key"]),
            value=f["value"],
            original=f["value"],
            shortened=bool(f.get("shortened")),
        )
        for f in stored.get("fields") or []
    )
    return RenderedMessage(
        name=stored["name"],
        title=stored.get("title", ""),
        kind=MessageKind(stored["kind"]),
        channel=Channel(stored.get("channel", Channel.official_account.value)),
        template_id=stored["template_id"],
        data=dict(stored["data"]),
        fields=fields,
        url=stored.get("url"),
        miniprogram=stored.get("miniprogram"),
        sender_appid=stored.get("sender_appid", ""),
        long_term=bool(stored.get("long_term")),
    )
