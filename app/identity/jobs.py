"""Background jobs of the identity domain (registered in `app.jobs.worker`).

`learn_follower_unionid` runs after a subscribe: WeChat's event carries only the openid,
and the unionid that joins a follower to their mini-program account comes from the
user-info API, which is too slow and too fallible to call inside WeChat's 5 seconds.
"""

from __future__ import annotations

import logging
from typing import Any

from arq.connections import ArqRedis
from redis.asyncio import Redis

from app.identity.linking import link_follower_unionid
from app.wechat.errors import WeChatAPIError

__all__ = ["FUNCTIONS", "enqueue_learn_unionid", "learn_follower_unionid"]

logger = logging.getLogger("qiyun.identity")


async def enqueue_learn_unionid(redis: Redis, *, openid: str) -> None:
    """Queue the unionid lookup; arq keeps the job id for an hour, so bursts of re-subscribes ask once."""
    await ArqRedis(connection_pool=redis.connection_pool).enqueue_job(
        "learn_follower_unionid", openid, _job_id=f"identity:unionid:{openid}"
    )


async def learn_follower_unionid(ctx: dict[str, Any], openid: str) -> str | None:
    """Ask WeChat for the follower's unionid and link them to the same person's other accounts."""
    wechat = ctx["resources"].official_account
    try:
        info = await wechat.user.get(openid)
    except WeChatAPIError as exc:
        # 40003 (not a follower any more) and the like: nothing to learn, nothing to retry.
        logger.info("user info unavailable: %s", exc, extra={"openid": openid})
        return None
    unionid = info.get("unionid")
    if not unionid:
        return None  # the account is not bound to an Open Platform account
    await link_follower_unionid(openid=openid, unionid=str(unionid))
    return str(unionid)


FUNCTIONS = [learn_follower_unionid]
