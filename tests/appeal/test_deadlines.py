"""Deadlines and supervision (督办): a reminder before a deadline, 督办 at it, rising to the
supervisor and then the coordination office as working days pass; each notice exactly once
however many workers run the minute cron; the enterprise reminded to rate a reply, then the
appeal closed as 未评价. Time is passed in (`now=`), never slept through."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from arq.connections import ArqRedis
from arq.jobs import Job
from arq.worker import Worker

from app.appeal import service
from app.appeal.calendar import SHANGHAI, WorkingCalendar
from app.appeal.deadlines import (
    deadline_badge,
    level_times,
    overdue_appeals,
    run_supervision,
)
from app.appeal.jobs import appeal_deadlines
from app.appeal.models import (
    Appeal,
    AppealEvent,
    AppealStatus,
    AppealSupervision,
    CloseReason,
)
from app.jobs.worker import worker_settings
from app.outbox.delivery import deliver_pending
from app.outbox.models import OutboxMessage, OutboxStatus
from app.staff.models import StaffRole
from tests.admin.support import make_staff
from tests.appeal.factories import file_appeal, make_cast, take_to
from tests.appeal.notify_support import configured, delivered, link_wechat, phrase

pytestmark = pytest.mark.usefixtures("db")

SECOND = timedelta(seconds=1)


async def supervisions(appeal: Appeal) -> list[tuple[str, int, int, int | None]]:
    rows = await AppealSupervision.filter(appeal_id=appeal.id).order_by("id").values_list(
        "stage", "level", "round", "organisation_id"
    )
    return [(str(getattr(s, "value", s)), lv, r, org) for s, lv, r, org in rows]


async def supervise_events(appeal: Appeal) -> int:
    return await AppealEvent.filter(appeal_id=appeal.id, action="supervise").count()


async def test_an_appeal_past_its_response_deadline_is_supervised_once_by_two_concurrent_runs(
    settings, resources, wechat
):
    notify = configured(resources)
    cast = await make_cast()
    keji = await link_wechat(cast.keji)
    appeal = await take_to("dispatched", cast, settings)
    late = appeal.respond_due_at + timedelta(minutes=1)

    first, second = await asyncio.gather(run_supervision(settings=settings, now=late),
                                         run_supervision(settings=settings, now=late))
    again = await run_supervision(settings=settings, now=late + timedelta(minutes=1))

    assert first.supervisions + second.supervisions == 1 and again.queued == 0
    assert await supervisions(appeal) == [("respond", 1, 1, cast.orgs["city.science-tech"].id)]
    assert await OutboxMessage.filter(topic="appeal.supervision").count() == 1
    assert await supervise_events(appeal) == 1
    await deliver_pending(notify)
    [notice] = await delivered(wechat, openid=keji.openid, template="appeal_overdue")
    assert phrase(notice, "phrase3") == "响应超期"
    assert notice["payload"]["url"].endswith(f"/admin/appeals/{appeal.id}")


async def test_two_workers_on_one_redis_send_one_supervision_notice(settings, resources, redis, wechat):
    notify = configured(resources)
    cast = await make_cast()
    keji = await link_wechat(cast.keji)
    appeal = await take_to("dispatched", cast, settings)
    late = appeal.respond_due_at + timedelta(minutes=1)
    arq = ArqRedis(connection_pool=redis.connection_pool)
    for n in range(2):  # as if two ticks' jobs were picked up at once
        await arq.enqueue_job("appeal_deadlines", now=late, _job_id=f"test:deadlines:{n}")

    options = {**worker_settings(notify.settings, open_database=False), "burst": True, "handle_signals": False,
               "poll_delay": 0.05}
    workers = [Worker(**options), Worker(**options)]
    try:
        await asyncio.gather(*(worker.main() for worker in workers))
    finally:
        for worker in workers:
            await worker.close()

    results = [await Job(f"test:deadlines:{n}", arq).result_info() for n in range(2)]
    assert all(r is not None and r.success for r in results)  # both ticks ran, on either worker
    assert sum(r.result["supervisions"] for r in results) == 1
    assert await supervisions(appeal) == [("respond", 1, 1, cast.orgs["city.science-tech"].id)]
    assert await supervise_events(appeal) == 1
    await deliver_pending(notify)  # whatever the workers' delivery job left
    assert len(await delivered(wechat, openid=keji.openid, template="appeal_overdue")) == 1


async def test_supervision_rises_with_working_days_to_the_supervisor_and_the_coordination_office(
    settings, resources, wechat
):
    notify = configured(resources)
    cast = await make_cast()
    keji = await link_wechat(cast.keji)
    office_staff = await link_wechat(cast.dispatcher)
    appeal = await take_to("dispatched", cast, settings)
    times = level_times(appeal.respond_due_at, settings=settings)
    department, office = cast.orgs["city.science-tech"].id, cast.orgs["city.coordination"].id

    assert (await run_supervision(settings=settings, now=times[0] - SECOND)).queued == 0
    for level in range(4):
        stats = await run_supervision(settings=settings, now=times[level] + SECOND)
        assert stats.by_level == {f"respond:{level}": 1}
        await deliver_pending(notify)

    assert await supervisions(appeal) == [
        ("respond", 0, 1, department), ("respond", 1, 1, department),
        ("respond", 2, 1, office),  # a city department's supervisor is the coordination office
        ("respond", 3, 1, office),
    ]
    assert times[2] - times[1] >= timedelta(days=settings.appeal_escalation_working_days)
    told = [phrase(m, "phrase3") for m in await delivered(wechat, openid=keji.openid, template="appeal_overdue")]
    assert told == ["响应将到期", "响应超期"]
    told = [phrase(m, "phrase3") for m in await delivered(wechat, openid=office_staff.openid, template="appeal_overdue")]
    assert told == ["响应超期"] * 2


async def test_a_district_departments_supervisor_is_its_district_government(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    centre = await make_staff("centre", StaffRole.department_handler, "district.310115.service-centre")
    await link_wechat(centre)
    district_admin = await link_wechat(cast.pudong)
    appeal = await take_to("accepted", cast, settings)
    appeal = await service.dispatch(appeal_id=appeal.id, staff=cast.dispatcher, settings=settings,
                                    lead_organisation_id=cast.orgs["district.310115.service-centre"].id)
    times = level_times(appeal.respond_due_at, settings=settings)

    # No worker ran for days: the levels passed meanwhile are sent now (but no late "reminder").
    stats = await run_supervision(settings=settings, now=times[2] + SECOND)
    await deliver_pending(notify)

    assert stats.by_level == {"respond:1": 1, "respond:2": 1}
    assert [(lv, org) for _, lv, _, org in await supervisions(appeal)] == [
        (1, cast.orgs["district.310115.service-centre"].id), (2, cast.orgs["district.310115"].id)
    ]
    assert len(await delivered(wechat, openid=district_admin.openid, template="appeal_overdue")) == 1


async def test_the_acceptance_deadline_is_the_dispatching_organisations(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    office_staff = await link_wechat(cast.dispatcher)
    appeal = await file_appeal(cast, settings)

    await run_supervision(settings=settings, now=appeal.accept_due_at + SECOND)
    await deliver_pending(notify)

    assert await supervisions(appeal) == [("accept", 1, 0, cast.orgs["city.coordination"].id)]
    [notice] = await delivered(wechat, openid=office_staff.openid, template="appeal_overdue")
    assert phrase(notice, "phrase3") == "受理超期"


async def test_a_deadline_met_before_the_notice_goes_out_is_not_told(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    await link_wechat(cast.keji)
    appeal = await take_to("dispatched", cast, settings)
    await run_supervision(settings=settings, now=appeal.respond_due_at + SECOND)
    await service.start(appeal_id=appeal.id, staff=cast.keji)  # signed for it meanwhile

    await deliver_pending(notify)

    row = await OutboxMessage.get(topic="appeal.supervision")
    assert (row.status, row.result) == (OutboxStatus.skipped, "skipped:stage_done")
    assert await delivered(wechat, template="appeal_overdue") == []


async def test_the_enterprise_is_reminded_to_rate_a_reply_and_then_it_closes_unrated(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    appeal = await take_to("replied", cast, settings)
    ctx = {"resources": notify}
    remind_at = appeal.replied_at + timedelta(days=settings.appeal_confirm_reminder_days)
    follower_openid = (await cast.user.followers.all().first()).openid
    await deliver_pending(notify)  # the earlier steps' notices
    told_before = len(await delivered(wechat, kind="template", openid=follower_openid))

    assert (await appeal_deadlines(ctx, now=remind_at - SECOND))["confirm_reminders"] == 0
    assert (await appeal_deadlines(ctx, now=remind_at + SECOND))["confirm_reminders"] == 1
    assert (await appeal_deadlines(ctx, now=remind_at + timedelta(hours=1)))["confirm_reminders"] == 0
    await deliver_pending(notify)
    summary = await appeal_deadlines(ctx, now=appeal.confirm_due_at + SECOND)
    await deliver_pending(notify)

    closed = await Appeal.get(id=appeal.id)
    assert summary["closed_unrated"] == 1
    assert (closed.status, closed.close_reason) == (AppealStatus.closed, CloseReason.unrated)
    told = [(phrase(m, "phrase3"), phrase(m, "thing4"))
            for m in (await delivered(wechat, kind="template", openid=follower_openid))[told_before:]]
    due = appeal.confirm_due_at.astimezone(SHANGHAI)
    assert told == [("待评价", f"请于{due.year}年{due.month}月{due.day}日前确认并评价"),
                    ("已办结", "逾期未评价，已自动办结")]
    assert await supervisions(appeal) == [("confirm", 0, 1, None)]


async def test_a_reopened_appeal_is_supervised_again_in_a_new_round(settings):
    cast = await make_cast()
    appeal = await take_to("dispatched", cast, settings)
    await run_supervision(settings=settings, now=appeal.respond_due_at + SECOND)
    await service.start(appeal_id=appeal.id, staff=cast.keji)
    await service.reply(appeal_id=appeal.id, staff=cast.keji, settings=settings, text="认定结果将于月底公示。")
    await service.confirm(appeal_id=appeal.id, user=cast.user, resolved=False, satisfaction="dissatisfied",
                          comment="认定结果至今没有公示", settings=settings)
    again = await service.dispatch(appeal_id=appeal.id, staff=cast.dispatcher, settings=settings,
                                   lead_organisation_id=cast.orgs["city.science-tech"].id)

    await run_supervision(settings=settings, now=again.respond_due_at + SECOND)

    assert again.reopen_count == 1
    assert [(stage, lv, r) for stage, lv, r, _ in await supervisions(appeal)] == [("respond", 1, 1), ("respond", 1, 2)]


async def test_staff_see_overdue_appeals_in_their_scope_with_stage_lateness_and_level(settings):
    cast = await make_cast()
    mine = await take_to("dispatched", cast, settings)
    theirs = await take_to("accepted", cast, settings)
    theirs = await service.dispatch(appeal_id=theirs.id, staff=cast.dispatcher, settings=settings,
                                    lead_organisation_id=cast.orgs["city.taxation"].id)
    calendar = WorkingCalendar.from_settings(settings)
    now = calendar.add_working_days(mine.respond_due_at, 3) - timedelta(hours=12)  # mid-way through the 3rd day

    keji_view = await overdue_appeals(staff=cast.keji, settings=settings, now=now)
    city_view = await overdue_appeals(staff=cast.dispatcher, settings=settings, now=now)

    assert [row.appeal.id for row in keji_view] == [mine.id]
    [row] = keji_view
    assert (row.stage_label, row.state, row.text) == ("响应", "overdue", "已超期2个工作日")
    assert row.level == 2 and row.level_label == "二级督办" and row.supervised_level is None
    assert {row.appeal.id for row in city_view} == {mine.id, theirs.id}
    assert await overdue_appeals(staff=cast.keji, settings=settings, now=mine.respond_due_at - timedelta(hours=2)) == []
    [soon] = await overdue_appeals(staff=cast.keji, settings=settings, min_level=0,
                                   now=mine.respond_due_at - timedelta(hours=2))
    assert (soon.state, soon.text, soon.level) == ("due_soon", "剩余2小时", 0)


async def test_a_queue_badge_says_how_late_or_how_long_is_left(settings):
    cast = await make_cast()
    appeal = await take_to("dispatched", cast, settings)
    due = appeal.respond_due_at
    calendar = WorkingCalendar.from_settings(settings)

    assert deadline_badge(appeal, due - timedelta(days=3, hours=1), settings=settings) == ("ok", "剩余3天")
    assert deadline_badge(appeal, due - timedelta(hours=5), settings=settings) == ("due_soon", "剩余5小时")
    next_day_3am = calendar.add_working_days(due, 1) - timedelta(hours=21)
    assert deadline_badge(appeal, next_day_3am, settings=settings) == ("overdue", "已超期3小时")
    later = calendar.add_working_days(due, 3) - timedelta(hours=12)
    assert deadline_badge(appeal, later, settings=settings) == ("overdue", "已超期2个工作日")
    closed = await service.decline(appeal_id=(await file_appeal(cast, settings)).id, staff=cast.dispatcher,
                                   reason="重复提交")
    assert deadline_badge(closed, due + timedelta(days=30), settings=settings) == ("ok", "")


def test_the_deadline_cron_runs_every_minute_once_per_tick(settings):
    crons = {c.name: c for c in worker_settings(settings)["cron_jobs"]}
    job = crons["cron:appeal_deadlines"]
    assert job.unique is True and job.second == {40} and job.minute is None


async def test_a_redispatched_appeal_supervises_its_new_organisation(settings):
    cast = await make_cast()
    appeal = await take_to("dispatched", cast, settings)
    await run_supervision(settings=settings, now=appeal.respond_due_at + timedelta(minutes=1))
    moved = await service.redispatch(appeal_id=appeal.id, staff=cast.dispatcher, reason="属于税务事项",
                                     lead_organisation_id=cast.orgs["city.taxation"].id, settings=settings)

    await run_supervision(settings=settings, now=moved.respond_due_at + timedelta(minutes=1))

    taxation, science = cast.orgs["city.taxation"].id, cast.orgs["city.science-tech"].id
    level_one = [row for row in await supervisions(appeal) if row[1] == 1 and row[0] == "respond"]
    assert level_one == [("respond", 1, 1, science), ("respond", 1, 2, taxation)]
