"""Delivering a reply that missed WeChat's 5 seconds, and logging every reply sent.

A handler that is still working at the deadline keeps working; the callback has
already answered `success`, so its reply goes out as a customer-service message.
When WeChat refuses that (45015: the 48-hour window is closed; 45047: too many
messages since the follower last wrote), a template message is the fallback, if one
is configured; otherwise the refusal is logged. Every attempt is a message-log row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.identity import followers
from app.identity.models import Follower
from app.messagelog.service import record_outbound
from app.wechat import WeChatAPIError, WeChatNotFollowerError, WeChatWindowClosedError
from handlers.replies import News, Reply, Silent, Text, clip_text

if TYPE_CHECKING:
    from app.config import Settings
    from app.wechat import WeChatClient

__all__ = [
    "TemplateFallback",
    "deliver_late",
    "record_passive_reply",
    "reply_fallback",
    "set_reply_fallback",
    "template_reply_fallback",
]

logger = logging.getLogger("qiyun.callback")


@dataclass(frozen=True)
class TemplateFallback:
    """A template message standing in for a reply the follower could not get otherwise."""

    template_id: str
    data: dict[str, Any]
    url: str | None = None
    miniprogram: dict[str, Any] | None = field(default=None)


FallbackBuilder = Callable[[Follower, Reply], TemplateFallback | None]
_fallback: FallbackBuilder | None = None


def set_reply_fallback(builder: FallbackBuilder | None) -> None:
    """Configure the template used when a late reply cannot go as a customer-service
    message (the template definitions in `templates_msg` own the wording)."""
    global _fallback
    _fallback = builder


def reply_fallback() -> FallbackBuilder | None:
    return _fallback


def template_reply_fallback(settings: Settings) -> FallbackBuilder | None:
    """The `reply_ready` notification (templates_msg) as the fallback: the start of the
    answer, the time, and a link to the answer's article (or the H5 home page).
    None when its template id (TEMPLATE_REPLY_READY) is not configured."""
    import templates_msg

    definition = templates_msg.get("reply_ready")
    if not definition.is_configured(settings):
        return None

    def build(follower: Follower, reply: Reply) -> TemplateFallback | None:
        link = next((a.url for a in reply.articles if a.url), None) if isinstance(reply, News) else None
        summary = reply.articles[0].title if isinstance(reply, News) and reply.articles else reply.summary()
        try:
            message = definition.render(
                {"summary": summary, "replied_at": datetime.now(UTC), "link": link}, settings=settings
            )
        except templates_msg.TemplateError:
            logger.exception("late-reply template could not be rendered", extra={"openid": follower.openid})
            return None
        return TemplateFallback(
            template_id=message.template_id, data=message.data, url=message.url, miniprogram=message.miniprogram
        )

    return build


async def record_passive_reply(*, follower: Follower | None, openid: str, reply: Reply, in_reply_to: str) -> None:
    """Log a reply that went back in the HTTP response."""
    if isinstance(reply, Silent):
        return
    await record_outbound(
        openid=openid,
        kind="passive_reply",
        follower=follower,
        summary=reply.summary(),
        payload={"in_reply_to": in_reply_to},
        status="sent",
    )


async def deliver_late(*, wechat: WeChatClient, follower: Follower, reply: Reply, in_reply_to: str = "") -> None:
    """Send `reply` through the customer-service API, falling back to a template message."""
    if isinstance(reply, Silent):
        return
    current = await Follower.get_or_none(id=follower.id)
    if not followers.accepts_pushes(current):
        logger.info("late reply dropped: follower unsubscribed", extra={"openid": follower.openid})
        return
    assert current is not None
    payload: dict[str, Any] = {"in_reply_to": in_reply_to}
    try:
        if isinstance(reply, Text):
            await wechat.message.send_custom_text(current.openid, clip_text(reply.content))
        elif isinstance(reply, News):
            articles = [
                {"title": a.title, "description": a.description, "url": a.url, "picurl": a.picurl}
                for a in reply.articles[:1]
            ]
            await wechat.message.send_custom_news(current.openid, articles)
    except WeChatWindowClosedError as exc:
        await _record(current, "custom", reply, payload, errcode=exc.errcode, status="failed")
        await _send_fallback(wechat, current, reply, payload)
        return
    except WeChatAPIError as exc:
        await _record(current, "custom", reply, payload, errcode=exc.errcode, status="failed")
        if isinstance(exc, WeChatNotFollowerError):
            current.unreachable_reason = str(exc.errcode)
            await current.save(update_fields=["unreachable_reason", "updated_at"])
        logger.warning("late reply not delivered: %s", exc, extra={"openid": current.openid})
        return
    await _record(current, "custom", reply, payload, errcode=0, status="sent")


async def _send_fallback(wechat: WeChatClient, follower: Follower, reply: Reply, payload: dict[str, Any]) -> None:
    builder = _fallback
    fallback = builder(follower, reply) if builder is not None else None
    if fallback is None:
        logger.warning(
            "late reply not delivered: customer-service window closed and no template fallback is configured",
            extra={"openid": follower.openid},
        )
        return
    try:
        msgid = await wechat.message.send_template(
            follower.openid, fallback.template_id, fallback.data, url=fallback.url, miniprogram=fallback.miniprogram
        )
    except WeChatAPIError as exc:
        await _record(
            follower,
            "template",
            reply,
            {**payload, "template_id": fallback.template_id},
            errcode=exc.errcode,
            status="failed",
        )
        logger.warning("template fallback failed: %s", exc, extra={"openid": follower.openid})
        return
    await _record(
        follower,
        "template",
        reply,
        {**payload, "template_id": fallback.template_id},
        errcode=0,
        status="sent",
        msg_id=str(msgid),
    )


async def _record(
    follower: Follower,
    kind: str,
    reply: Reply,
    payload: dict[str, Any],
    *,
    errcode: int | None,
    status: str,
    msg_id: str = "",
) -> None:
    await record_outbound(
        openid=follower.openid,
        kind=kind,
        follower=follower,
        wechat_msg_id=msg_id,
        summary=reply.summary(),
        payload=payload,
        errcode=errcode,
        status=status,
    )
