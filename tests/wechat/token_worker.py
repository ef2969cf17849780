"""Subprocess helper for the cross-process token test.

Run as `python tests/wechat/token_worker.py API_BASE REDIS_URL APPID SECRET BARRIER`.
It builds a WeChatClient, announces itself on `BARRIER:ready`, blocks on
`BARRIER:go` until the test releases all workers at once, asks for a token and
prints its fingerprint (never the token itself).
"""

from __future__ import annotations

import asyncio
import sys

import redis.asyncio as aioredis

from app.wechat import WeChatClient
from app.wechat.token import fingerprint


async def main(api_base: str, redis_url: str, appid: str, secret: str, barrier: str) -> int:
    redis = aioredis.from_url(redis_url)
    client = WeChatClient(appid=appid, secret=secret, redis=redis, api_base=api_base, backoff_base=0.01)
    try:
        await redis.ping()
        await redis.rpush(f"{barrier}:ready", "1")
        released = await redis.blpop([f"{barrier}:go"], timeout=30)
        if released is None:
            print("barrier timeout", file=sys.stderr)
            return 3
        token = await client.tokens.get_token()
        print(fingerprint(token), flush=True)
        return 0
    finally:
        await client.aclose()
        await redis.aclose()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:6])))
