"""Several processes, one truth: two `qiyun serve` and two `qiyun worker` processes on one
database and one Redis, driven through the WeChat simulator, leave one of everything.

* one access-token fetch while all four processes need the token at the same moment;
* one handling (one inbound row, one side effect, one reply) of a message whose tries
  WeChat sent to both servers;
* one template message per follower of a campaign sent by both workers;
* one 督办 (row, notice, timeline entry, WeChat message) per overdue appeal and level,
  with both workers running the supervision job at once;
* one ticket per place when people sign up for an activity through both servers.

The processes start once for the module. A job is handed to one particular worker by
freezing the others (SIGSTOP) while it picks the job up, and that worker is frozen as soon
as it has started the job; when every worker holds its job they all go on together
(`holding`). The evidence is what WeChat saw (the simulator's records and counters) and
what the database kept, never timings.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from arq.connections import ArqRedis
from arq.jobs import Job

from app.activity.models import ActivityEvent, ActivitySignup, SignupStatus
from app.appeal.deadlines import level_times
from app.appeal.models import Appeal, AppealEvent, AppealSupervision
from app.config import Settings
from app.content_check.models import ContentCheck
from app.demo import demo_organisations
from app.messagelog.models import MessageLog
from app.organisation.service import upsert_organisations
from app.outbox.models import OutboxMessage, OutboxStatus
from app.push import service as push_service
from app.push.jobs import enqueue_runners
from app.push.models import CampaignStatus, DeliveryStatus, PushCampaign, PushDelivery
from app.resources import wechat_clients
from app.staff.models import StaffRole
from tests.activity.factories import make_activity
from tests.admin.support import AdminClient, make_staff, seed_organisations
from tests.appeal.factories import make_cast, take_to
from tests.appeal.notify_support import TEMPLATES, link_wechat, phrase, template_id
from tests.conftest import TEST_APPID
from tests.miniprogram_api.conftest import MiniProgram
from tests.processes import AppProcess, Cluster
from tests.push.factories import TEMPLATE_ID, make_follower, make_policy

# The timeout covers the session's migrations and four processes starting on a busy machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

START_TIMEOUT = 150.0  # four processes importing the app at once on a busy 2-core machine
DESCRIPTION = "公司申报的高新技术企业认定已提交两个月，一直没有收到反馈，希望了解办理进度。"


# -- the cluster --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster_settings(settings: Settings) -> Settings:
    """The test settings with every notice this module causes configured, and limits that a
    few hundred requests from one address and a campaign spread over both workers need."""
    return settings.model_copy(update={
        **TEMPLATES,
        "template_policy_push": TEMPLATE_ID,
        "push_concurrency": 8,  # claims of 50 rows: a campaign of 300 is shared by every runner
        "push_rate_per_second": 150,  # ...and lasts long enough for all of them to take part
        "push_frequency_cap_per_week": 3,
        "api_rate_limit_per_minute": 100_000,
        "log_format": "json",  # the workers' "push slice finished" lines carry their counts
    })


@pytest.fixture(scope="module")
async def cluster(
    cluster_settings: Settings, database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    """Two servers and two workers for the module; their logs are kept in <basetemp>/cluster*/."""
    logs = tmp_path_factory.mktemp("cluster")
    started = Cluster(cluster_settings)
    try:
        async with started:
            await asyncio.gather(
                started.server(timeout=START_TIMEOUT), started.server(timeout=START_TIMEOUT),
                started.worker(timeout=START_TIMEOUT), started.worker(timeout=START_TIMEOUT),
            )
            yield started
    finally:
        for process in started.processes:
            (logs / f"{process.name}.log").write_text(process.output + "\n", encoding="utf-8")


@pytest.fixture
async def arq(redis) -> ArqRedis:
    return ArqRedis(connection_pool=redis.connection_pool)


Assignment = tuple[AppProcess, Callable[[], Awaitable[Any]], str, int]
"""(worker, enqueue, marker, count): after `enqueue()`, the worker logs `count` more lines
containing `marker` (arq's job-start line "→ <job id>:<function>(<args>)")."""


@asynccontextmanager
async def holding(workers: Sequence[AppProcess], assignments: Sequence[Assignment]) -> AsyncIterator[None]:
    """Give each worker its own jobs, then let all of them go on at the same moment (on exit).

    Inside the block every worker has started its jobs and is frozen; the block can start
    more work (HTTP requests to the servers) to coincide with the workers' resumption.
    """
    for worker in workers:
        worker.pause()
    try:
        for worker, enqueue, marker, count in assignments:
            before = worker.count(marker)
            worker.resume()
            await enqueue()
            await worker.wait_for_line(marker, count=before + count, timeout=30)
            worker.pause()
        yield
    finally:
        for worker in workers:
            worker.resume()


def job_start(job_id: str, function: str) -> str:
    return f"{job_id}:{function}("


async def results(arq: ArqRedis, job_ids: Sequence[str], timeout: float = 60) -> list[Any]:
    """The jobs' results (raising what a job raised)."""
    return [await Job(job_id, arq).result(timeout=timeout, poll_delay=0.2) for job_id in job_ids]


async def eventually(check: Callable[[], Awaitable[bool]], what: str, cluster: Cluster, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}\n{cluster.output()}")
        await asyncio.sleep(0.2)


async def sim_call(http: aiohttp.ClientSession, wechat: Any, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    async with http.request(method, f"{wechat.url}{path}", **kwargs) as response:
        body = await response.json()
        assert response.status == 200, body
        return body


async def sim_records(http: aiohttp.ClientSession, wechat: Any, api: str) -> list[dict[str, Any]]:
    return (await sim_call(http, wechat, "GET", "/_sim/records", params={"api": api, "limit": "10000"}))["records"]


def log_entries(process: AppProcess, message: str) -> list[dict[str, Any]]:
    """The process's JSON log entries whose message is `message`."""
    found = []
    for line in process.lines:
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == message:
                found.append(entry)
    return found


# -- 1. one token -------------------------------------------------------------------------


async def test_four_processes_needing_the_token_at_once_fetch_it_once(cluster, db, redis, wechat, http, arq):
    """Both servers render the tags page (WeChat's tags API) and both workers look up a
    follower's unionid (user-info API) at the same moment, while the token fetch takes 1.5 s."""
    await seed_organisations()
    await make_staff("admin", StaffRole.city_admin, "city.coordination")
    openids = [f"oTokenCluster{n}" for n in (1, 2)]
    for openid in openids:
        await make_follower(openid)
    await sim_call(http, wechat, "POST", "/_sim/followers",
                   json={"followers": [{"openid": o, "unionid": f"u-{o}"} for o in openids]})
    admins = [AdminClient(server.url) for server in cluster.servers]
    try:
        for admin in admins:
            status, body, _ = await admin.login("admin")
            assert status == 303, body
        await sim_call(http, wechat, "POST", "/_sim/latency", json={"ms": 1500})
        job_ids = [f"cluster:unionid:{uuid.uuid4().hex}" for _ in openids]

        def enqueue(job_id: str, openid: str) -> Callable[[], Awaitable[Any]]:
            return lambda: arq.enqueue_job("learn_follower_unionid", openid, _job_id=job_id)

        async with holding(cluster.workers, [
            (worker, enqueue(job_id, openid), job_start(job_id, "learn_follower_unionid"), 1)
            for worker, job_id, openid in zip(cluster.workers, job_ids, openids)
        ]):
            pages = [asyncio.create_task(admin.get("/admin/tags")) for admin in admins]
        unionids = await results(arq, job_ids)
        statuses = [status for status, _, _ in await asyncio.gather(*pages)]
    finally:
        await sim_call(http, wechat, "POST", "/_sim/latency", json={"ms": 0})
        for admin in admins:
            await admin.close()

    assert statuses == [200, 200]
    assert unionids == [f"u-{o}" for o in openids]
    # What WeChat saw: one token fetch for the official account, then four calls with it.
    stats = await sim_call(http, wechat, "GET", "/_sim/stats", params={"summary": "1"})
    assert stats["token_fetches"].get(TEST_APPID) == 1, stats["token_fetches"]
    assert len(await sim_records(http, wechat, "/cgi-bin/stable_token")) == 1
    assert await sim_records(http, wechat, "/cgi-bin/token") == []
    tags = await sim_records(http, wechat, "/cgi-bin/tags/get")
    infos = await sim_records(http, wechat, "/cgi-bin/user/info")
    assert [r["errcode"] or 0 for r in tags] == [0, 0]  # one per server: neither had it cached
    assert sorted(r["openid"] for r in infos) == openids and {r["errcode"] or 0 for r in infos} == {0}


# -- 2. one reply -------------------------------------------------------------------------


async def test_wechats_tries_of_one_message_at_both_servers_are_handled_once(
    cluster, cluster_settings, db, redis, wechat, http
):
    """The confirmation of an appeal filed in chat, delivered by WeChat to server A and to
    server B, each time with its retries: the handler (its content check takes 1.2 s, the
    simulator gives up a try after 1 s) runs once, and every try that is answered gets the
    same reply."""
    await upsert_organisations(demo_organisations())
    openid = "oClusterRetry01"
    callbacks = [f"{server.url}/wechat/callback" for server in cluster.servers]

    async def push(content: str, url: str, **spec: Any) -> dict[str, Any]:
        return await sim_call(http, wechat, "POST", "/_sim/push", json={
            "openid": openid, "type": "text", "content": content, "mode": "safe", "callback_url": url, **spec})

    # The conversation before the confirmation, each step on the other server.
    for n, text in enumerate(["我要反映", "税费办理", DESCRIPTION, "跳过", "上海重试测试有限公司"]):
        result = await push(text, callbacks[n % 2])
        assert result["status"] == 200 and result["reply_error"] is None, result
    assert "请核对您的诉求" in result["reply"]["Content"]
    # The mini-program token the content check needs, fetched beforehand: the handler's only
    # slow part is then the check itself.
    official_account, miniprogram = wechat_clients(cluster_settings, redis)
    try:
        await miniprogram.tokens.get_token()
    finally:
        await official_account.aclose()
        await miniprogram.aclose()

    msg_id, create_time = 990_000_000_123, int(time.time())
    await sim_call(http, wechat, "POST", "/_sim/latency", json={"ms": 1200})
    await sim_call(http, wechat, "POST", "/_sim/config", json={"callback_timeout_s": 1.0})
    try:
        first, second = await asyncio.gather(*(
            push("确认", url, msg_id=msg_id, create_time=create_time, retries=True) for url in callbacks
        ))
    finally:
        await sim_call(http, wechat, "POST", "/_sim/latency", json={"ms": 0})
        await sim_call(http, wechat, "POST", "/_sim/config", json={"callback_timeout_s": 5.0})

    for result in (first, second):
        assert result["status"] == 200 and result["reply_error"] is None, result
        assert result["tries"] >= 2 and result["attempts"][0]["error"] == "timeout", result  # WeChat did retry
    assert first["reply"]["Content"] == second["reply"]["Content"]
    appeal = await Appeal.get()
    assert first["reply"]["Content"].startswith(f"您的诉求已提交，编号：{appeal.number}。")
    # Handled once: one inbound row, one passive reply, one appeal, one content check.
    assert await MessageLog.filter(direction="inbound", wechat_msg_id=str(msg_id)).count() == 1
    replies = await MessageLog.filter(kind="passive_reply", openid=openid)
    assert [r.payload.get("in_reply_to") for r in replies].count(str(msg_id)) == 1
    assert await Appeal.all().count() == 1 and await ContentCheck.all().count() == 1
    assert len(await sim_records(http, wechat, "/wxa/msg_sec_check")) == 1


# -- 3. one delivery ----------------------------------------------------------------------


async def test_a_campaign_sent_by_both_workers_reaches_every_follower_once(
    cluster, cluster_settings, db, redis, wechat, http, arq
):
    followers = [await make_follower(f"oClusterPush{n:05d}") for n in range(300)]
    campaign = await push_service.create_campaign(
        staff=None, title="两个进程一起推送", policy_id=(await make_policy()).id, audience={"kind": "everyone"},
        template_name="policy_push", settings=cluster_settings,
    )
    first, second = cluster.workers

    async def start() -> None:  # queues two runners: the first worker takes both
        await push_service.start_campaign(staff=None, campaign_id=campaign.id, settings=cluster_settings, redis=redis)

    async def one_more_runner() -> None:
        await enqueue_runners(redis, campaign_id=campaign.id, count=1)

    async with holding(cluster.workers, [(first, start, "push_run(", 2), (second, one_more_runner, "push_run(", 1)]):
        pass

    async def completed() -> bool:
        return (await PushCampaign.get(id=campaign.id)).status == CampaignStatus.completed

    await eventually(completed, "the campaign completed", cluster)

    # What WeChat delivered: one template message to each follower, and nothing else.
    stats = await sim_call(http, wechat, "GET", "/_sim/stats")
    counts = {openid: c["template"] for openid, c in stats["messages"].items() if c["template"]}
    assert counts == {f.openid: 1 for f in followers}
    # The ledger: every row sent once, with its own WeChat msgid, no row in doubt.
    rows = await PushDelivery.filter(campaign_id=campaign.id)
    assert len(rows) == 300 and {r.status for r in rows} == {DeliveryStatus.sent}
    assert {r.attempts for r in rows} == {1} and not any(r.uncertain for r in rows)
    assert len({r.wechat_msgid for r in rows}) == 300 and None not in {r.wechat_msgid for r in rows}
    sent_log = await MessageLog.filter(related_type="push_campaign", related_id=campaign.id).count()
    assert sent_log == 300
    # Both workers sent part of it (their slices' own counts; the campaign is completed by the
    # last row's outcome, a moment before the other runners log the end of their slices).
    def sent_by() -> list[int]:
        return [
            sum(e.get("sent", 0) for e in log_entries(worker, "push slice finished")
                if e.get("campaign_id") == campaign.id)
            for worker in cluster.workers
        ]

    async def all_logged() -> bool:
        return sum(sent_by()) >= 300

    await eventually(all_logged, "both workers logged their slices", cluster, timeout=30)
    assert all(sent_by()) and sum(sent_by()) == 300, sent_by()


# -- 4. one 督办 --------------------------------------------------------------------------


async def test_both_workers_supervising_at_once_send_one_notice_per_overdue_appeal_and_level(
    cluster, cluster_settings, db, redis, wechat, http, arq
):
    cast = await make_cast()
    department = await link_wechat(cast.keji)
    office = await link_wechat(cast.dispatcher)
    appeals = [await take_to("dispatched", cast, cluster_settings) for _ in range(10)]
    # Late enough for all three levels of the response deadline (1: the department, 2 and 3:
    # the coordination office, a city department's supervisor).
    late = max(level_times(a.respond_due_at, settings=cluster_settings)[3] for a in appeals) + timedelta(seconds=1)
    job_ids = [f"cluster:deadlines:{uuid.uuid4().hex}" for _ in cluster.workers]

    def enqueue(job_id: str) -> Callable[[], Awaitable[Any]]:
        return lambda: arq.enqueue_job("appeal_deadlines", now=late, _job_id=job_id)

    async with holding(cluster.workers, [
        (worker, enqueue(job_id), job_start(job_id, "appeal_deadlines"), 1)
        for worker, job_id in zip(cluster.workers, job_ids)
    ]):
        pass
    summaries = await results(arq, job_ids)

    by_appeal: dict[int, list[tuple[str, int]]] = {a.id: [] for a in appeals}
    rows = await AppealSupervision.all().order_by("level", "id")
    for row in rows:
        by_appeal[row.appeal_id].append((str(getattr(row.stage, "value", row.stage)), row.level))
    overdue = {appeal_id: [s for s in found if s[1] >= 1] for appeal_id, found in by_appeal.items()}
    assert overdue == {a.id: [("respond", 1), ("respond", 2), ("respond", 3)] for a in appeals}
    # Level 0 (a reminder) can only come from the real-time cron, and at most once.
    assert all(found.count(("respond", 0)) <= 1 for found in by_appeal.values())
    assert sum(s["supervisions"] for s in summaries) == 30  # the two runs shared the work
    # Each row has its notice (outbox) and its timeline entry, and nothing more.
    assert await OutboxMessage.filter(topic="appeal.supervision").count() == len(rows)
    assert await AppealEvent.filter(action="supervise").count() == len(rows)

    async def delivered() -> bool:  # a supervision row fans out to one notify_staff row per person
        topics = ["appeal.supervision", "appeal.notify_staff"]
        return not await OutboxMessage.filter(
            topic__in=topics, status__in=[OutboxStatus.pending, OutboxStatus.sending]).exists()

    await eventually(delivered, "the workers delivered every supervision notice", cluster)
    assert not await OutboxMessage.filter(status=OutboxStatus.failed).exists()
    messages = (await sim_call(http, wechat, "GET", "/_sim/messages", params={"kind": "template", "limit": "10000"}))[
        "messages"]
    overdue_notices = Counter(
        (m["openid"], m["payload"]["url"].rsplit("/", 1)[1])
        for m in messages
        if m["payload"].get("template_id") == template_id("appeal_overdue") and phrase(m, "phrase3") == "响应超期"
    )
    assert overdue_notices == Counter(
        {**{(department.openid, str(a.id)): 1 for a in appeals}, **{(office.openid, str(a.id)): 2 for a in appeals}}
    )


# -- 5. one ticket per place ---------------------------------------------------------------


async def test_sign_ups_through_both_servers_give_one_ticket_per_place(cluster, cluster_settings, db, redis, wechat, http):
    capacity, people = 5, 40
    activity = await make_activity(capacity=capacity)
    doors = [MiniProgram(http, server.url, wechat.url, cluster_settings.miniprogram_appid) for server in cluster.servers]
    tokens = await asyncio.gather(*(doors[n % 2].login() for n in range(people)))

    replies = await asyncio.gather(*(
        doors[n % 2].call("POST", f"/mp/v1/activities/{activity.id}/signups", token=token,
                          json_body={"contact_name": f"报名人{n}"}, headers={"Idempotency-Key": uuid.uuid4().hex})
        for n, (token, _) in enumerate(tokens)
    ))

    assert [r.status for r in replies] == [201] * people, {r.status: r.text for r in replies}
    statuses = Counter(r.json["signup"]["status"] for r in replies)
    assert statuses == {"confirmed": capacity, "waitlisted": people - capacity}
    rows = await ActivitySignup.filter(activity_id=activity.id)
    assert len(rows) == people and len({r.user_id for r in rows}) == people
    confirmed = [r for r in rows if r.status == SignupStatus.confirmed]
    waiting = [r for r in rows if r.status == SignupStatus.waitlisted]
    assert len(confirmed) == capacity and len({r.ticket_code for r in confirmed}) == capacity
    assert all(r.waitlist_position is None for r in confirmed)
    # The queue is dense and in arrival order (the order the sign-ups were recorded).
    order = await ActivityEvent.filter(activity_id=activity.id, action="signup").order_by("id").values_list(
        "signup_id", flat=True)
    assert len(order) == people
    position = {r.id: r.waitlist_position for r in waiting}
    assert [position[i] for i in order if i in position] == list(range(1, people - capacity + 1))
    # What each person was told is what the database holds.
    told = {r.json["signup"]["id"]: r.json["signup"]["status"] for r in replies}
    assert told == {r.id: str(getattr(r.status, "value", r.status)) for r in rows}
