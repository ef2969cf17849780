"""Demo appeals: a realistic, consistent history made through the service, seeded once, silent."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from app.appeal import demo
from app.appeal.calendar import SHANGHAI
from app.appeal.common_issues import common_issues
from app.appeal.demo import DEMO_KEY_PREFIX, DEMO_OUTBOX_RESULT, seed_demo_appeals
from app.appeal.measures import measures
from app.appeal.models import Appeal, AppealEvent, AppealStatus, CloseReason
from app.appeal.workflow import OPEN_STATUSES
from app.demo import DEMO_STAFF, demo_organisations
from app.enterprise.models import Enterprise
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.identity.demo import seed_demo_followers
from app.organisation.service import upsert_organisations
from app.outbox.models import OutboxMessage, OutboxStatus
from tests.admin.support import make_staff
from tests.identity.factories import make_credit_code

# Pudong and Xuhui first, so both district stories (their service centres, walk-in intake) occur.
DISTRICTS = [District.pudong] * 4 + [District.xuhui] * 2 + [District.minhang, District.jingan, District.jiading]


async def demo_world(enterprises: int = 60) -> None:
    """What app.demo.seed_demo loads before the appeals: organisations, staff, bound followers."""
    await upsert_organisations(demo_organisations())
    for member in DEMO_STAFF:
        await make_staff(member.username, member.role, member.organisation_code, display_name=member.display_name)
    for n in range(enterprises):
        await Enterprise.create(
            credit_code=make_credit_code(), name=f"上海演示{n:03d}科技有限公司", legal_representative="张三",
            district=DISTRICTS[n % len(DISTRICTS)], industry_section="C", industry_division="39",
            size_class=SizeClass.small, ownership=Ownership.private, registered_capital=Decimal("500.00"),
            established_on=date(2018, 1, 1), lifecycle_stage=LifecycleStage.growth, tags=[],
        )
    await seed_demo_followers(seed=2017, share=1.0)


async def test_demo_appeals_tell_realistic_stories_once_and_silently(db, settings, caplog):
    await demo_world()
    now = datetime.now(timezone.utc)
    assert await seed_demo_appeals(seed=2017, settings=settings, now=now) == 150
    assert [r.getMessage() for r in caplog.records if r.name == "qiyun.appeal.demo"] == []  # no story refused
    appeals = await Appeal.filter(idempotency_key__startswith=DEMO_KEY_PREFIX)
    assert len(appeals) == 150

    # Every state of the loop, every kind of ending, and every channel.
    statuses = {a.status for a in appeals}
    assert {AppealStatus.submitted, AppealStatus.accepted, AppealStatus.dispatched, AppealStatus.in_progress,
            AppealStatus.replied, AppealStatus.closed, AppealStatus.declined} <= statuses
    assert {CloseReason.resolved, CloseReason.unresolved, CloseReason.unrated, CloseReason.merged} <= {
        a.close_reason for a in appeals}
    assert len({a.satisfaction for a in appeals if a.satisfaction}) >= 4
    assert len({a.channel for a in appeals}) == 6
    assert len({a.category for a in appeals}) >= 12
    assert any(a.reopen_count for a in appeals)
    assert any(a.escalated_at for a in appeals)
    overdue = [a for a in appeals if a.status in (AppealStatus.dispatched, AppealStatus.in_progress)
               and a.resolve_due_at < now]
    assert overdue  # some are overdue right now

    # A history over the last 90 days, in order, with deadlines counted from the backdated dates.
    for appeal in appeals:
        assert now - timedelta(days=91) <= appeal.created_at <= now, appeal.number
        assert appeal.number == f"SQ{appeal.created_at.astimezone(SHANGHAI):%Y%m%d}{appeal.id:06d}"
        steps = [t for t in (appeal.created_at, appeal.accepted_at, appeal.dispatched_at, appeal.replied_at,
                             appeal.closed_at) if t]
        assert steps == sorted(steps) and steps[-1] <= now, appeal.number
        if appeal.dispatched_at:
            assert appeal.dispatched_at < appeal.respond_due_at < appeal.resolve_due_at
        events = await AppealEvent.filter(appeal_id=appeal.id).order_by("id").values_list("created_at", flat=True)
        assert events == sorted(events) and events[0] == appeal.created_at
    assert len(await AppealEvent.filter(appeal_id__in=[a.id for a in appeals])) > 600

    # The timeline's notices exist, but none is left to send.
    demo_ids = {a.id for a in appeals}
    rows = [row for row in await OutboxMessage.all() if row.payload.get("appeal_id") in demo_ids]
    assert rows and all(row.status == OutboxStatus.skipped and row.result == DEMO_OUTBOX_RESULT for row in rows)

    # Seeding again adds nothing.
    assert await seed_demo_appeals(seed=2017, settings=settings, now=now) == 0
    assert await Appeal.all().count() == 150


async def test_the_measures_for_the_demo_data_add_up(db, settings):
    await demo_world(enterprises=30)
    now = datetime.now(timezone.utc)
    await seed_demo_appeals(seed=7, settings=settings, now=now, count=90)
    today = now.astimezone(SHANGHAI).date()
    period = {"period_start": today - timedelta(days=90), "period_end": today}
    rows = await measures(**period, group_by="organisation", scope_staff=None, settings=settings, now=now)
    [total] = await measures(**period, group_by="total", scope_staff=None, settings=settings, now=now)
    assert total.received == 90 == sum(row.received for row in rows)
    for name in ("accepted", "declined", "dispatched", "replied", "closed", "merged", "overdue_now"):
        assert getattr(total, name) == sum(getattr(row, name) for row in rows), name
    for part in ("response", "on_time", "resolution", "satisfaction", "reopen"):
        rate = getattr(total, part)
        assert 0 < rate.denominator == sum(getattr(row, part).denominator for row in rows), part
        assert rate.numerator == sum(getattr(row, part).numerator for row in rows), part
        assert rate.numerator <= rate.denominator
    # The counts are the lists': closed (merged aside), declined, open and overdue.
    assert total.closed == await Appeal.filter(status=AppealStatus.closed).exclude(close_reason=CloseReason.merged).count()
    assert total.declined == await Appeal.filter(status=AppealStatus.declined).count()
    assert total.resolution.denominator == await Appeal.filter(
        close_reason__in=(CloseReason.resolved, CloseReason.unresolved)).count()
    open_now = await Appeal.filter(status__in=list(OPEN_STATUSES)).count()
    assert 0 < total.overdue_now <= open_now
    assert total.score is not None and 0 < total.score <= 100
    for by in ("district", "category"):
        grouped = await measures(**period, group_by=by, scope_staff=None, settings=settings, now=now)
        assert sum(row.received for row in grouped) == 90, by

    found = await common_issues(**period, scope_staff=None)
    words = {word for issue in found.issues for word in issue.hot_words}
    assert len(found.issues) >= 3
    assert {"租金补贴", "用电", "退税"} & words


async def test_no_demo_followers_means_no_demo_appeals(db, settings):
    await upsert_organisations(demo_organisations())
    assert await seed_demo_appeals(seed=2017, settings=settings) == 0
    assert await Appeal.all().count() == 0


async def test_every_seeding_hour_plans_a_merge_into_an_open_appeal(db):
    """The hour `qiyun dev` first runs shifts every submission time, and with it which stories are
    recent and open: whatever the hour, one later report is planned as merged into an appeal
    still being handled (seeding at 23:20 UTC once planned none)."""
    await demo_world()
    people = await demo._people()
    start = datetime(2026, 12, 3, tzinfo=timezone.utc)
    for half_hours in range(48):
        now = start + timedelta(minutes=30 * half_hours + 20)
        stories = demo._write_stories(random.Random(2017 * 104729 + 5), people, now=now, count=demo.DEMO_APPEAL_COUNT)
        assert any(s.fate == "merged" and demo._has_open_sibling(s, stories) for s in stories), now
