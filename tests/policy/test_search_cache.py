"""The shared cache of public search pages (`app.policy.search_cache`): a repeated query is
answered from Redis, while the policies shown are always read as they are now."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from app.policy.models import Policy, PolicyStatus, SupportType
from app.policy.search import SearchFilters
from app.policy.search_cache import KEY_PREFIX, SearchPageCache
from app.policy.search_index import IndexPage, RankedPolicy
from tests.policy.test_search import make_policy, search, titles


async def cached_keys(redis: Redis) -> list[bytes]:
    return [key async for key in redis.scan_iter(match=KEY_PREFIX + "*")]


async def test_a_repeated_query_is_ranked_once_for_the_ttl(db, redis):
    cache = SearchPageCache(redis=redis, ttl_s=30)
    await make_policy("研发费用补贴实施细则", summary="研发投入资助")
    assert titles(await search("研发补贴", cache=cache)) == ["研发费用补贴实施细则"]
    assert len(await cached_keys(redis)) == 1

    # Published after the page was cached: not in the cached page until it expires.
    await make_policy("研发补贴配套政策", summary="研发补贴")
    again = await search("研发补贴", cache=cache)
    assert titles(again) == ["研发费用补贴实施细则"] and again.total == 1
    # Without the cache (as staff pages search) it is found at once.
    assert len(titles(await search("研发补贴"))) == 2


async def test_a_page_expires_after_its_ttl(db, redis):
    cache = SearchPageCache(redis=redis, ttl_s=1)
    await make_policy("研发费用补贴实施细则", summary="研发投入资助")
    await search("研发补贴", cache=cache)
    await make_policy("研发补贴配套政策", summary="研发补贴")
    await asyncio.sleep(1.2)
    assert len(titles(await search("研发补贴", cache=cache))) == 2


async def test_a_withdrawn_policy_leaves_a_cached_page_at_once_and_an_edit_shows_at_once(db, redis):
    cache = SearchPageCache(redis=redis, ttl_s=30)
    kept = await make_policy("研发费用补贴实施细则", summary="研发投入资助")
    gone = await make_policy("研发补贴配套政策", summary="研发补贴")
    assert len(titles(await search("研发补贴", cache=cache))) == 2

    await Policy.filter(id=gone.id).update(status=PolicyStatus.withdrawn)
    await Policy.filter(id=kept.id).update(title="研发费用补贴实施细则（修订）")
    assert titles(await search("研发补贴", cache=cache)) == ["研发费用补贴实施细则（修订）"]


async def test_each_query_filter_and_page_has_its_own_entry(db, redis):
    cache = SearchPageCache(redis=redis, ttl_s=30)
    for n in range(3):
        await make_policy(f"研发补贴政策第{n}号", summary="研发补贴")
    await make_policy("人才公寓租赁办法", summary="人才公寓", support_type=SupportType.talent)
    first = await search("研发补贴", cache=cache, limit=2)
    second = await search("研发补贴", cache=cache, limit=2, offset=2)
    assert len(first.hits) == 2 and len(second.hits) == 1 and first.total == second.total == 3
    assert {hit.policy.id for hit in first.hits}.isdisjoint(hit.policy.id for hit in second.hits)
    assert titles(await search("人才公寓", cache=cache)) == ["人才公寓租赁办法"]
    await search("研发补贴", cache=cache, filters=SearchFilters(open_now=True), limit=2)
    assert len(await cached_keys(redis)) == 4


async def test_ttl_zero_turns_the_cache_off(db, redis):
    cache = SearchPageCache(redis=redis, ttl_s=0)
    await make_policy("研发费用补贴实施细则", summary="研发投入资助")
    await search("研发补贴", cache=cache)
    assert await cached_keys(redis) == []


async def test_redis_trouble_never_fails_a_search(db, redis):
    unreachable = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    await make_policy("研发费用补贴实施细则", summary="研发投入资助")
    result = await search("研发补贴", cache=SearchPageCache(redis=unreachable, ttl_s=30))
    assert titles(result) == ["研发费用补贴实施细则"]
    await unreachable.aclose()


async def test_an_unreadable_entry_is_ranked_again(db, redis):
    cache = SearchPageCache(redis=redis, ttl_s=30)
    await make_policy("研发费用补贴实施细则", summary="研发投入资助")
    await search("研发补贴", cache=cache)
    (key,) = await cached_keys(redis)
    await redis.set(key, b"not json")
    assert titles(await search("研发补贴", cache=cache)) == ["研发费用补贴实施细则"]
    assert (await redis.get(key)).startswith(b"{")


async def test_a_burst_of_one_missing_query_is_ranked_once_and_shared(redis):
    cache = SearchPageCache(redis=redis, ttl_s=30)
    rankings = 0

    async def rank() -> IndexPage:
        nonlocal rankings
        rankings += 1
        await asyncio.sleep(0.2)  # a slow ranking: everyone else arrives meanwhile
        return IndexPage(rows=[RankedPolicy(7, 1.5, False)], total=1)

    pages = await asyncio.gather(*(cache.page(KEY_PREFIX + "burst", rank) for _ in range(50)))
    assert rankings == 1
    assert all(page.rows == [RankedPolicy(7, 1.5, False)] and page.total == 1 for page in pages)
    # A caller that gives up does not cancel the ranking for the others.
    waiting = [asyncio.create_task(cache.page(KEY_PREFIX + "other", rank)) for _ in range(3)]
    await asyncio.sleep(0.05)
    waiting[0].cancel()
    assert [page.total for page in await asyncio.gather(*waiting[1:])] == [1, 1]
    assert rankings == 2


async def test_a_failed_ranking_fails_its_callers_and_the_next_search_ranks_again(redis):
    cache = SearchPageCache(redis=redis, ttl_s=30)
    calls = 0

    async def rank() -> IndexPage:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        if calls == 1:
            raise RuntimeError("database gone")
        return IndexPage(rows=[], total=0)

    results = await asyncio.gather(*(cache.page(KEY_PREFIX + "x", rank) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results) and calls == 1
    assert (await cache.page(KEY_PREFIX + "x", rank)).total == 0 and calls == 2
