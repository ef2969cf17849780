"""The sliding-window counter behind the per-user rate limit."""

from __future__ import annotations

from miniprogram_api.ratelimit import WINDOW_SECONDS, hit

START = 1_000_000 * WINDOW_SECONDS  # the start of a window


async def test_the_limit_holds_within_a_window_and_refusals_do_not_count(redis) -> None:
    decisions = [await hit(redis=redis, subject="s", limit=3, now=START + 1 + i) for i in range(5)]

    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert decisions[2].remaining == 0
    assert int(await redis.get(f"qiyun:mp:rate:s:{START // WINDOW_SECONDS}")) == 3


async def test_the_previous_window_still_counts_at_a_boundary(redis) -> None:
    for i in range(4):
        assert (await hit(redis=redis, subject="s", limit=4, now=START + 50 + i)).allowed

    # Just after the boundary a fixed window would allow 4 more at once; sliding does not.
    refused = await hit(redis=redis, subject="s", limit=4, now=START + WINDOW_SECONDS + 1)
    later = await hit(redis=redis, subject="s", limit=4, now=START + WINDOW_SECONDS + 1 + refused.retry_after)

    assert not refused.allowed
    assert 1 <= refused.retry_after <= WINDOW_SECONDS
    assert later.allowed


async def test_subjects_are_counted_apart(redis) -> None:
    assert (await hit(redis=redis, subject="a", limit=1, now=START + 1)).allowed
    assert not (await hit(redis=redis, subject="a", limit=1, now=START + 2)).allowed
    assert (await hit(redis=redis, subject="b", limit=1, now=START + 3)).allowed


async def test_retry_after_when_the_current_window_is_full(redis) -> None:
    for i in range(2):
        await hit(redis=redis, subject="s", limit=2, now=START + 10 + i)

    refused = await hit(redis=redis, subject="s", limit=2, now=START + 20)
    at_retry = await hit(redis=redis, subject="s", limit=2, now=START + 20 + refused.retry_after)

    assert not refused.allowed
    assert refused.retry_after > WINDOW_SECONDS - 20
    assert at_retry.allowed


async def test_behind_a_proxy_the_limit_applies_to_the_forwarded_client(mp, server_with, running_app) -> None:
    """PROXIES_COUNT=1 (nginx in front): clients are told apart by X-Forwarded-For, not the proxy's address."""
    from app.factory import create_app

    app, _ = running_app
    configured = create_app(app.ctx.resources.settings.model_copy(update={"proxies_count": 1}),
                            name="qiyun-proxy-check", manage_resources=False)
    assert configured.config.PROXIES_COUNT == 1
    previous = app.config.PROXIES_COUNT
    app.config.PROXIES_COUNT = 1
    try:
        server_with(api_rate_limit_per_minute=2)
        statuses = []
        for client in ("203.0.113.7", "203.0.113.7", "203.0.113.7", "198.51.100.9"):
            reply = await mp.call("POST", "/mp/v1/auth/login", json_body={"code": "nope"},
                                  headers={"X-Forwarded-For": client})
            statuses.append(reply.status)
    finally:
        app.config.PROXIES_COUNT = previous
    assert statuses[2] == 429 and statuses[3] != 429
