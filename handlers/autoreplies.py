"""Staff-managed replies from `app.autoreply`: keyword rules and the welcome text.

The router asks for a keyword auto reply after the built-in keywords; a rule answers
with a text, a link card, or by starting a chat flow. The subscribe handler asks for
the welcome. Without the module, or when it fails, the built-in defaults in
`handlers.texts` apply: a broken staff setting must never leave a follower unanswered.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Any

from redis.asyncio import Redis

from app.conversation import get_flow
from handlers import texts
from handlers.context import Context
from handlers.conversation import start_flow
from handlers.replies import Article, News, Reply, Text
from handlers.router import PASS, router

__all__ = ["staff_auto_reply", "welcome_text"]

logger = logging.getLogger("qiyun.callback")
_MISSING = object()
_module: Any = None


def _service() -> ModuleType | None:
    """`app.autoreply.service`, imported once per process (None while it does not exist)."""
    global _module
    if _module is None:
        try:
            _module = importlib.import_module("app.autoreply.service")
        except ModuleNotFoundError as exc:
            if exc.name not in ("app.autoreply", "app.autoreply.service"):
                raise
            _module = _MISSING
    return None if _module is _MISSING else _module


@router.auto_reply
async def staff_auto_reply(ctx: Context) -> Any:
    service = _service()
    if service is None:
        return PASS
    try:
        match = await service.find_reply(text=ctx.text, redis=ctx.redis)
    except Exception:
        logger.exception("auto reply lookup failed")
        return PASS
    if match is None:
        return PASS
    kind = str(getattr(match, "kind", "text"))
    if kind == "flow":
        if get_flow(match.flow_name) is None:
            logger.warning("auto reply %s names an unknown flow %r", match.rule_id, match.flow_name)
            return PASS
        return await start_flow(ctx, match.flow_name)
    return _reply_of(match) or PASS


def _reply_of(match: Any) -> Reply | None:
    article = getattr(match, "article", None)
    if article is not None:
        return News(
            (
                Article(
                    title=article.title,
                    description=article.description,
                    url=article.url,
                    picurl=getattr(article, "picurl", ""),
                ),
            )
        )
    text = getattr(match, "text", "")
    return Text(text) if isinstance(text, str) and text.strip() else None


async def welcome_text(*, redis: Redis | None = None) -> str:
    """The staff-edited welcome, or the built-in one."""
    service = _service()
    if service is not None:
        try:
            welcome = await service.welcome_text(redis=redis)
            if isinstance(welcome, str) and welcome.strip():
                return welcome
        except Exception:
            logger.exception("welcome text lookup failed")
    return texts.WELCOME
