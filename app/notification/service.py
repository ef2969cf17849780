"""Sending one rendered notification, and the subscribe-grant ledger it spends from.

`send_rendered` is the one primitive every notification (push campaigns, appeal updates,
reminders) goes through:

* a template message goes to `/cgi-bin/message/template/send`;
* a subscribe message first takes a grant from the ledger (`app.notification.ledger`);
  without one it is refused here, without calling WeChat, instead of meeting 43101; then
  it goes to `bizsend` (official account) or `subscribe/send` (mini-program);
* every attempt is a message-log row (`app.messagelog.service.record_outbound`);
* WeChat's refusals come back as `SendOutcome.errcode` (never raised), so a push worker
  classifies them (retry -1, pause on 45009, mark the follower on 43004 / 40003 ...);
  failures with no errcode (network, timeout, HTTP 5xx) raise the client's
  `WeChatAPIError`, as the caller must decide whether to retry.

A grant taken for a message WeChat refused is given back, except on 43101 (WeChat has
none: the ledger is corrected to zero). On a network failure the grant is given back too:
if WeChat did deliver, the next send meets one 43101 and corrects the ledger, which is
better than silently losing a grant the user gave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.identity.models import Follower
from app.messagelog.models import MessageChannel
from app.messagelog.service import record_outbound
from app.notification.ledger import (
    DECISIONS,
    GrantBalance,
    GrantClaim,
    GrantError,
    available_grants,
    grant_balances,
    record_grants,
    record_miniprogram_grants,
    record_official_account_event,
    refund_grant,
    revoke_grants,
    spend_grant,
)
from app.notification.models import GrantChannel
from app.wechat.errors import WeChatAPIError
from templates_msg.base import Channel, MessageKind, RenderedMessage, TemplateError

if TYPE_CHECKING:
    from app.wechat import WeChatClient

__all__ = [
    "DECISIONS",
    "NO_GRANT_ERRCODE",
    "GrantBalance",
    "GrantChannel",
    "GrantClaim",
    "GrantError",
    "SendOutcome",
    "available_grants",
    "grant_balances",
    "record_grants",
    "record_miniprogram_grants",
    "record_official_account_event",
    "send_rendered",
    "spend_grant",
]

NO_GRANT_ERRCODE = 43101
"""Reported for a local refusal too, so callers treat "no grant" one way whoever noticed."""
_CONTEXT_RE = re.compile(r"^([a-z_]{1,32}):(\d{1,18})$")


@dataclass(frozen=True)
class SendOutcome:
    ok: bool
    msgid: int | None = None
    """Template messages: the id TEMPLATESENDJOBFINISH refers to; mini-program: WeChat's msgid."""
    errcode: int | None = None
    """0 when sent; WeChat's errcode when refused; 43101 when refused locally for lack of a grant."""
    errmsg: str = ""
    refused_locally: bool = False
    """True when no WeChat API was called (no subscribe grant)."""
    log_id: int | None = None
    """The message-log row of this attempt."""


async def send_rendered(
    *,
    wechat: WeChatClient,
    openid: str,
    message: RenderedMessage,
    follower: Follower | None,
    context: str = "",
    client_msg_id: str | None = None,
) -> SendOutcome:
    """Send one rendered message to `openid` and record it in the message log.

    `wechat` must be the client of the app the message belongs to (the official account
    for template messages and bizsend, the mini-program for its subscribe messages).
    `context` says why it was sent: `<type>:<id>` (e.g. `push_campaign:12`, `appeal:7`)
    links the log row to that object; anything else is kept in the payload.
    `client_msg_id` (template messages) lets WeChat drop a retried duplicate.
    """
    if not message.template_id:
        raise TemplateError(f"{message.name}: rendered without a template id (previews cannot be sent)")
    if message.sender_appid and wechat.appid != message.sender_appid:
        raise ValueError(
            f"{message.name} is sent by app {message.sender_appid}, not by {wechat.appid}: pass the "
            f"{'mini-program' if message.channel is Channel.miniprogram else 'official account'} client"
        )
    channel = GrantChannel(message.channel.value)
    claim: GrantClaim | None = None
    if message.kind is MessageKind.subscribe:
        claim = await spend_grant(channel=channel, openid=openid, template_id=message.template_id)
        if claim is None:
            entry = await _record(message, openid, follower, context, errcode=None, status="refused:no_grant")
            return SendOutcome(
                ok=False,
                errcode=NO_GRANT_ERRCODE,
                errmsg="no subscribe grant recorded for this user and template (not sent)",
                refused_locally=True,
                log_id=entry.id,
            )
    try:
        msgid = await _call_wechat(wechat, openid, message, client_msg_id)
    except WeChatAPIError as exc:
        if claim is not None:
            if exc.errcode == NO_GRANT_ERRCODE:
                await revoke_grants(channel=channel, openid=openid, template_id=message.template_id)
            else:
                await refund_grant(claim)
        if exc.errcode is None:
            raise
        entry = await _record(message, openid, follower, context, errcode=exc.errcode, status="failed")
        return SendOutcome(ok=False, errcode=exc.errcode, errmsg=str(exc.errmsg or ""), log_id=entry.id)
    entry = await _record(message, openid, follower, context, errcode=0, status="sent", msgid=msgid)
    return SendOutcome(ok=True, msgid=msgid, errcode=0, errmsg="ok", log_id=entry.id)


async def _call_wechat(
    wechat: WeChatClient, openid: str, message: RenderedMessage, client_msg_id: str | None
) -> int | None:
    if message.kind is MessageKind.template:
        return await wechat.message.send_template(
            openid,
            message.template_id,
            message.data,
            url=message.url,
            miniprogram=message.miniprogram,
            client_msg_id=client_msg_id,
        )
    if message.channel is Channel.official_account:
        result = await wechat.message.send_subscribe_bizsend(
            openid, message.template_id, message.data, page=message.url, miniprogram=message.miniprogram
        )
    else:
        result = await wechat.subscribe.send(openid, message.template_id, message.data, page=message.page)
    msgid = result.get("msgid") if isinstance(result, dict) else None
    return int(msgid) if msgid not in (None, "") else None


_LOG_KINDS = {
    (MessageKind.template, Channel.official_account): "template",
    (MessageKind.subscribe, Channel.official_account): "bizsend",
    (MessageKind.subscribe, Channel.miniprogram): "subscribe",
}


async def _record(
    message: RenderedMessage,
    openid: str,
    follower: Follower | None,
    context: str,
    *,
    errcode: int | None,
    status: str,
    msgid: int | None = None,
):
    payload = message.log_payload()
    related_type, related_id = "", None
    match = _CONTEXT_RE.match(context or "")
    if match:
        related_type, related_id = match.group(1), int(match.group(2))
    if context:
        payload["context"] = context
    return await record_outbound(
        openid=openid,
        kind=_LOG_KINDS[(message.kind, message.channel)],
        follower=follower if message.channel is Channel.official_account else None,
        wechat_msg_id=str(msgid) if msgid is not None else "",
        summary=message.summary,
        payload=payload,
        errcode=errcode,
        status=status,
        related_type=related_type,
        related_id=related_id,
        channel=MessageChannel.miniprogram if message.channel is Channel.miniprogram else MessageChannel.official_account,
    )
