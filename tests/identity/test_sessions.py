"""Mini-program sessions in Redis: hashed keys, sliding renewal, a hard maximum age."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from app.identity import sessions


async def test_token_is_stored_only_as_its_hash(redis) -> None:
    issued = await sessions.create_session(redis=redis, miniprogram_user_id=7, user_id=3)

    keys = [key.decode() for key in await redis.keys("*")]
    assert keys == [sessions.KEY_PREFIX + hashlib.sha256(issued.token.encode()).hexdigest()]
    for key in keys:
        assert issued.token not in key
        assert issued.token.encode() not in await redis.get(key)
    assert len(issued.token) >= 43


async def test_resolve_returns_the_ids_and_slides_the_expiry(redis) -> None:
    issued = await sessions.create_session(
        redis=redis, miniprogram_user_id=7, user_id=3, ttl=timedelta(seconds=100)
    )
    key = sessions.session_key(issued.token)
    await redis.expire(key, 10)

    session = await sessions.resolve_session(redis=redis, token=issued.token, ttl=timedelta(seconds=100))

    assert session is not None
    assert (session.miniprogram_user_id, session.user_id) == (7, 3)
    assert 90 < await redis.ttl(key) <= 100


async def test_unknown_malformed_and_revoked_tokens_resolve_to_none(redis) -> None:
    issued = await sessions.create_session(redis=redis, miniprogram_user_id=1, user_id=1)

    assert await sessions.resolve_session(redis=redis, token="x" * 43) is None
    assert await sessions.resolve_session(redis=redis, token="not a token!") is None
    assert await sessions.revoke_session(redis=redis, token=issued.token) is True
    assert await sessions.resolve_session(redis=redis, token=issued.token) is None


async def test_a_session_never_outlives_the_maximum_age(redis) -> None:
    issued = await sessions.create_session(redis=redis, miniprogram_user_id=1, user_id=1)
    key = sessions.session_key(issued.token)
    data = json.loads(await redis.get(key))
    data["created_at"] = (datetime.now(UTC) - sessions.MAX_SESSION_AGE - timedelta(minutes=1)).isoformat()
    await redis.set(key, json.dumps(data), ex=3600)

    assert await sessions.resolve_session(redis=redis, token=issued.token) is None
    assert await redis.exists(key) == 0


async def test_renewal_is_capped_by_the_remaining_maximum_age(redis) -> None:
    issued = await sessions.create_session(redis=redis, miniprogram_user_id=1, user_id=1)
    key = sessions.session_key(issued.token)
    data = json.loads(await redis.get(key))
    data["created_at"] = (datetime.now(UTC) - sessions.MAX_SESSION_AGE + timedelta(hours=1)).isoformat()
    await redis.set(key, json.dumps(data), ex=60)

    session = await sessions.resolve_session(redis=redis, token=issued.token)

    assert session is not None
    assert 3000 < await redis.ttl(key) <= 3600
