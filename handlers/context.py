"""What every handler receives: the message, the follower, and the process's resources."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from app.conversation import ConversationEngine
from app.identity.models import Follower
from app.messagelog.models import MessageLog
from handlers.inbound import Inbound
from handlers.replies import Reply

if TYPE_CHECKING:
    from app.config import Settings
    from app.resources import Resources
    from app.wechat import WeChatClient

__all__ = ["Context"]


@dataclass
class Context:
    inbound: Inbound
    follower: Follower | None
    """Always set for a handler: only a follower's messages are dispatched. None only on the
    context of an event the pipeline logged and ignored (`pipeline.process`)."""
    resources: Resources
    log_entry: MessageLog | None = None
    """The message-log row of this inbound message."""
    match: re.Match[str] | None = None
    """Set for keyword handlers: the pattern's match."""
    notices: list[str] = field(default_factory=list)
    """Texts any stage wants shown before the final reply."""
    followups: list[Reply] = field(default_factory=list)
    """Messages sent after the reply through the customer-service API (a passive reply is one
    message only; e.g. a search answers with one news card, then the list of further results)."""
    _engine: ConversationEngine | None = None

    @property
    def openid(self) -> str:
        return self.inbound.openid

    @property
    def text(self) -> str:
        return self.inbound.content

    @property
    def redis(self) -> Redis:
        return self.resources.redis

    @property
    def settings(self) -> Settings:
        return self.resources.settings

    @property
    def wechat(self) -> WeChatClient:
        return self.resources.official_account

    @property
    def engine(self) -> ConversationEngine:
        if self._engine is None:
            self._engine = ConversationEngine(redis=self.resources.redis)
        return self._engine
