"""Exactly-once handling of WeChat's retries, across workers and hosts.

WeChat tries a message up to three times, five seconds apart, and the tries may land
on different processes. The first to claim a message's key in Redis handles it and
stores its reply; the others wait for that reply and send it again, so a retry gets
the same answer and never a second side effect.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from redis.asyncio import Redis

CLAIM_KEY = "qiyun:wx:claim:{key}"
PENDING = b"\x00pending"
# Covers WeChat's three tries (about 15 s) with a wide margin.
CLAIM_TTL_S = 120


def dedup_key(message: Mapping[str, str]) -> str:
    """MsgId for messages; trace_id for media checks; for other events
    FromUserName+CreateTime+Event+EventKey, plus MsgID when the event reports on a sent
    message (TEMPLATESENDJOBFINISH, MASSSENDJOBFINISH).

    MsgId alone is not enough for events (they have none), and FromUserName+CreateTime
    alone is too coarse: two different events in the same second would collapse — as
    do the delivery reports of two template messages sent to one follower in one second,
    which differ only in MsgID.
    """
    if message.get("MsgId"):
        return f"msg:{message['MsgId']}"
    if message.get("trace_id"):
        return f"trace:{message['trace_id']}"
    key = "event:{}:{}:{}:{}".format(
        message.get("FromUserName", ""),
        message.get("CreateTime", ""),
        message.get("Event", ""),
        message.get("EventKey", "") or "",
    )
    if message.get("MsgID"):
        key += f":{message['MsgID']}"
    return key


class Claim:
    """Who handles a message: `owner` is True for exactly one try."""

    def __init__(self, redis: Redis, key: str, owner: bool) -> None:
        self.redis = redis
        self.key = CLAIM_KEY.format(key=key)
        self.owner = owner

    async def finish(self, reply: str) -> None:
        """Store the reply for the retries that are waiting or still to come."""
        await self.redis.set(self.key, reply.encode("utf-8"), ex=CLAIM_TTL_S)

    async def wait_for_reply(self, *, deadline: float) -> str | None:
        """A retry's answer: the first try's reply, or None if it is not ready in time."""
        while True:
            value = await self.redis.get(self.key)
            if value is not None and value != PENDING:
                return value.decode("utf-8")
            if value is None or time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.05)


async def claim(redis: Redis, key: str) -> Claim:
    owner = bool(await redis.set(CLAIM_KEY.format(key=key), PENDING, nx=True, ex=CLAIM_TTL_S))
    return Claim(redis, key, owner)
