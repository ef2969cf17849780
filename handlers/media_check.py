"""WeChat's verdict on an image submitted with `media_check_async` (the `wxa_media_check` event).

WeChat pushes it to the mini-program's message push (`/wechat/miniprogram`, signed and
encrypted with the mini-program's credentials), never to the official account's callback:
the check was the mini-program's call, about a mini-program user. The event names no
follower action: it is WeChat reporting back, matched to its check by `trace_id` (the push's
de-duplication key too). Recording it is the content-check service's job; this handler only
reads the event. WeChat expects no reply and gets `success`.
"""

from __future__ import annotations

import logging

from app.content_check import service as content_check
from handlers.miniprogram_events import MiniProgramContext, miniprogram_events

__all__: list[str] = []

logger = logging.getLogger("qiyun.miniprogram_push")


@miniprogram_events.event("wxa_media_check")
async def on_media_check(ctx: MiniProgramContext) -> None:
    """Store the verdict on its check (once) and let the subject's owner react."""
    verdict = content_check.parse_media_event(ctx.inbound.raw)
    if verdict is None:
        logger.warning("wxa_media_check without a trace_id ignored")
        return
    try:
        await content_check.apply_media_verdict(verdict=verdict)
    except Exception:
        # An event has nobody to tell. The check stays pending and joins the review queue
        # once overdue.
        logger.exception("media check verdict not recorded", extra={"trace_id": verdict.trace_id})
