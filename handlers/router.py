"""Where an inbound message goes: a registry filled by decorators, never an if-chain.

Order, first answer wins:

1. interceptors, by priority (the conversation engine: a follower in a flow is answering it);
2. keywords on text messages, by priority then registration order;
3. staff-managed auto replies on text messages;
4. the handler for the message type, the event, or the menu key of a CLICK;
5. the fallback: a helpful text for messages (unknown types included), silence for events.

A handler returns a `Reply`, a str (text), None (no reply), or `PASS` to let the
next stage have the message. Handler modules register at import:

    from handlers.router import router

    @router.click("policy_search")
    async def policy_search(ctx: Context) -> str:
        return await policy_service.search_prompt(openid=ctx.openid)

QR-code scenes (`qrscene_bind:...` on subscribe, `bind:...` on SCAN) dispatch by prefix
through `@router.scene("bind:")`; the handler receives the text after the prefix.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from handlers.context import Context
from handlers.replies import Reply, ReplyLike, as_reply, with_notices

__all__ = ["PASS", "Router", "router"]


class _Pass:
    def __repr__(self) -> str:
        return "PASS"


PASS: Any = _Pass()
"""Returned by a handler that leaves the message to the next stage."""

Handler = Callable[[Context], Awaitable[Any]]
SceneHandler = Callable[[Context, str], Awaitable[Any]]
_order = itertools.count()


@dataclass(frozen=True)
class _Ranked:
    priority: int
    order: int
    handler: Handler
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class _Scene:
    prefix: str
    handler: SceneHandler
    placeholder: bool


class Router:
    """The registry and the dispatcher."""

    def __init__(self) -> None:
        self._interceptors: list[_Ranked] = []
        self._keywords: list[_Ranked] = []
        self._auto_replies: list[Handler] = []
        self._messages: dict[str, Handler] = {}
        self._events: dict[str, Handler] = {}
        self._clicks: dict[str, Handler] = {}
        self._scenes: dict[str, _Scene] = {}
        self._fallbacks: dict[str, Handler] = {}

    # -- registration ---------------------------------------------------------------

    def interceptor(self, *, priority: int = 0) -> Callable[[Handler], Handler]:
        """Sees every message first; returns PASS unless it takes the message."""

        def register(handler: Handler) -> Handler:
            self._interceptors = _ranked_insert(self._interceptors, _Ranked(priority, next(_order), handler))
            return handler

        return register

    def keyword(self, pattern: str, *, priority: int = 0, flags: int = re.IGNORECASE) -> Callable[[Handler], Handler]:
        """Text messages matching `pattern` (searched in the text, NFKC-normalised and trimmed)."""
        compiled = re.compile(pattern, flags)

        def register(handler: Handler) -> Handler:
            self._keywords = _ranked_insert(self._keywords, _Ranked(priority, next(_order), handler, compiled))
            return handler

        return register

    def auto_reply(self, handler: Handler) -> Handler:
        """A source of staff-managed replies for text messages (after keywords)."""
        self._auto_replies.append(handler)
        return handler

    def message(self, *msg_types: str) -> Callable[[Handler], Handler]:
        """Messages of these types: text, image, voice, video, shortvideo, location, link, file."""
        return self._keyed(self._messages, msg_types, "message type")

    def event(self, *events: str) -> Callable[[Handler], Handler]:
        """Events by name, case-insensitive: subscribe, SCAN, LOCATION, CLICK, TEMPLATESENDJOBFINISH ..."""
        return self._keyed(self._events, events, "event")

    def click(self, *keys: str) -> Callable[[Handler], Handler]:
        """Menu clicks by the button's key (handlers/menu.json)."""
        return self._keyed(self._clicks, keys, "menu key", lower=False)

    def scene(self, prefix: str, *, placeholder: bool = False) -> Callable[[SceneHandler], SceneHandler]:
        """QR scenes starting with `prefix`. A placeholder gives way to a later real owner."""

        def register(handler: SceneHandler) -> SceneHandler:
            existing = self._scenes.get(prefix)
            if existing is not None and not existing.placeholder:
                if placeholder:
                    return handler  # the real owner registered first; the placeholder is moot
                if not _same(existing.handler, handler):
                    raise ValueError(f"scene prefix {prefix!r} is already handled by {_name(existing.handler)}")
            self._scenes[prefix] = _Scene(prefix, handler, placeholder)
            return handler

        return register

    def fallback(self, kind: str) -> Callable[[Handler], Handler]:
        """The last resort for `kind` 'message' or 'event'."""
        if kind not in ("message", "event"):
            raise ValueError("fallback kind is 'message' or 'event'")
        return self._keyed(self._fallbacks, (kind,), "fallback")

    def unregister(self, handler: Callable[..., Any]) -> None:
        """Remove a handler wherever it is registered (tests add throwaway handlers)."""
        self._interceptors = [r for r in self._interceptors if r.handler is not handler]
        self._keywords = [r for r in self._keywords if r.handler is not handler]
        self._auto_replies = [h for h in self._auto_replies if h is not handler]
        for table in (self._messages, self._events, self._clicks, self._fallbacks):
            for key in [k for k, h in table.items() if h is handler]:
                del table[key]
        for key in [k for k, s in self._scenes.items() if s.handler is handler]:
            del self._scenes[key]

    def _keyed(
        self, table: dict[str, Handler], keys: tuple[str, ...], what: str, *, lower: bool = True
    ) -> Callable[[Handler], Handler]:
        if not keys:
            raise ValueError(f"name at least one {what}")

        def register(handler: Handler) -> Handler:
            for key in keys:
                name = key.lower() if lower else key
                existing = table.get(name)
                if existing is not None and not _same(existing, handler):
                    raise ValueError(f"{what} {key!r} is already handled by {_name(existing)}")
                table[name] = handler
            return handler

        return register

    # -- lookup ---------------------------------------------------------------------

    def click_handler(self, key: str) -> Handler | None:
        return self._clicks.get(key)

    def event_handler(self, event: str) -> Handler | None:
        return self._events.get(event.lower())

    def events(self) -> frozenset[str]:
        """The event names with a handler (lower-cased)."""
        return frozenset(self._events)

    def scene_handler(self, scene: str) -> tuple[SceneHandler, str] | None:
        """The handler of the longest matching prefix, and the rest of the scene."""
        for prefix in sorted(self._scenes, key=len, reverse=True):
            if scene.startswith(prefix):
                return self._scenes[prefix].handler, scene[len(prefix) :]
        return None

    # -- dispatch -------------------------------------------------------------------

    async def dispatch(self, ctx: Context) -> Reply:
        """Run the stages in order; the first answer is the reply."""
        inbound = ctx.inbound
        for ranked in self._interceptors:
            result = await ranked.handler(ctx)
            if result is not PASS:
                return self._finish(ctx, result)

        if inbound.is_text:
            text = unicodedata.normalize("NFKC", inbound.content).strip()
            for ranked in self._keywords:
                assert ranked.pattern is not None
                match = ranked.pattern.search(text)
                if match is None:
                    continue
                ctx.match = match
                result = await ranked.handler(ctx)
                ctx.match = None
                if result is not PASS:
                    return self._finish(ctx, result)
            for source in self._auto_replies:
                result = await source(ctx)
                if result is not PASS:
                    return self._finish(ctx, result)

        handler = self._typed_handler(ctx)
        if handler is not None:
            result = await handler(ctx)
            if result is not PASS:
                return self._finish(ctx, result)

        fallback = self._fallbacks.get("event" if inbound.is_event else "message")
        result = await fallback(ctx) if fallback is not None else None
        return self._finish(ctx, None if result is PASS else result)

    async def dispatch_scene(self, ctx: Context, scene: str) -> ReplyLike:
        """The reply of a QR scene's owner, or PASS when nobody owns the scene."""
        found = self.scene_handler(scene) if scene else None
        if found is None:
            return PASS
        handler, rest = found
        return await handler(ctx, rest)

    def _typed_handler(self, ctx: Context) -> Handler | None:
        inbound = ctx.inbound
        if not inbound.is_event:
            return self._messages.get(inbound.msg_type)
        if inbound.event == "click":
            specific = self._clicks.get(inbound.event_key)
            if specific is not None:
                return specific
        return self._events.get(inbound.event)

    @staticmethod
    def _finish(ctx: Context, result: Any) -> Reply:
        reply = as_reply(result)
        return with_notices(reply, ctx.notices) if ctx.notices else reply


def _ranked_insert(items: list[_Ranked], item: _Ranked) -> list[_Ranked]:
    return sorted([*items, item], key=lambda r: (-r.priority, r.order))


def _same(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    """The same function re-registered (a module imported twice) is not a conflict."""
    return a is b or (getattr(a, "__module__", None), getattr(a, "__qualname__", None)) == (
        getattr(b, "__module__", None),
        getattr(b, "__qualname__", None),
    )


def _name(handler: Callable[..., Any]) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', '?')}"


router = Router()
"""The official account's router; handler modules register on it at import."""
