"""A short-lived cache of policy search pages, shared by every process through Redis.

Why: public searches repeat. The chat's followers send the same few words (研发补贴, 专精特新,
贷款贴息), and after a policy push thousands of them ask alike within minutes. Ranking one
common query over 50,000 policies reads thousands of index rows (most of a keyword message's
cost in the callback benchmark); a cached page costs one Redis round trip.

Only the page is cached: which policies, in what order, their scores and expired flags, and
the total. `search_policies` still reads those policies from the database on every search,
so a withdrawn policy is never shown and an edit shows at once. What the TTL bounds is how
long a newly published (or newly matching) policy may be missing from a query that was
cached just before it: at most `ttl_s` seconds. Staff pages never use the cache.

A miss is ranked once per process however many requests ask for it meanwhile (the others
wait for that ranking), so a burst of one new query costs the database one ranking per
process, not one per request. Redis trouble never fails a search: the page is then ranked
by the database as without a cache.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from app.policy.search_index import IndexPage, RankedPolicy

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from app.policy.search import SearchFilters
    from app.resources import Resources

__all__ = ["KEY_PREFIX", "SearchPageCache", "page_key"]

logger = logging.getLogger("qiyun.policy")

KEY_PREFIX = "policy:search:page:"


def page_key(
    *, backend: str, groups: Sequence[Sequence[str]], filters: SearchFilters, today: date, limit: int, offset: int
) -> str:
    """The Redis key of one page: everything that decides the page, hashed (queries are user text)."""
    described = {
        "backend": backend,
        "groups": [list(group) for group in groups],
        "filters": asdict(filters),
        "today": today.isoformat(),
        "limit": limit,
        "offset": offset,
    }
    digest = hashlib.sha256(json.dumps(described, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    return KEY_PREFIX + digest[:40]


@dataclass(frozen=True)
class SearchPageCache:
    """Pages kept in `redis` for `ttl_s` seconds (0 turns the cache off)."""

    redis: Redis
    ttl_s: int

    @classmethod
    def public(cls, resources: Resources) -> SearchPageCache:
        """The cache public searches use (chat, H5, mini-program): POLICY_SEARCH_CACHE_SECONDS."""
        return cls(redis=resources.redis, ttl_s=resources.settings.policy_search_cache_seconds)

    async def page(self, key: str, rank: Callable[[], Awaitable[IndexPage]]) -> IndexPage:
        """The cached page under `key`, or `rank()`'s, which is then kept."""
        if self.ttl_s <= 0:
            return await rank()
        try:
            stored = await self.redis.get(key)
        except RedisError as exc:
            logger.warning("search cache unavailable, ranking in the database: %s", type(exc).__name__)
            return await rank()
        if stored is not None:
            try:
                return _decode(stored)
            except (ValueError, KeyError, TypeError):
                logger.warning("unreadable search cache entry %s, ranking again", key)
        return await _single_flight(key, lambda: self._rank_and_keep(key, rank))

    async def _rank_and_keep(self, key: str, rank: Callable[[], Awaitable[IndexPage]]) -> IndexPage:
        page = await rank()
        try:
            await self.redis.set(key, _encode(page), ex=self.ttl_s)
        except RedisError as exc:
            logger.warning("search page not cached: %s", type(exc).__name__)
        return page


_in_flight: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Task[IndexPage]] = {}


async def _single_flight(key: str, work: Callable[[], Awaitable[IndexPage]]) -> IndexPage:
    """`work()`'s page, computed once in this process for every caller that missed `key` while
    it ran. Without this, a burst of followers asking one uncached query (the moment after a
    push) runs the same heavy ranking once each, and the database falls behind every request.
    Each process ranks a missing page at most once at a time; processes do not wait for
    each other (a few duplicate rankings across hosts are cheap, a cross-host lock is not).
    The ranking runs as its own task, so a caller that goes away does not cancel it for the rest."""
    loop = asyncio.get_running_loop()
    slot = (loop, key)
    task = _in_flight.get(slot)
    if task is None:
        task = loop.create_task(work())
        _in_flight[slot] = task
        task.add_done_callback(functools.partial(_landed, slot))
    return await asyncio.shield(task)


def _landed(slot: tuple[asyncio.AbstractEventLoop, str], task: asyncio.Task[IndexPage]) -> None:
    _in_flight.pop(slot, None)
    if not task.cancelled():
        task.exception()  # retrieved here too: every caller may have gone away


def _encode(page: IndexPage) -> str:
    rows = [[row.policy_id, row.score, row.expired] for row in page.rows]
    return json.dumps({"rows": rows, "total": page.total}, separators=(",", ":"))


def _decode(stored: bytes | str) -> IndexPage:
    data = json.loads(stored)
    rows = [RankedPolicy(int(policy_id), float(score), bool(expired)) for policy_id, score, expired in data["rows"]]
    return IndexPage(rows=rows, total=int(data["total"]))
