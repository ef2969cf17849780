"""The conversation engine in the router: a follower in a flow is answering its question.

Runs first (an interceptor) on the follower's messages: a menu click or an event never
counts as an answer. A message that is not text (a photo ...) reaches the engine as
`Media` (its type and its top-level fields, e.g. PicUrl and MediaId), which a step may
take (`Step.media`). Handlers start flows through `start_flow`, which is all a menu
click, a keyword or a QR scene needs to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.conversation import Media
from handlers.context import Context
from handlers.router import PASS, router

__all__ = ["continue_flow", "start_flow"]

FLOW_PRIORITY = 100


@router.interceptor(priority=FLOW_PRIORITY)
async def continue_flow(ctx: Context) -> Any:
    """The follower's answer to the current step; a paused flow's notice rides along."""
    inbound = ctx.inbound
    if inbound.is_event:
        return PASS
    if inbound.is_text:
        outcome = await ctx.engine.handle(subject=ctx.openid, text=ctx.text, deps=ctx)
    else:
        fields = {name: value for name, value in inbound.raw.items() if isinstance(value, str)}
        media = Media(kind=inbound.msg_type, fields=fields)
        outcome = await ctx.engine.handle(subject=ctx.openid, media=media, deps=ctx)
    if outcome is None:
        return PASS
    if not outcome.consumed:
        ctx.notices.append(outcome.reply)
        return PASS
    return outcome.reply


async def start_flow(
    ctx: Context, name: str, *, data: Mapping[str, Any] | None = None, prefill: Mapping[str, Any] | None = None
) -> str:
    """Begin flow `name` for the follower (replacing one in progress); returns the first question."""
    outcome = await ctx.engine.start(subject=ctx.openid, flow=name, data=data, prefill=prefill)
    return outcome.reply
