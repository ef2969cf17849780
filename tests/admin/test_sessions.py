"""The Redis session store: opaque ids, hashed keys, idle and absolute expiry."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from admin.sessions import SessionStore


async def test_ids_are_opaque_and_stored_hashed(redis):
    store = SessionStore(redis)
    session = await store.create(staff_id=7, auth_stamp="")
    assert len(session.id) >= 40 and len(session.csrf) >= 40 and session.id != session.csrf
    keys = [key.decode() for key in await redis.keys("qiyun:admin:session:*")]
    assert keys == ["qiyun:admin:session:" + hashlib.sha256(session.id.encode()).hexdigest()]
    assert session.id.encode() not in await redis.get(keys[0])
    loaded = await store.load(session.id)
    assert (loaded.staff_id, loaded.csrf) == (7, session.csrf)
    assert await store.load("made-up-id") is None


async def test_idle_expiry_restarts_with_each_request(redis):
    store = SessionStore(redis, idle=timedelta(minutes=30))
    session = await store.create()
    key = "qiyun:admin:session:" + hashlib.sha256(session.id.encode()).hexdigest()
    await redis.expire(key, 5)
    await store.load(session.id)
    assert 1790 <= await redis.ttl(key) <= 1800


async def test_absolute_expiry_ends_even_a_busy_session(redis):
    store = SessionStore(redis, idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    session = await store.create()
    session.created_at = time.time() - 12 * 3600 + 60  # one minute left
    await store.save(session)
    key = "qiyun:admin:session:" + hashlib.sha256(session.id.encode()).hexdigest()
    assert await redis.ttl(key) <= 60
    await store.load(session.id)
    assert await redis.ttl(key) <= 60  # a request does not extend it past the absolute limit
    session.created_at = time.time() - 12 * 3600 - 1
    await redis.set(key, session._payload())
    assert await store.load(session.id) is None
    assert not await redis.exists(key)
