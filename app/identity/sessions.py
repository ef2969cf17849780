"""Mini-program sessions: opaque bearer tokens whose state lives in Redis.

Why opaque tokens rather than signed ones (JWT): a session must end at once on logout
or when an account is blocked, and the mini-program never needs to read it. Why only
the SHA-256 of the token is stored: a Redis dump or `MONITOR` must not hand out working
tokens. Sessions slide (each use renews the expiry) so active users are not logged
out mid-task, but never outlive `MAX_SESSION_AGE`, so a stolen token cannot be kept
alive for ever.

WeChat's `session_key` is deliberately not part of a session: Qiyun gets phone numbers
through `getuserphonenumber` (a code, no decryption), so it has no use for the key and
does not keep it at all.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

__all__ = [
    "KEY_PREFIX",
    "MAX_SESSION_AGE",
    "SESSION_TTL",
    "IssuedSession",
    "Session",
    "create_session",
    "resolve_session",
    "revoke_session",
    "session_key",
]

KEY_PREFIX = "qiyun:mp:session:"
SESSION_TTL = timedelta(days=7)
MAX_SESSION_AGE = timedelta(days=30)

# token_urlsafe(32) yields 43 characters; anything far from that shape is not ours.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")


@dataclass(frozen=True)
class Session:
    """Who a token belongs to. `miniprogram_user_id` is stable; `user_id` may change
    when two WeChat identities of one person are merged, so callers re-read it from
    the mini-program account rather than trusting this copy."""

    token_hash: str
    miniprogram_user_id: int
    user_id: int
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class IssuedSession:
    """A new session and its token: the only moment the plain token exists server-side."""

    token: str
    session: Session


def session_key(token: str) -> str:
    """The Redis key of a token: `qiyun:mp:session:<sha256(token)>`."""
    return KEY_PREFIX + _hash(token)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


async def create_session(
    *,
    redis: Redis,
    miniprogram_user_id: int,
    user_id: int,
    ttl: timedelta = SESSION_TTL,
) -> IssuedSession:
    """Issue a new opaque token for a mini-program account and store its session."""
    token = secrets.token_urlsafe(32)
    now = _now()
    session = Session(
        token_hash=_hash(token),
        miniprogram_user_id=miniprogram_user_id,
        user_id=user_id,
        created_at=now,
        expires_at=now + ttl,
    )
    value = json.dumps(
        {
            "mp_user_id": miniprogram_user_id,
            "user_id": user_id,
            "created_at": now.isoformat(),
        }
    )
    await redis.set(session_key(token), value, ex=int(ttl.total_seconds()))
    return IssuedSession(token=token, session=session)


async def resolve_session(
    *,
    redis: Redis,
    token: str,
    ttl: timedelta = SESSION_TTL,
    max_age: timedelta = MAX_SESSION_AGE,
) -> Session | None:
    """The session of `token`, renewed for another `ttl`; None if unknown or expired."""
    if not token or not _TOKEN_SHAPE.match(token):
        return None
    key = session_key(token)
    raw = await redis.get(key)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        created_at = datetime.fromisoformat(data["created_at"])
        mp_user_id = int(data["mp_user_id"])
        user_id = int(data["user_id"])
    except (ValueError, KeyError, TypeError):
        await redis.delete(key)
        return None
    now = _now()
    remaining_age = created_at + max_age - now
    if remaining_age.total_seconds() <= 0:
        await redis.delete(key)
        return None
    renew_for = min(ttl, remaining_age)
    # EXPIRE on a key that vanished in between is a no-op, so a logout racing this
    # request still wins.
    await redis.expire(key, max(1, int(renew_for.total_seconds())))
    return Session(
        token_hash=_hash(token),
        miniprogram_user_id=mp_user_id,
        user_id=user_id,
        created_at=created_at,
        expires_at=now + renew_for,
    )


async def revoke_session(*, redis: Redis, token: str) -> bool:
    """End a session; True if it existed."""
    if not token:
        return False
    return bool(await redis.delete(session_key(token)))
