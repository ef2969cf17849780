"""GET /metrics: off by default, token-protected, and what it counts (app/ops/metrics.py).

Counters live in per-process files that persist for the test session, so tests compare a
scrape after an action with a scrape before it rather than with absolute values.
"""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
from arq.connections import ArqRedis
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from app.appeal.models import Appeal
from app.config import ConfigError, Settings, load_settings
from app.ops import metrics
from app.outbox import service as outbox
from app.push.models import CampaignStatus, PushCampaign
from app.wechat.errors import WeChatAPIError
from tests.appeal.factories import file_appeal, make_cast
from tests.conftest import TEST_APPID, settings_env
from tests.push.factories import Pusher, make_follower, make_policy, push_settings

TOKEN = "metrics-" + "a1B2c3D4e5F6g7H8i9J0k1L2"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def metrics_on(running_app, settings) -> AsyncIterator[object]:
    """The session app with METRICS_TOKEN set; yields the app so a test may adjust its settings."""
    app, _ = running_app
    original = app.ctx.settings
    app.ctx.settings = settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    yield app
    app.ctx.settings = original


async def scrape(http, server: str) -> Samples:
    async with http.get(f"{server}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}) as response:
        body = await response.text()
        assert response.status == 200, body
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


# -- access -------------------------------------------------------------------------------


async def test_metrics_are_off_without_a_token(server, http):
    async with http.get(f"{server}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}) as response:
        assert response.status == 404


async def test_a_missing_or_wrong_token_is_refused_with_a_challenge(metrics_on, server, http, caplog):
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}):
        async with http.get(f"{server}/metrics", headers=headers) as response:
            assert response.status == 401, headers
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert "qiyun_" not in await response.text()
    assert TOKEN not in caplog.text


async def test_the_allow_list_refuses_other_networks(metrics_on, server, http):
    metrics_on.ctx.settings = metrics_on.ctx.settings.model_copy(update={"metrics_allow_networks": ["10.0.0.0/8"]})
    async with http.get(f"{server}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}) as response:
        assert response.status == 403
    metrics_on.ctx.settings = metrics_on.ctx.settings.model_copy(
        update={"metrics_allow_networks": ["10.0.0.0/8", "127.0.0.0/8"]}
    )
    await scrape(http, server)


def test_metrics_settings_are_validated(monkeypatch):
    monkeypatch.setenv("METRICS_ALLOW_NETWORKS", '["10.0.0.0/8", "not-a-network"]')
    with pytest.raises(ConfigError, match="METRICS_ALLOW_NETWORKS"):
        load_settings(_env_file=None)
    monkeypatch.setenv("METRICS_ALLOW_NETWORKS", '["10.1.2.3/8"]')
    assert load_settings(_env_file=None).metrics_allow_networks == ["10.1.2.3/8"]
    monkeypatch.setenv("METRICS_SCRAPE_TIMEOUT", "0")
    with pytest.raises(ConfigError, match="METRICS_SCRAPE_TIMEOUT"):
        load_settings(_env_file=None)
    monkeypatch.delenv("METRICS_SCRAPE_TIMEOUT")
    production = Settings(_env_file=None, qiyun_env="production", metrics_token="changeme")
    assert "METRICS_TOKEN: looks like a placeholder, set the real value" in production.problems()
    assert not [p for p in production.model_copy(update={"metrics_token": SecretStr(TOKEN)}).problems()
                if p.startswith("METRICS_TOKEN")]
    assert [p for p in Settings(_env_file=None, qiyun_env="production").problems() if "METRICS" in p] == []


# -- what is counted ------------------------------------------------------------------------


async def test_requests_are_counted_by_route_name_and_status(metrics_on, server, http):
    before = await scrape(http, server)
    async with http.get(f"{server}/healthz") as response:
        assert response.status == 200
    async with http.get(f"{server}/no-such-page-{uuid.uuid4().hex}") as response:
        assert response.status == 404
    after = await scrape(http, server)

    ok = {"method": "GET", "route": "ops.healthz", "status": "200"}
    assert value(after, "qiyun_http_requests_total", **ok) == value(before, "qiyun_http_requests_total", **ok) + 1
    missing = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, "qiyun_http_requests_total", **missing) == (
        value(before, "qiyun_http_requests_total", **missing) + 1
    )
    count = {"method": "GET", "route": "ops.healthz"}
    assert value(after, "qiyun_http_request_duration_seconds_count", **count) == (
        value(before, "qiyun_http_request_duration_seconds_count", **count) + 1
    )
    assert not any("no-such-page" in str(labels) for _, labels in after), "raw paths must not become labels"


async def test_wechat_errcodes_and_token_fetches_are_counted(metrics_on, server, http, resources, wechat):
    before = await scrape(http, server)
    async with http.post(f"{wechat.url}/_sim/faults",
                         json={"api": "/cgi-bin/menu/get", "kind": "errcode", "errcode": 45009, "times": 1}) as response:
        assert response.status == 200
    with pytest.raises(WeChatAPIError):
        await resources.official_account.menu.get()
    after = await scrape(http, server)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("qiyun_wechat_api_calls_total", api="/cgi-bin/menu/get", errcode="45009", outcome="error") == 1
    assert delta("qiyun_wechat_api_calls_total", api="/cgi-bin/stable_token", errcode="0", outcome="ok") == 1
    assert delta("qiyun_wechat_api_call_duration_seconds_count", api="/cgi-bin/menu/get") == 1
    assert delta("qiyun_wechat_token_fetches_total", appid=TEST_APPID, force="false") == 1


async def test_queue_depth_quota_and_campaign_progress(metrics_on, server, http, resources, settings, wechat):
    arq = ArqRedis(connection_pool=resources.redis.connection_pool)
    queued = await scrape(http, server)
    assert value(queued, "qiyun_job_queue_depth", queue="arq:queue") == 0
    for n in range(2):
        await arq.enqueue_job("no_such_job", _job_id=f"metrics-test-{n}")
    assert value(await scrape(http, server), "qiyun_job_queue_depth", queue="arq:queue") == 2
    await resources.redis.delete("arq:queue")

    for n in range(3):
        await make_follower(f"oMetrics{n:04d}")
    pusher = Pusher(settings=push_settings(settings), resources=resources)
    try:
        campaign = await pusher.start(await pusher.create({"kind": "everyone"}, policy=await make_policy()))
        running = await scrape(http, server)
        labels = {"campaign_id": str(campaign.id), "campaign_status": "running"}
        assert value(running, "qiyun_push_campaign_deliveries", status="queued", **labels) == 3
        assert value(running, "qiyun_push_campaign_deliveries", status="sent", **labels) == 0
        assert value(running, "qiyun_template_quota_used_today", appid=TEST_APPID) == 0

        await pusher.run(campaign)
        assert (await PushCampaign.get(id=campaign.id)).status == CampaignStatus.completed
    finally:
        await pusher.aclose()
    done = await scrape(http, server)
    assert not [key for key in done if key[0] == "qiyun_push_campaign_deliveries"], "finished campaigns drop out"
    assert value(done, "qiyun_template_quota_used_today", appid=TEST_APPID) == 3
    assert value(done, "qiyun_template_quota_limit", appid=TEST_APPID) == settings.template_daily_quota


async def test_overdue_appeals_and_outbox_backlog(metrics_on, server, http, resources, settings, wechat):
    cast = await make_cast()
    appeal = await file_appeal(cast, settings)
    before = await scrape(http, server)
    assert value(before, "qiyun_appeals_overdue") == 0

    await Appeal.filter(id=appeal.id).update(accept_due_at=datetime.now(timezone.utc) - timedelta(hours=1))
    await outbox.put(topic="metrics.test", dedupe_key=f"metrics-{uuid.uuid4().hex}", payload={})
    after = await scrape(http, server)

    assert value(after, "qiyun_appeals_overdue") == 1
    assert value(after, "qiyun_outbox_pending") == value(before, "qiyun_outbox_pending") + 1
    for source in metrics.SOURCES:
        assert value(after, "qiyun_metrics_source_up", source=source) == 1


async def test_a_failing_source_is_reported_and_the_scrape_still_answers(metrics_on, server, http, resources):
    real = resources.redis

    class Unreachable:
        def __getattr__(self, name):
            async def fail(*args, **kwargs):
                raise ConnectionError("connection refused")

            return fail

    resources.redis = Unreachable()
    try:
        samples = await scrape(http, server)
    finally:
        resources.redis = real
    assert value(samples, "qiyun_metrics_source_up", source="job_queue") == 0
    assert value(samples, "qiyun_metrics_source_up", source="template_quota") == 0
    assert value(samples, "qiyun_metrics_source_up", source="appeals") == 1
    assert ("qiyun_appeals_overdue", frozenset()) in samples
    assert not [key for key in samples if key[0] == "qiyun_job_queue_depth"]


# -- several processes, one host ----------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import sys
    from app.config import load_settings
    from app.ops import metrics

    metrics.configure(load_settings())
    for _ in range(3):
        metrics.count_token_fetch("wxsummed", force=False)
    metrics.http_started("PATCH")  # in progress until this process dies
    print("ready", flush=True)
    sys.stdin.readline()
    """
)


async def test_samples_of_several_processes_are_summed_and_dead_ones_forgotten(metrics_on, server, http, settings):
    env = settings_env(settings)
    env.pop(metrics.ENV_VAR, None)  # the child finds the directory from its settings alone
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, env=env, cwd=os.getcwd(),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert (await asyncio.wait_for(child.stdout.readline(), 60)).strip() == b"ready"
        for _ in range(2):
            metrics.count_token_fetch("wxsummed", force=False)
        alive = await scrape(http, server)
        assert value(alive, "qiyun_wechat_token_fetches_total", appid="wxsummed", force="false") == 5
        assert value(alive, "qiyun_http_requests_in_progress", method="PATCH") == 1
    finally:
        child.stdin.close()
        await asyncio.wait_for(child.wait(), 30)

    gone = await scrape(http, server)
    # Counters of a process that exited stay until the next start, so totals never go backwards...
    assert value(gone, "qiyun_wechat_token_fetches_total", appid="wxsummed", force="false") == 5
    # ...but its live gauges go at once.
    assert value(gone, "qiyun_http_requests_in_progress", method="PATCH") == 0
    # A main process starting (serve, worker) removes the files of processes that are gone.
    metrics.prepare_directory(settings)
    restarted = await scrape(http, server)
    assert value(restarted, "qiyun_wechat_token_fetches_total", appid="wxsummed", force="false") == 2


def test_files_of_an_earlier_run_are_stale_even_when_their_pid_is_taken_again(tmp_path):
    """In a fresh container pids start again at 1: a live pid whose process started after the
    file was last written does not own it."""
    dead = tmp_path / "counter_999999999.db"
    reused = tmp_path / "counter_1.db"  # pid 1 is alive and started at boot...
    fresh = tmp_path / "gauge_livesum_1.db"  # ...and this one was written after that
    mine = tmp_path / f"counter_{os.getpid()}.db"
    for path in (dead, reused, fresh, mine):
        path.write_bytes(b"")
    os.utime(reused, (0, 0))  # written long before pid 1 started
    assert metrics.remove_stale_files(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, mine.name])
