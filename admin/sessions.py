"""Staff sessions in Redis, behind an opaque cookie.

The cookie holds only a random id; Redis holds the session under the id's SHA-256, so
someone reading Redis (a backup, `redis-cli`) cannot lift live session ids from it.
A session ends after `IDLE` without a request, and `ABSOLUTE` after it began however
busy it is. A new id is issued at sign-in and at a password change (the old one is
destroyed), so an id planted before sign-in (session fixation) is worthless after it.

A session also exists before sign-in: it carries the CSRF token of the sign-in form.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from redis.asyncio import Redis

__all__ = ["ABSOLUTE", "COOKIE", "IDLE", "Session", "SessionStore"]

COOKIE = "qiyun_admin"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
_PREFIX = "qiyun:admin:session:"


@dataclass
class Session:
    id: str
    csrf: str
    created_at: float
    staff_id: int | None = None
    auth_stamp: str = ""
    """The staff member's `password_changed_at` at sign-in: a later change ends the session."""
    flashes: list[list[str]] = field(default_factory=list)

    def flash(self, kind: str, message: str) -> None:
        """A message for the next page shown (kind: ok, error)."""
        self.flashes.append([kind, message])

    def _payload(self) -> str:
        return json.dumps(
            {"csrf": self.csrf, "created_at": self.created_at, "staff_id": self.staff_id,
             "auth_stamp": self.auth_stamp, "flashes": self.flashes},
            ensure_ascii=False,
        )


class SessionStore:
    def __init__(self, redis: Redis, *, idle: timedelta = IDLE, absolute: timedelta = ABSOLUTE) -> None:
        self.redis = redis
        self.idle = idle
        self.absolute = absolute

    async def create(self, *, staff_id: int | None = None, auth_stamp: str = "") -> Session:
        session = Session(
            id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32), created_at=time.time(),
            staff_id=staff_id, auth_stamp=auth_stamp,
        )
        await self.save(session)
        return session

    async def load(self, session_id: str | None) -> Session | None:
        """The live session with this id (its idle time restarts), or None."""
        if not session_id or len(session_id) > 128:
            return None
        key = _key(session_id)
        raw = await self.redis.get(key)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            session = Session(
                id=session_id, csrf=str(data["csrf"]), created_at=float(data["created_at"]),
                staff_id=data.get("staff_id"), auth_stamp=str(data.get("auth_stamp", "")),
                flashes=list(data.get("flashes") or []),
            )
        except (ValueError, KeyError, TypeError):
            await self.redis.delete(key)
            return None
        ttl = self._ttl(session)
        if ttl <= 0:
            await self.redis.delete(key)
            return None
        await self.redis.expire(key, ttl)
        return session

    async def save(self, session: Session) -> None:
        ttl = self._ttl(session)
        if ttl > 0:
            await self.redis.set(_key(session.id), session._payload(), ex=ttl)

    async def destroy(self, session_id: str | None) -> None:
        if session_id:
            await self.redis.delete(_key(session_id))

    async def rotate(self, old: Session | None, *, staff_id: int, auth_stamp: str) -> Session:
        """A fresh session (new id, new CSRF token) for a signed-in person; the old one is gone."""
        if old is not None:
            await self.destroy(old.id)
        session = await self.create(staff_id=staff_id, auth_stamp=auth_stamp)
        if old is not None and old.flashes:
            session.flashes = old.flashes
            await self.save(session)
        return session

    def _ttl(self, session: Session) -> int:
        remaining = session.created_at + self.absolute.total_seconds() - time.time()
        return int(min(self.idle.total_seconds(), remaining))


def _key(session_id: str) -> str:
    return _PREFIX + hashlib.sha256(session_id.encode("utf-8")).hexdigest()
