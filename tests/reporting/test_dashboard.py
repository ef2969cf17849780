"""The dashboard's live parts and sections: open appeals by status, overdue and due soon as the
supervision tab counts them, what each role sees, and the period selector."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.appeal.deadlines import overdue_appeals
from app.appeal.errors import AppealError
from app.appeal.models import Appeal, AppealChannel, AppealStatus, CloseReason
from app.organisation.models import Organisation
from app.reporting import refresh
from app.reporting.dashboard import build_dashboard, dashboard_period, trend_bucket, visible_sections
from app.reporting.scope import scope_for_staff
from app.staff.models import Staff
from tests.admin.support import seed_accounts

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SH)  # a Wednesday
_serial = itertools.count(1)


async def open_appeal(orgs: dict[str, Organisation], *, lead: str | None, owner: str = "city.coordination",
                      **columns) -> Appeal:
    values = {
        "number": f"SQ2026D{next(_serial):07d}", "channel": AppealChannel.miniprogram, "category": "technology",
        "title": "看板测试诉求", "description": "看板测试", "status": AppealStatus.dispatched,
        "owner_organisation": orgs[owner], "lead_organisation": orgs[lead] if lead else None,
        "created_at": NOW - timedelta(days=10),
    }
    return await Appeal.create(**(values | columns))


@pytest.fixture
async def queue(db, settings) -> dict[str, Staff]:
    staff = await seed_accounts()
    orgs = {org.code: org for org in await Organisation.all()}
    keji, centre, xuhui = "city.science-tech", "district.310115.service-centre", "district.310104.service-centre"
    # keji: one not signed for past its respond deadline (overdue), one due in 5 hours (due soon).
    await open_appeal(orgs, lead=keji, dispatched_at=NOW - timedelta(days=3), respond_due_at=NOW - timedelta(hours=1),
                      resolve_due_at=NOW + timedelta(days=10))
    await open_appeal(orgs, lead=keji, status=AppealStatus.in_progress, first_response_at=NOW - timedelta(days=2),
                      respond_due_at=NOW - timedelta(days=1), resolve_due_at=NOW + timedelta(hours=5))
    # Pudong's intake: one waiting to be accepted, due in three days (neither).
    await open_appeal(orgs, lead=None, owner="district.310115", status=AppealStatus.submitted,
                      accept_due_at=NOW + timedelta(days=3))
    # Xuhui's centre: past its resolve deadline (overdue); Pudong's centre: replied (open, no staff deadline).
    await open_appeal(orgs, lead=xuhui, owner="district.310104", status=AppealStatus.in_progress,
                      first_response_at=NOW - timedelta(days=9), resolve_due_at=NOW - timedelta(days=2))
    await open_appeal(orgs, lead=centre, owner="district.310115", status=AppealStatus.replied,
                      replied_at=NOW - timedelta(days=1), resolve_due_at=NOW - timedelta(days=5))
    # Closed: not open, not overdue.
    await open_appeal(orgs, lead=keji, status=AppealStatus.closed, closed_at=NOW - timedelta(days=1),
                      close_reason=CloseReason.resolved, resolve_due_at=NOW - timedelta(days=3))
    await refresh.refresh_summaries(settings=settings, full=True, now=NOW)
    return staff


async def dashboard_of(staff: Staff, settings, start=date(2026, 10, 1), end=date(2026, 11, 18)):
    return await build_dashboard(staff=staff, scope=await scope_for_staff(staff), period_start=start,
                                 period_end=end, settings=settings, now=NOW)


def by_status(dashboard) -> dict[str, int]:
    return {row.status.value: row.count for row in dashboard.open_by_status if row.count}


async def test_each_scope_counts_its_own_open_overdue_and_due_soon_appeals(queue, settings):
    city = await dashboard_of(queue["admin"], settings)
    assert by_status(city) == {"submitted": 1, "dispatched": 1, "in_progress": 2, "replied": 1}
    assert (city.open_total, city.overdue, city.due_soon) == (5, 2, 1)
    assert city.scope_label == "全市"

    pudong = await dashboard_of(queue["pudong"], settings)
    assert by_status(pudong) == {"submitted": 1, "replied": 1}  # not Xuhui's, not the city departments'
    assert (pudong.overdue, pudong.due_soon) == (0, 0)
    assert pudong.scope_label == "浦东新区"

    keji = await dashboard_of(queue["keji"], settings)
    assert by_status(keji) == {"dispatched": 1, "in_progress": 1}
    assert (keji.overdue, keji.due_soon) == (1, 1)
    assert keji.sections == ("appeals",)


async def test_overdue_agrees_with_the_supervision_tab(queue, settings):
    for username in ("admin", "pudong", "xuhui", "keji"):
        dashboard = await dashboard_of(queue[username], settings)
        supervised = await overdue_appeals(staff=queue[username], settings=settings, now=NOW, min_level=1)
        assert dashboard.overdue == len(supervised), username
        soon = await overdue_appeals(staff=queue[username], settings=settings, now=NOW, min_level=0)
        assert dashboard.due_soon == len(soon) - len(supervised), username


async def test_the_trend_is_weekly_for_a_quarter_and_daily_for_a_month(queue, settings):
    quarter = await dashboard_of(queue["admin"], settings, date(2026, 10, 1), date(2026, 12, 31))
    assert quarter.trend_bucket == "week"
    assert [p.start for p in quarter.trend[:2]] == [date(2026, 10, 1), date(2026, 10, 5)]  # weeks from Monday, clipped
    assert sum(p.received for p in quarter.trend) == 6  # all created 8 November
    month = await dashboard_of(queue["admin"], settings, date(2026, 11, 1), date(2026, 11, 30))
    assert month.trend_bucket == "day" and len(month.trend) == 30
    assert [p.received for p in month.trend if p.received] == [6]
    assert month.figures.appeals.received == 6


async def test_sections_follow_the_role(queue):
    expected = {
        "admin": ("appeals", "pushes", "followers", "providers", "activities", "surveys"),
        "pinggu": ("appeals", "pushes", "followers", "providers", "activities", "surveys"),
        "fuwu": ("appeals", "pushes", "followers", "providers", "activities", "surveys"),
        "zhengce": ("pushes",),
        "pudong": ("appeals", "pushes", "followers", "activities", "surveys"),  # providers are the city's
        "keji": ("appeals",),
        "pudong-centre": ("appeals",),
    }
    for username, sections in expected.items():
        staff = queue[username]
        assert visible_sections(staff, await scope_for_staff(staff)) == sections, username


def test_the_period_selector():
    today = date(2026, 11, 18)
    assert dashboard_period("this_month", today=today) == (date(2026, 11, 1), today)
    assert dashboard_period("this_quarter", today=today) == (date(2026, 10, 1), today)
    assert dashboard_period("last_quarter", today=today) == (date(2026, 7, 1), date(2026, 9, 30))
    assert dashboard_period("last_30_days", today=today) == (date(2026, 10, 20), today)
    assert dashboard_period("custom", today=today, start=date(2026, 1, 5), end=date(2026, 2, 5)) == (
        date(2026, 1, 5), date(2026, 2, 5))
    for kwargs, message in (
        ({"start": None, "end": date(2026, 2, 5)}, "请填写开始日期和结束日期（格式 2024-01-31）"),
        ({"start": date(2026, 3, 1), "end": date(2026, 2, 5)}, "开始日期不能晚于结束日期"),
        ({"start": date(2024, 1, 1), "end": date(2026, 2, 5)}, "统计期不能超过一年"),
    ):
        with pytest.raises(AppealError) as raised:
            dashboard_period("custom", today=today, **kwargs)
        assert raised.value.message == message
    with pytest.raises(AppealError):
        dashboard_period("next_year", today=today)
    assert trend_bucket(date(2026, 1, 1), date(2026, 1, 31)) == "day"
    assert trend_bucket(date(2026, 1, 1), date(2026, 3, 31)) == "week"
    assert trend_bucket(date(2026, 1, 1), date(2026, 12, 31)) == "month"
