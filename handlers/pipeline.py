"""What happens to one (claimed, first-try) inbound message before and around its handler.

The follower is found or created and their 48-hour window moved, the message is
logged, and the router picks the handler. A failing handler never reaches the
follower as an error: they get an apology, and the traceback goes to the log.

An event that does not come from a follower (`followers.is_follower_message`: say, a
mini-program's `wxa_media_check` sent here instead of to `/wechat/miniprogram`) is logged
without a follower and handled by nobody: no `Follower` row may come from it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.identity import followers
from app.messagelog.service import record_inbound
from handlers import modules  # noqa: F401  (every handler module registers on import)
from handlers.context import Context
from handlers.inbound import Inbound
from handlers.replies import SILENT, Reply, Text
from handlers.router import Router, router

if TYPE_CHECKING:
    from app.resources import Resources

__all__ = ["APOLOGY", "process"]

logger = logging.getLogger("qiyun.callback")

APOLOGY = "抱歉，系统开了个小差，请稍后再试。如需帮助，可回复“帮助”查看可以办理的事项。"


async def process(inbound: Inbound, *, resources: Resources, using: Router = router) -> tuple[Context, Reply]:
    """Handle one message: returns the context (follower, log entry) and the reply."""
    if not followers.is_follower_message(msg_type=inbound.msg_type, event=inbound.event):
        return await _ignore_non_follower_event(inbound, resources=resources), SILENT
    follower = await followers.touch(
        openid=inbound.openid,
        interactive=followers.is_interaction(msg_type=inbound.msg_type, event=inbound.event),
    )
    entry = await record_inbound(
        openid=inbound.openid,
        kind=inbound.msg_type,
        follower=follower,
        wechat_msg_id=inbound.msg_id,
        summary=inbound.summary(),
        payload=inbound.raw,
    )
    ctx = Context(inbound=inbound, follower=follower, resources=resources, log_entry=entry)
    try:
        reply = await using.dispatch(ctx)
    except Exception:
        logger.exception(
            "handler failed for %s %s", inbound.msg_type, inbound.event or "", extra={"openid": inbound.openid}
        )
        reply = Text(APOLOGY)
    return ctx, reply


async def _ignore_non_follower_event(inbound: Inbound, *, resources: Resources) -> Context:
    """Log an event that has no follower behind it, and answer nothing."""
    logger.warning(
        "event %s is not a follower's: logged and ignored (a mini-program event at the account's callback?)",
        inbound.event or "?",
        extra={"openid": inbound.openid},
    )
    entry = await record_inbound(
        openid=inbound.openid,
        kind=inbound.msg_type,
        wechat_msg_id=inbound.msg_id,
        summary=inbound.summary(),
        payload=inbound.raw,
    )
    return Context(inbound=inbound, follower=None, resources=resources, log_entry=entry)
