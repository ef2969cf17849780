"""Conversation state in Redis: one JSON document per subject.

JSON (not pickles) so a state written by one release is readable by the next and by a
person with redis-cli; one key per subject so starting a flow replaces whatever was in
progress. The key expires on its own once a flow can no longer be resumed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import LockError

__all__ = ["ACTIVE", "PAUSED", "Busy", "ConversationState", "ConversationStore"]

ACTIVE = "active"
PAUSED = "paused"
FORMAT_VERSION = 1


class Busy(Exception):
    """Another message of the same subject is being handled right now."""


@dataclass
class ConversationState:
    """Where a subject is in a flow: the current step, the answers so far, failed tries per step."""

    subject: str
    flow: str
    step: str
    status: str = ACTIVE
    answers: dict[str, Any] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    started_at: float = 0.0
    updated_at: float = 0.0

    def to_json(self) -> str:
        return json.dumps({"v": FORMAT_VERSION, **asdict(self)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> ConversationState | None:
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.pop("v", None) != FORMAT_VERSION:
            return None
        try:
            return cls(**data)
        except TypeError:
            return None


class ConversationStore:
    """Load, save and lock conversation states under `prefix`."""

    def __init__(self, redis: Redis, *, prefix: str = "qiyun:conv") -> None:
        self.redis = redis
        self.prefix = prefix

    def key(self, subject: str) -> str:
        return f"{self.prefix}:state:{subject}"

    async def load(self, subject: str) -> ConversationState | None:
        raw = await self.redis.get(self.key(subject))
        return ConversationState.from_json(raw) if raw is not None else None

    async def save(self, state: ConversationState, *, ttl_seconds: int) -> None:
        await self.redis.set(self.key(state.subject), state.to_json(), ex=max(1, int(ttl_seconds)))

    async def delete(self, subject: str) -> None:
        await self.redis.delete(self.key(subject))

    @asynccontextmanager
    async def locked(self, subject: str, *, wait_seconds: float = 3.0) -> AsyncIterator[None]:
        """Handle one message of a subject at a time, across processes.

        Two different messages of one person arriving together would otherwise both
        read the same step and both advance it.
        """
        lock = self.redis.lock(f"{self.prefix}:lock:{subject}", timeout=30, blocking_timeout=wait_seconds)
        if not await lock.acquire():
            raise Busy(subject)
        try:
            yield
        finally:
            try:
                await lock.release()
            except LockError:
                pass  # expired while we worked (over 30 s): nothing left to release
