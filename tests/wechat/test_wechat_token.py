"""Shared, single-flight access-token management, against the simulator and a real Redis."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from app.wechat import (
    AccessTokenManager,
    WeChatClient,
    WeChatCredentialError,
    WeChatTokenError,
    WeChatTransientError,
)
from app.wechat.token import fingerprint

from .helpers import LOOP_SCOPE, MP_APPID, OA_APPID, ClientFactory, SimControl, redis_url_of

pytestmark = pytest.mark.asyncio(loop_scope=LOOP_SCOPE)

TEMPLATE_SEND = "/cgi-bin/message/template/send"
ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("token_worker.py")


async def test_cached_token_is_reused_across_instances(make_client: ClientFactory, simctl: SimControl) -> None:
    first, second = make_client(OA_APPID), make_client(OA_APPID)
    token = await first.tokens.get_token()
    assert await second.tokens.get_token() == token
    assert await first.tokens.get_token() == token
    assert await simctl.token_fetches(OA_APPID) == 1


async def test_official_account_and_miniprogram_have_separate_tokens(
    oa: WeChatClient, mp: WeChatClient, simctl: SimControl
) -> None:
    oa_token, mp_token = await oa.tokens.get_token(), await mp.tokens.get_token()
    assert oa_token != mp_token
    assert oa.tokens.cache_key != mp.tokens.cache_key
    stats = await simctl.stats()
    assert stats["token_fetches"].get(OA_APPID) == 1
    assert stats["token_fetches"].get(MP_APPID) == 1


async def test_50_concurrent_get_token_from_two_instances_fetch_once(
    make_client: ClientFactory, simctl: SimControl
) -> None:
    await simctl.latency(100)  # keep the fetch in flight while everyone asks
    clients = [make_client(OA_APPID), make_client(OA_APPID)]
    tokens = await asyncio.gather(*(clients[i % 2].tokens.get_token() for i in range(50)))
    assert len(set(tokens)) == 1
    assert await simctl.token_fetches(OA_APPID) == 1


async def test_two_os_processes_fetch_the_token_once(
    sim: Any, simctl: SimControl, wechat_redis: aioredis.Redis
) -> None:
    """Acceptance criterion: two processes asking at the same moment -> one fetch."""
    await simctl.latency(150)
    barrier = f"test:wechat:barrier:{os.getpid()}:{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    args = [str(WORKER), sim.url, redis_url_of(wechat_redis), OA_APPID, "secret_oa", barrier]
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, *args, cwd=str(ROOT), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 30
        while await wechat_redis.llen(f"{barrier}:ready") < 2:
            assert time.monotonic() < deadline, "workers did not reach the barrier"
            assert all(p.returncode is None for p in procs), "a worker exited early"
            await asyncio.sleep(0.02)
        await wechat_redis.rpush(f"{barrier}:go", "go", "go")  # release both at once
        outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 60)
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err.decode()
    fingerprints = {out.decode().strip() for out, _ in outputs}
    assert len(fingerprints) == 1
    assert await simctl.token_fetches(OA_APPID) == 1
    # The token in Redis is the one both processes got.
    cached = await WeChatClient(appid=OA_APPID, secret="x", redis=wechat_redis).tokens.peek()
    assert cached is not None and fingerprint(cached.token) in fingerprints


async def test_token_error_refreshes_once_and_call_succeeds(oa: WeChatClient, simctl: SimControl) -> None:
    old = await oa.tokens.get_token()
    await simctl.fault(TEMPLATE_SEND, "invalidate_token", times=1)
    msgid = await oa.message.send_template("o_user_1", "tpl_1", {"thing1": "hello"})
    assert isinstance(msgid, int)
    assert await oa.tokens.get_token() != old
    assert await simctl.token_fetches(OA_APPID) == 2  # initial + exactly one refresh
    assert await simctl.calls(TEMPLATE_SEND) == 2


async def test_injected_40001_with_same_token_uses_force_refresh_once(
    oa: WeChatClient, simctl: SimControl
) -> None:
    """WeChat says 40001 but normal mode hands back the same token: only then force_refresh."""
    old = await oa.tokens.get_token()
    await simctl.fault(TEMPLATE_SEND, "errcode", errcode=40001, times=1)
    await oa.message.send_template("o_user_1", "tpl_1", {"thing1": "hello"})
    assert await oa.tokens.get_token() != old
    # initial + normal-mode re-fetch (same token) + one force_refresh
    assert await simctl.token_fetches(OA_APPID) == 3
    assert await simctl.calls(TEMPLATE_SEND) == 2


async def test_burst_of_20_token_errors_causes_one_refresh(
    make_client: ClientFactory, simctl: SimControl
) -> None:
    clients = [make_client(OA_APPID), make_client(OA_APPID)]
    await clients[0].tokens.get_token()
    await simctl.fault(TEMPLATE_SEND, "invalidate_token", times=1)
    results = await asyncio.gather(
        *(clients[i % 2].message.send_template(f"o_user_{i}", "tpl_1", {"thing1": "x"}) for i in range(20))
    )
    assert all(isinstance(r, int) for r in results)
    assert await simctl.token_fetches(OA_APPID) == 2  # initial + one refresh, not 20


async def test_invalidate_ignores_a_token_that_is_no_longer_cached(oa: WeChatClient, simctl: SimControl) -> None:
    token = await oa.tokens.get_token()
    assert await oa.tokens.invalidate("some-older-token") == token
    assert await simctl.token_fetches(OA_APPID) == 1


async def test_wrong_secret_raises_credential_error(make_client: ClientFactory) -> None:
    client = make_client(OA_APPID, secret="wrong-secret")
    with pytest.raises(WeChatCredentialError):
        await client.tokens.get_token()


async def test_stale_token_is_refreshed(oa: WeChatClient, simctl: SimControl, wechat_redis: aioredis.Redis) -> None:
    await oa.tokens.get_token()
    await wechat_redis.hset(oa.tokens.cache_key, "stale_at", repr(time.time() - 1))
    await oa.tokens.get_token()
    assert await simctl.token_fetches(OA_APPID) == 2


async def test_missing_credentials_fail_locally(make_client: ClientFactory, simctl: SimControl) -> None:
    client = make_client(OA_APPID, secret="")
    with pytest.raises(WeChatCredentialError):
        await client.tokens.get_token()
    assert await simctl.token_fetches(OA_APPID) == 0


async def test_force_refresh_is_rate_limited(oa: WeChatClient, simctl: SimControl) -> None:
    """A second "40001 with the same token" within 30 s must not spend another force_refresh."""
    await oa.tokens.get_token()
    await simctl.fault(TEMPLATE_SEND, "errcode", errcode=40001, times=1)
    await oa.message.send_template("o_user_1", "tpl_1", {"thing1": "a"})
    assert await simctl.token_fetches(OA_APPID) == 3  # initial, normal, force
    await simctl.fault(TEMPLATE_SEND, "errcode", errcode=40001, times=2)
    with pytest.raises(WeChatTokenError):
        await oa.message.send_template("o_user_1", "tpl_1", {"thing1": "b"})
    assert await simctl.token_fetches(OA_APPID) == 4  # one normal-mode re-fetch, no force
    # Until force_refresh is allowed again, further failures of that token cost no fetch.
    with pytest.raises(WeChatTokenError):
        await oa.message.send_template("o_user_1", "tpl_1", {"thing1": "c"})
    assert await simctl.token_fetches(OA_APPID) == 4
    records = await simctl.records(api="/cgi-bin/stable_token")
    forced = [r for r in records["records"] if (r.get("json") or {}).get("force_refresh") is True]
    assert len(forced) == 1


async def test_stale_token_is_served_while_wechat_is_down(
    oa: WeChatClient, simctl: SimControl, wechat_redis: aioredis.Redis
) -> None:
    token = await oa.tokens.get_token()
    await wechat_redis.hset(oa.tokens.cache_key, "stale_at", repr(time.time() - 1))
    await simctl.fault("/cgi-bin/stable_token", "errcode", errcode=-1, times=10)
    assert await oa.tokens.get_token() == token
    assert await simctl.calls("/cgi-bin/stable_token") == 1 + oa.http.max_attempts


async def test_lock_held_elsewhere_serves_valid_token_or_fails_transiently(
    oa: WeChatClient, simctl: SimControl, wechat_redis: aioredis.Redis
) -> None:
    """A stuck lock holder (crashed process) must not hang callers forever."""
    manager = AccessTokenManager(
        appid=OA_APPID, secret="secret_oa", redis=wechat_redis, http=oa.http, lock_blocking_timeout=0.2
    )
    await wechat_redis.set(manager.lock_key, "someone-else", px=10_000)
    with pytest.raises(WeChatTransientError):
        await manager.get_token()  # nothing cached at all
    assert await simctl.token_fetches(OA_APPID) == 0

    await wechat_redis.delete(manager.lock_key)
    token = await manager.get_token()
    await wechat_redis.hset(manager.cache_key, "stale_at", repr(time.time() - 1))
    await wechat_redis.set(manager.lock_key, "someone-else", px=10_000)
    assert await manager.get_token() == token  # stale but still valid
    assert await simctl.token_fetches(OA_APPID) == 1
