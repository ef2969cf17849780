"""The daily appeal summary gives exactly what app.appeal.measures computes from the appeals:
for several periods (one crossing National Day), every grouping and the city, a district and a
department scope — and an incremental refresh after changes gives what a full rebuild gives."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from tortoise import connections

from app.appeal.measures import GroupBy, measures
from app.appeal.models import Appeal, AppealEvent, AppealStatus, CloseReason
from app.demo import demo_organisations
from app.organisation.models import Organisation
from app.organisation.service import upsert_organisations
from app.reporting.appeal_summary import appeal_trend, buckets, summary_measures
from app.reporting.refresh import RECOMPUTE_DAYS, refresh_summaries
from app.reporting.scope import CITY, scope_for_organisation, scope_for_staff
from app.staff.models import StaffRole
from tests.reporting.appeal_rows import synthetic
from tests.admin.support import make_staff

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 10, 20, 4, 0, tzinfo=timezone.utc)
PERIODS = [
    (date(2026, 9, 1), date(2026, 9, 30)),      # a month
    (date(2026, 7, 1), date(2026, 9, 30)),      # a quarter
    (date(2026, 9, 25), date(2026, 10, 12)),    # across National Day (holidays and 调休 days)
    (date(2025, 10, 20), date(2026, 10, 20)),   # a year
]
COUNTED = ("received", "accepted", "declined", "dispatched", "replied", "closed", "merged", "overdue_now", "cases")
RATES = ("response", "on_time", "resolution", "satisfaction", "reopen")
AVERAGES = ("avg_accept_days", "avg_respond_days", "avg_close_days")
# Reopened appeals redispatched from one to another of these: the scopes tested below cover
# neither, so the viewer's scope (current lead) and the attribution (lead at reply) agree.
MOVERS = ("city.finance", "city.customs")


async def load(count: int = 400, seed: int = 8) -> dict[str, Organisation]:
    await upsert_organisations(demo_organisations())
    orgs = {org.code: org for org in await Organisation.all()}
    movers = [orgs[code].id for code in MOVERS]
    leads = [org.id for code, org in orgs.items() if code not in MOVERS]
    owners = [orgs["city.coordination"].id, orgs["district.310115"].id, orgs["district.310101"].id]
    rng = random.Random(seed)
    rows = [synthetic(index, rng, NOW, leads, owners[index % 3]) for index in range(count)]
    # No step after "now" (the generator may reply or respond in the future).
    steps = ("first_response_at", "replied_at", "closed_at")
    rows = [row for row in rows if all(row[0].get(name) is None or row[0][name] <= NOW for name in steps)]
    await Appeal.bulk_create([Appeal(**values) for values, _ in rows])
    ids = dict(await Appeal.filter(number__startswith="BENCH").values_list("number", "id"))
    await AppealEvent.bulk_create([
        AppealEvent(appeal_id=ids[values["number"]], **event) for values, events in rows for event in events
    ])
    # A few reopened and redispatched: replied by one organisation, now with another.
    for index in range(12):
        created = NOW - timedelta(days=rng.uniform(20, 200))
        dispatched = created + timedelta(hours=5)
        replied = dispatched + timedelta(days=rng.uniform(2, 15))
        redispatched = replied + timedelta(days=3)
        second_reply = index % 2 == 0
        appeal = await Appeal.create(
            number=f"MOVE{index:04d}", channel="miniprogram", category="tax", title="重办", description="重办诉求",
            district="310115", owner_organisation_id=orgs["city.coordination"].id, created_at=created,
            accepted_at=created + timedelta(hours=1), accept_due_at=created + timedelta(days=1),
            dispatched_at=redispatched, respond_due_at=redispatched + timedelta(days=2),
            resolve_due_at=redispatched + timedelta(days=15), first_response_at=redispatched + timedelta(hours=3),
            replied_at=redispatched + timedelta(days=4) if second_reply else None,
            status=AppealStatus.replied if second_reply else AppealStatus.in_progress, reopen_count=1,
            lead_organisation_id=movers[1],
        )
        await AppealEvent.create(appeal=appeal, action="dispatch", organisation_id=movers[0], created_at=dispatched)
        await AppealEvent.create(appeal=appeal, action="reply", organisation_id=movers[0], created_at=replied)
        await AppealEvent.create(appeal=appeal, action="redispatch", organisation_id=movers[1], created_at=redispatched)
        if second_reply:
            await AppealEvent.create(appeal=appeal, action="reply", organisation_id=movers[1],
                                     created_at=redispatched + timedelta(days=4))
    # What the workflow leaves: updated_at at the latest step (auto_now stamped the clock).
    await connections.get("default").execute_query(
        "UPDATE appeal SET updated_at = COALESCE(closed_at, replied_at, first_response_at, dispatched_at, "
        "accepted_at, created_at)"
    )
    return orgs


def empty(row) -> bool:
    return not any(getattr(row, name) for name in COUNTED) and not any(
        getattr(row, name).denominator for name in RATES)


def assert_same(live, summary, context) -> None:
    # measures also lists a key whose only appeal in the period is one whose resolve deadline
    # falls in it after an on-time reply before it (counted nowhere): an all-zero row the
    # summary has no trace of. Every other row must be there, in the same order.
    live = [row for row in live if not (empty(row) and row.key not in {x.key for x in summary})]
    assert [row.key for row in summary] == [row.key for row in live], context
    for expected, got in zip(live, summary, strict=True):
        where = (context, expected.label)
        assert got.label == expected.label, where
        for name in COUNTED:
            assert getattr(got, name) == getattr(expected, name), (where, name)
        for name in RATES:
            assert getattr(got, name) == getattr(expected, name), (where, name)
        for name in AVERAGES:
            if getattr(expected, name) is None:
                assert getattr(got, name) is None, (where, name)
            else:
                assert getattr(got, name) == pytest.approx(getattr(expected, name), abs=1e-6), (where, name)
        assert (got.score is None) == (expected.score is None), where
        if expected.score is not None:
            assert got.score == pytest.approx(expected.score, abs=1e-9), where
        assert (got.rank, got.ranked) == (expected.rank, expected.ranked), where


async def compare(settings, now, scope, staff, periods=PERIODS, groups=tuple(GroupBy)) -> None:
    for start, end in periods:
        for group_by in groups:
            live = await measures(period_start=start, period_end=end, group_by=group_by, scope_staff=staff,
                                  settings=settings, now=now)
            table = await summary_measures(period_start=start, period_end=end, group_by=group_by, scope=scope,
                                           settings=settings, now=now)
            assert_same(live, table.rows, (scope.label, start, end, group_by))
            [total] = await measures(period_start=start, period_end=end, group_by="total", scope_staff=staff,
                                     settings=settings, now=now)
            assert_same([total], [table.total], (scope.label, start, end, "total of", group_by))


async def test_the_summary_equals_the_live_measures_for_every_period_grouping_and_scope(settings):
    orgs = await load()
    result = await refresh_summaries(settings=settings, full=True, now=NOW)
    assert result.full and result.appeal_rows > 0
    totals = (await summary_measures(period_start=PERIODS[3][0], period_end=PERIODS[3][1], group_by=GroupBy.total,
                                     scope=CITY, settings=settings, now=NOW)).total
    assert totals.received > 300 and totals.closed > 50 and totals.on_time.denominator > 50  # data of every kind
    await compare(settings, NOW, CITY, None)

    pudong_admin = await make_staff("pudong", StaffRole.district_admin, "district.310115")
    pudong = await scope_for_organisation(orgs["district.310115"].id)
    assert pudong == await scope_for_staff(pudong_admin)
    await compare(settings, NOW, pudong, pudong_admin, periods=PERIODS[1:3])

    keji_handler = await make_staff("keji", StaffRole.department_handler, "city.science-tech")
    keji = await scope_for_organisation(orgs["city.science-tech"].id)
    await compare(settings, NOW, keji, keji_handler, periods=PERIODS[:2], groups=(GroupBy.total, GroupBy.category))


async def summary_rows() -> list[tuple]:
    _, rows = await connections.get("default").execute_query(
        "SELECT * FROM report_appeal_daily ORDER BY grouping, day, organisation_id, owner_organisation_id, district, category"
    )
    return [tuple(round(v, 6) if isinstance(v, float) else v for k, v in dict(r).items() if k != "id") for r in rows]


async def test_an_incremental_refresh_after_changes_equals_a_full_rebuild(settings):
    orgs = await load(count=250, seed=9)
    # Dispatched long ago, its respond deadline still ahead: when it passes, a row 90 days back changes.
    old = NOW - timedelta(days=90)
    waiting = await Appeal.create(
        number="SLOW0001", channel="miniprogram", category="tax", title="迟迟未签收", description="迟迟未签收",
        district="310101", owner_organisation_id=orgs["city.coordination"].id, created_at=old,
        accepted_at=old + timedelta(hours=1), accept_due_at=old + timedelta(days=1), dispatched_at=old + timedelta(hours=2),
        respond_due_at=NOW + timedelta(days=1), resolve_due_at=NOW + timedelta(days=2), status=AppealStatus.dispatched,
        lead_organisation_id=orgs["city.taxation"].id,
    )
    await connections.get("default").execute_query(
        f"UPDATE appeal SET updated_at = created_at WHERE id = {waiting.id}")
    first = await refresh_summaries(settings=settings, full=True, now=NOW)
    assert first.full

    later = NOW + timedelta(days=3)
    changed = []
    # Close one that was replied; reopen an old closed one and redispatch it to another organisation.
    replied = await Appeal.filter(status=AppealStatus.replied, created_at__lt=NOW - timedelta(days=70)).first()
    replied.status, replied.closed_at, replied.close_reason = AppealStatus.closed, later - timedelta(hours=5), CloseReason.resolved
    await replied.save()
    changed.append(replied.id)
    closed = await Appeal.filter(status=AppealStatus.closed, created_at__lt=NOW - timedelta(days=200)).first()
    closed.status, closed.closed_at, closed.close_reason, closed.satisfaction = AppealStatus.in_progress, None, None, None
    closed.reopen_count += 1
    closed.lead_organisation_id = orgs["city.commerce"].id
    closed.dispatched_at = later - timedelta(days=1)
    closed.replied_at = later - timedelta(hours=2)
    closed.status = AppealStatus.replied
    await closed.save()
    await AppealEvent.create(appeal=closed, action="redispatch", organisation_id=orgs["city.commerce"].id,
                             created_at=later - timedelta(days=1))
    await AppealEvent.create(appeal=closed, action="reply", organisation_id=orgs["city.commerce"].id,
                             created_at=later - timedelta(hours=2))
    changed.append(closed.id)
    # A new appeal, submitted now.
    fresh = await Appeal.create(
        number="NEW00001", channel="miniprogram", category="policy", title="新诉求", description="新诉求",
        district="310115", owner_organisation_id=orgs["city.coordination"].id, created_at=later - timedelta(hours=1),
        accept_due_at=later + timedelta(days=1), status=AppealStatus.submitted,
    )
    changed.append(fresh.id)
    ids = ", ".join(map(str, changed))
    await connections.get("default").execute_query(
        f"UPDATE appeal SET updated_at = '{later - timedelta(minutes=30)}' WHERE id IN ({ids})"
        if connections.get("default").capabilities.dialect == "sqlite" else
        f"UPDATE appeal SET updated_at = '{(later - timedelta(minutes=30)).isoformat()}' WHERE id IN ({ids})"
    )

    incremental = await refresh_summaries(settings=settings, now=later)
    assert not incremental.full
    # The reopened appeal was submitted 200+ days ago: its rows from then on were recomputed.
    assert incremental.appeal_since <= (closed.created_at.astimezone(timezone(timedelta(hours=8)))).date()
    after_incremental = await summary_rows()
    await compare(settings, later, CITY, None, periods=[(date(2025, 10, 1), date(2026, 10, 31))])

    rebuilt = await refresh_summaries(settings=settings, full=True, now=later)
    assert rebuilt.full
    assert after_incremental == await summary_rows()

    # Nothing changed: the next refresh recomputes only the fixed window and changes nothing.
    again = await refresh_summaries(settings=settings, now=later + timedelta(minutes=5))
    assert again.appeal_since == date(2026, 10, 23) - timedelta(days=RECOMPUTE_DAYS)
    assert after_incremental == await summary_rows()


async def test_the_respond_deadline_passing_changes_an_old_row(settings):
    orgs = await load(count=20, seed=3)
    old = NOW - timedelta(days=90)
    waiting = await Appeal.create(
        number="SLOW0002", channel="miniprogram", category="tax", title="迟迟未签收", description="迟迟未签收",
        district="310101", owner_organisation_id=orgs["city.coordination"].id, created_at=old,
        accepted_at=old + timedelta(hours=1), accept_due_at=old + timedelta(days=1), dispatched_at=old + timedelta(hours=2),
        respond_due_at=NOW + timedelta(days=1), resolve_due_at=NOW + timedelta(days=200),
        status=AppealStatus.dispatched, lead_organisation_id=orgs["city.taxation"].id,
    )
    await connections.get("default").execute_query(f"UPDATE appeal SET updated_at = created_at WHERE id = {waiting.id}")
    await refresh_summaries(settings=settings, full=True, now=NOW)
    day = (old + timedelta(hours=2)).astimezone(timezone(timedelta(hours=8))).date()
    kwargs = {"period_start": day, "period_end": day, "group_by": GroupBy.organisation, "scope": CITY,
              "settings": settings}
    before = {row.key: row for row in (await summary_measures(**kwargs, now=NOW)).rows}
    assert before[orgs["city.taxation"].id].response.denominator == 0
    later = NOW + timedelta(days=2)
    result = await refresh_summaries(settings=settings, now=later)
    assert result.appeal_since <= day
    after = {row.key: row for row in (await summary_measures(**kwargs, now=later)).rows}
    assert after[orgs["city.taxation"].id].response == type(after[orgs["city.taxation"].id].response)(0, 1)


async def test_trend_buckets_are_iso_weeks_and_months_clipped_and_zero_filled(settings):
    await load(count=120, seed=5)
    await refresh_summaries(settings=settings, full=True, now=NOW)
    assert buckets(date(2026, 9, 25), date(2026, 10, 12), "week") == [
        (date(2026, 9, 25), date(2026, 9, 27)), (date(2026, 9, 28), date(2026, 10, 4)),
        (date(2026, 10, 5), date(2026, 10, 11)), (date(2026, 10, 12), date(2026, 10, 12)),
    ]
    assert buckets(date(2026, 1, 15), date(2026, 3, 2), "month") == [
        (date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 2, 28)), (date(2026, 3, 1), date(2026, 3, 2)),
    ]
    start, end = date(2026, 4, 1), date(2026, 9, 30)
    for bucket in ("day", "week", "month"):
        points = await appeal_trend(period_start=start, period_end=end, scope=CITY, bucket=bucket)
        assert points[0].start == start and points[-1].end == end
        assert all(b.start == a.end + timedelta(days=1) for a, b in zip(points, points[1:]))
        [total] = await measures(period_start=start, period_end=end, group_by="total", scope_staff=None,
                                 settings=settings, now=NOW)
        for name in ("received", "accepted", "replied", "closed"):
            assert sum(getattr(p, name) for p in points) == getattr(total, name), (bucket, name)
    days = await appeal_trend(period_start=date(2020, 1, 1), period_end=date(2020, 1, 3), scope=CITY, bucket="day")
    assert [(p.start, p.received) for p in days] == [(date(2020, 1, d), 0) for d in (1, 2, 3)]
