"""What happens to one (claimed, first-try) inbound message before and around its handler.

The follower is found or created and their 48-hour window moved, the message is
logged, and the router picks the handler. A failing handler never reaches the
follower as an error: they get an apology, and the traceback goes to the log.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.identity import followers
from app.messagelog.service import record_inbound
from handlers import modules  # noqa: F401  (every handler module registers on import)
from handlers.context import Context
from handlers.inbound import Inbound
from handlers.replies import Reply, Text
from handlers.router import Router, router

if TYPE_CHECKING:
    from app.resources import Resources

__all__ = ["APOLOGY", "process"]

logger = logging.getLogger("qiyun.callback")

APOLOGY = "抱歉，系统开了个小差，请稍后再试。如需帮助，可回复“帮助”查看可以办理的事项。"


async def process(inbound: Inbound, *, resources: Resources, using: Router = router) -> tuple[Context, Reply]:
    """Handle one message: returns the context (follower, log entry) and the reply."""
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
