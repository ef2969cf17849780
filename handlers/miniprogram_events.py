"""What happens to an event pushed to the mini-program's message push (`/wechat/miniprogram`).

The mini-program's pushes are WeChat reporting to the mini-program (today: the verdicts of
`media_check_async`, the `wxa_media_check` event), not followers talking to the official
account. So, unlike `handlers.pipeline`, nothing here finds or creates a `Follower` (a
mini-program openid is not a follower of the account, and WeChat refuses pushes to it with
40003), nothing is answered, and there is no conversation. Each push is logged as an inbound
mini-program message, then handed to the one handler registered for its event:

    from handlers.miniprogram_events import MiniProgramContext, miniprogram_events

    @miniprogram_events.event("wxa_media_check")
    async def on_media_check(ctx: MiniProgramContext) -> None: ...

Messages and events without a handler are logged and left at that. A failing handler is
logged; WeChat still gets `success` (it cannot do anything better with an error).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.messagelog.models import MessageChannel, MessageLog
from app.messagelog.service import record_inbound
from handlers.inbound import Inbound

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from app.config import Settings
    from app.resources import Resources
    from app.wechat import WeChatClient

__all__ = ["MiniProgramContext", "MiniProgramEvents", "miniprogram_events", "process"]

logger = logging.getLogger("qiyun.miniprogram_push")

Handler = Callable[["MiniProgramContext"], Awaitable[None]]


@dataclass
class MiniProgramContext:
    """What a mini-program event handler receives: the event and the process's resources."""

    inbound: Inbound
    resources: Resources
    log_entry: MessageLog | None = None
    """The message-log row of this push (channel `miniprogram`)."""

    @property
    def openid(self) -> str:
        """The user's openid in the mini-program (not an official-account openid)."""
        return self.inbound.openid

    @property
    def redis(self) -> Redis:
        return self.resources.redis

    @property
    def settings(self) -> Settings:
        return self.resources.settings

    @property
    def miniprogram(self) -> WeChatClient:
        return self.resources.miniprogram


class MiniProgramEvents:
    """Event name (case-insensitive) -> its one handler."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def event(self, *names: str) -> Callable[[Handler], Handler]:
        """Register the handler of these events; a second, different handler is an error."""
        if not names:
            raise ValueError("name at least one event")

        def register(handler: Handler) -> Handler:
            for name in names:
                key = name.lower()
                existing = self._handlers.get(key)
                if existing is not None and not _same(existing, handler):
                    raise ValueError(f"mini-program event {name!r} is already handled by {_name(existing)}")
                self._handlers[key] = handler
            return handler

        return register

    def handler_for(self, event: str) -> Handler | None:
        return self._handlers.get(event.lower())

    def events(self) -> frozenset[str]:
        """The event names with a handler (lower-cased)."""
        return frozenset(self._handlers)

    def unregister(self, handler: Handler) -> None:
        """Remove a handler wherever it is registered (tests add throwaway ones)."""
        for key in [k for k, h in self._handlers.items() if h is handler]:
            del self._handlers[key]

    async def dispatch(self, ctx: MiniProgramContext) -> None:
        """Run the event's handler; an unknown event or a message is only logged."""
        inbound = ctx.inbound
        handler = self.handler_for(inbound.event) if inbound.is_event else None
        if handler is None:
            logger.info(
                "mini-program push %s %s has no handler", inbound.msg_type, inbound.event, extra={"openid": ctx.openid}
            )
            return
        await handler(ctx)


def _same(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    """The same function re-registered (a module imported twice) is not a conflict."""
    return a is b or (getattr(a, "__module__", None), getattr(a, "__qualname__", None)) == (
        getattr(b, "__module__", None),
        getattr(b, "__qualname__", None),
    )


def _name(handler: Callable[..., Any]) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', '?')}"


miniprogram_events = MiniProgramEvents()
"""The mini-program's event registry; handler modules (imported from `handlers/modules.py`)
register on it at import."""


async def process(
    inbound: Inbound, *, resources: Resources, using: MiniProgramEvents = miniprogram_events
) -> MiniProgramContext:
    """Log one (claimed, first-try) push as an inbound mini-program message and dispatch it."""
    entry = await record_inbound(
        openid=inbound.openid,
        kind=inbound.msg_type,
        wechat_msg_id=inbound.msg_id,
        summary=inbound.summary(),
        payload=inbound.raw,
        channel=MessageChannel.miniprogram,
    )
    ctx = MiniProgramContext(inbound=inbound, resources=resources, log_entry=entry)
    try:
        await using.dispatch(ctx)
    except Exception:
        logger.exception(
            "mini-program event handler failed for %s %s", inbound.msg_type, inbound.event,
            extra={"openid": inbound.openid},
        )
    return ctx
