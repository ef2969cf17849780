"""Benchmark: 1,000 people signing up at once for an activity with 200 places.

    python benchmarks/activity_signups.py                      # a temporary SQLite file + embedded Redis
    python benchmarks/activity_signups.py --people 5000 --capacity 500 --concurrency 100
    python benchmarks/activity_signups.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    DATABASE_URL=postgres://… REDIS_URL=redis://127.0.0.1:6379/5 python benchmarks/activity_signups.py

Creates and publishes one activity through `app.activity.service` (as staff do in the admin),
makes --people followers, then has all of them call `service.sign_up` -- the function every
transport (mini-program, chat, H5, admin) calls -- at the same moment, at most --concurrency
in flight at a time. Each sign-up is the whole production step: the row lock on the activity,
the conditional update that takes a place or the next waiting position, the sign-up row, its
event, its outbox notice, and after commit the outbox wake-up through Redis (the server's own
hook, installed here as the server's start-up does).

Prints sign-ups per second and the latency of one sign-up (p50 / p95 / max), then checks the
outcome against the rule the lock exists for: exactly --capacity confirmed, the rest waitlisted
with positions 1..N-capacity without gaps or repeats, the activity's counters equal to the rows,
one event and one queued notice per sign-up. Exits with status 1 if any check fails.

With a PostgreSQL URL it creates a scratch database on that server and drops it afterwards
(the schema comes from the project's migrations, as in production); SQLite always runs on a
temporary file (a sqlite:// DATABASE_URL is ignored). The PostgreSQL connection pool is
the one the URL asks for (asyncpg's default is 5 connections; add e.g. `?maxsize=20`).
Without --redis-url an embedded redis-server runs in the temporary directory; with one, the
wake-up jobs it enqueues (`arq:job:outbox:deliver:*`) are removed again at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import db  # noqa: E402
from app.activity import service  # noqa: E402
from app.activity.models import Activity, ActivityEvent, ActivityKind, ActivitySignup, SignupChannel, SignupStatus  # noqa: E402
from app.demo import demo_organisations  # noqa: E402
from app.identity.models import Follower, WeChatUser  # noqa: E402
from app.organisation.models import Organisation  # noqa: E402
from app.organisation.service import upsert_organisations  # noqa: E402
from app.outbox.models import OutboxMessage  # noqa: E402
from app.staff.models import Staff, StaffRole  # noqa: E402
from benchmarks.support import database_version, drop_database, machine_line, percentile, scratch_database  # noqa: E402


async def prepare(people: int, capacity: int) -> tuple[Activity, list[WeChatUser]]:
    """A published activity with `capacity` places and `people` followers who will sign up."""
    await upsert_organisations(demo_organisations())
    office = await Organisation.get(code="city.coordination")
    staff = await Staff.create(username="bench-activities", display_name="基准测试", password_hash="!", role=StaffRole.service_manager,
                               organisation=office)
    starts = service.now_local().replace(second=0, microsecond=0) + timedelta(days=7)
    activity = await service.create_activity(staff=staff, data=service.ActivityInput(
        title="专精特新企业培育政策宣讲会（基准测试）", kind=ActivityKind.briefing, starts_at=starts,
        ends_at=starts + timedelta(hours=2), place="市中小企业服务中心三楼报告厅", capacity=capacity,
        organiser_name="市中小企业服务中心",
    ))
    activity = await service.transition(staff=staff, activity_id=activity.id, action="publish")
    await WeChatUser.bulk_create([WeChatUser(phone=f"139{n:08d}") for n in range(people)], batch_size=500)
    users = list(await WeChatUser.all().order_by("id"))
    await Follower.bulk_create([Follower(openid=f"o-bench-signup-{user.id:07d}", user_id=user.id) for user in users],
                               batch_size=500)
    return activity, users


async def storm(activity: Activity, users: list[WeChatUser], concurrency: int) -> tuple[float, list[float], int, list[str]]:
    """Everyone signs up at once (at most `concurrency` in flight): wall time, latencies, created, errors."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    errors: list[str] = []
    created = 0

    async def one(user: WeChatUser) -> None:
        nonlocal created
        async with gate:
            started = time.perf_counter()
            try:
                result = await service.sign_up(activity_id=activity.id, user=user, channel=SignupChannel.miniprogram,
                                               contact_name="张三")
            except Exception as exc:  # reported, and fails the run
                errors.append(f"{type(exc).__name__}: {exc}")
                return
            latencies.append(time.perf_counter() - started)
            created += result.created

    started = time.perf_counter()
    await asyncio.gather(*(one(user) for user in users))
    return time.perf_counter() - started, latencies, created, errors


async def verify(activity_id: int, people: int, capacity: int) -> list[str]:
    """What must hold after the storm; the failures (empty when all is well)."""
    confirmed = min(people, capacity)
    waiting = people - confirmed
    failures = []
    rows = await ActivitySignup.filter(activity_id=activity_id).values_list("status", "waitlist_position")
    statuses = [SignupStatus(status) for status, _ in rows]
    positions = sorted(position for status, position in rows if SignupStatus(status) is SignupStatus.waitlisted)
    activity = await Activity.get(id=activity_id)
    checks = [
        (f"{people:,} sign-up rows", len(rows) == people, len(rows)),
        (f"{confirmed:,} confirmed", statuses.count(SignupStatus.confirmed) == confirmed, statuses.count(SignupStatus.confirmed)),
        (f"{waiting:,} waitlisted", statuses.count(SignupStatus.waitlisted) == waiting, statuses.count(SignupStatus.waitlisted)),
        (f"waiting positions exactly 1..{waiting:,}", positions == list(range(1, waiting + 1)),
         f"{len(set(positions))} distinct, {min(positions, default=0)}..{max(positions, default=0)}"),
        ("no position on a confirmed sign-up",
         all(position is None for status, position in rows if SignupStatus(status) is SignupStatus.confirmed), ""),
        ("activity counters = rows", (activity.confirmed_count, activity.waitlist_count) == (confirmed, waiting),
         f"confirmed_count {activity.confirmed_count}, waitlist_count {activity.waitlist_count}"),
        (f"{people:,} signup events", await ActivityEvent.filter(activity_id=activity_id, action="signup").count() == people,
         await ActivityEvent.filter(activity_id=activity_id, action="signup").count()),
        (f"{people:,} queued notices", await OutboxMessage.filter(topic="activity.notify").count() == people,
         await OutboxMessage.filter(topic="activity.notify").count()),
    ]
    for label, ok, seen in checks:
        print(f"  {'ok ' if ok else 'FAIL'} {label}" + ("" if ok else f"  (found: {seen})"))
        if not ok:
            failures.append(label)
    return failures


async def run(args: argparse.Namespace) -> int:
    from app.outbox.jobs import notify_hook
    from app.outbox.wake import set_wake_hook
    from app.redis_client import EmbeddedRedis, connect

    scratch = Path(tempfile.mkdtemp(prefix="qiyun-bench-signups-"))
    database = None
    if args.database_url and db.backend_name(args.database_url) == "postgres":
        url = database = await scratch_database(args.database_url)
    else:  # never an existing SQLite file: a development database must not get 1,000 strangers
        url = f"sqlite://{scratch / 'bench.sqlite3'}"
    embedded = None
    redis_url = args.redis_url
    if not redis_url:
        embedded = EmbeddedRedis(scratch / "redis")
        redis_url = embedded.ensure_started()
    redis = connect(redis_url)
    failures: list[str] = []
    version = ""
    try:
        await db.apply_migrations(url)
        await db.open_database(url)
        set_wake_hook(notify_hook(redis))  # what the server's start-up listener does
        try:
            version = await database_version(url)
            activity, users = await prepare(args.people, args.capacity)
            print(f"backend {db.backend_name(url)}: {args.people:,} people, {args.capacity:,} places, "
                  f"concurrency {args.concurrency}")
            elapsed, latencies, created, errors = await storm(activity, users, args.concurrency)
            if errors:
                print(f"  {len(errors)} sign-ups failed, e.g. {errors[0]}")
                failures.append("errors")
            if created != args.people:
                print(f"  only {created:,} of {args.people:,} sign-ups were new")
                failures.append("created")
            if latencies:
                p95 = percentile(latencies, 0.95)
                print(f"  {len(latencies):,} sign-ups in {elapsed:.2f}s: {len(latencies) / elapsed:,.0f} sign-ups/s")
                print(f"  latency p50 {statistics.median(latencies) * 1000:.1f} ms   p95 {p95 * 1000:.1f} ms   "
                      f"max {max(latencies) * 1000:.1f} ms")
            failures += await verify(activity.id, args.people, args.capacity)
        finally:
            set_wake_hook(None)
            await db.close_database()
    finally:
        if args.redis_url:
            async for key in redis.scan_iter(match="arq:job:outbox:deliver:*"):
                await redis.zrem("arq:queue", key.removeprefix(b"arq:job:") if isinstance(key, bytes) else key.removeprefix("arq:job:"))
                await redis.delete(key)
        await redis.aclose()
        if embedded is not None:
            embedded.stop()
        if database:
            await drop_database(database)
        for leftover in sorted(scratch.rglob("*"), reverse=True):
            leftover.rmdir() if leftover.is_dir() else leftover.unlink()
        scratch.rmdir()
    print(machine_line(version))
    print("all checks passed" if not failures else f"FAILED: {', '.join(failures)}")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000, help="people signing up at once (N)")
    parser.add_argument("--capacity", type=int, default=200, help="the activity's places (C)")
    parser.add_argument("--concurrency", type=int, default=50, help="sign-ups in flight at a time")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="postgres://… server to run on, a scratch database is made there (default: $DATABASE_URL "
                             "if it is PostgreSQL, else a temporary SQLite file)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"),
                        help="default: $REDIS_URL, else an embedded redis-server in the temporary directory")
    args = parser.parse_args()
    if args.people < 1 or args.capacity < 1 or args.concurrency < 1:
        parser.error("--people, --capacity and --concurrency must be positive")
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
