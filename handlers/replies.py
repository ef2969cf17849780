"""What a handler answers, independent of how it reaches the follower.

The same `Reply` is rendered as a passive reply (XML in the HTTP response, within
WeChat's 5 seconds) or sent later through the customer-service API when the handler
was too slow, so handlers never care which of the two happens.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from wechatpy.replies import ArticlesReply, TextReply

from handlers.inbound import Inbound

__all__ = ["SILENT", "Article", "News", "Reply", "ReplyLike", "Silent", "Text", "as_reply", "render", "with_notices"]

# WeChat's limit for a text reply is 2048 bytes; longer ones are refused, so clip politely.
TEXT_LIMIT_BYTES = 2000
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Text:
    content: str

    def summary(self) -> str:
        return self.content


@dataclass(frozen=True)
class Article:
    title: str
    description: str = ""
    url: str = ""
    picurl: str = ""


@dataclass(frozen=True)
class News:
    """A link card. WeChat shows only the first article of a reply since 2018."""

    articles: tuple[Article, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        return "[图文] " + " / ".join(article.title for article in self.articles)


@dataclass(frozen=True)
class Silent:
    """No reply: WeChat gets `success` and shows nothing."""

    def summary(self) -> str:
        return ""


SILENT = Silent()
Reply = Text | News | Silent
ReplyLike = Text | News | Silent | str | None


def as_reply(value: ReplyLike) -> Reply:
    """Handlers may return a str (text), None (silent) or a Reply."""
    if value is None:
        return SILENT
    if isinstance(value, str):
        return Text(value) if value.strip() else SILENT
    if isinstance(value, (Text, News, Silent)):
        return value
    raise TypeError(f"a handler returned {type(value).__name__}, expected str, None or a Reply")


def with_notices(reply: Reply, notices: Sequence[str]) -> Reply:
    """Put notices (e.g. "your form was paused") before a text reply, or alone before silence."""
    if not notices:
        return reply
    prefix = "\n\n".join(notices)
    if isinstance(reply, Text):
        return Text(f"{prefix}\n\n{reply.content}")
    if isinstance(reply, Silent):
        return Text(prefix)
    return reply  # a link card cannot carry text; the notice is dropped rather than the card


def render(reply: Reply, inbound: Inbound) -> str:
    """The passive-reply XML for `inbound` ('' for silence)."""
    common: dict[str, Any] = {
        "source": cdata_safe(inbound.account),
        "target": cdata_safe(inbound.openid),
        "time": int(time.time()),
    }
    if isinstance(reply, Text):
        return TextReply(content=cdata_safe(clip_text(reply.content)), **common).render()
    if isinstance(reply, News):
        articles = [
            {
                "title": cdata_safe(a.title),
                "description": cdata_safe(a.description),
                "image": cdata_safe(a.picurl),
                "url": cdata_safe(a.url),
            }
            for a in reply.articles
        ]
        return ArticlesReply(articles=articles, **common).render()
    return ""


def cdata_safe(value: str) -> str:
    """A value wechatpy can put inside CDATA as it is.

    wechatpy writes `<![CDATA[value]]>` verbatim, so a "]]>" in the value (a follower's
    own words echoed back, say) would end the section early and break the reply. It is
    split across two sections; characters XML forbids are dropped.
    """
    value = _XML_ILLEGAL.sub("", value)
    return value.replace("]]>", "]]]]><![CDATA[>")


def clip_text(content: str) -> str:
    encoded = content.encode("utf-8")
    if len(encoded) <= TEXT_LIMIT_BYTES:
        return content
    return encoded[: TEXT_LIMIT_BYTES - 3].decode("utf-8", "ignore") + "…"
