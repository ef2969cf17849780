"""The appeal measures on a hand-built month with known outcomes.

The period is March 2025 (1 March is a Saturday; no public holiday that month) and "now" is
10 April 2025, 12:00 Shanghai time. Every expected number is worked out by hand in the
comments next to the appeals that produce it.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.appeal.calendar import WorkingCalendar
from app.appeal.measures import (
    DRILL_DOWN,
    GroupBy,
    attributed_organisations,
    measure_appeals,
    measure_weights,
    measures,
    period_for,
)
from app.appeal.errors import AppealError
from app.appeal.models import Appeal, AppealChannel, AppealEvent, AppealStatus, CloseReason, Satisfaction
from app.demo import demo_organisations
from app.organisation.models import Organisation
from app.organisation.service import upsert_organisations
from app.staff.models import StaffRole
from tests.admin.support import make_staff

SH = ZoneInfo("Asia/Shanghai")
MARCH = {"period_start": date(2025, 3, 1), "period_end": date(2025, 3, 31)}
NOW = datetime(2025, 4, 10, 12, 0, tzinfo=SH)
_numbers = itertools.count(1)


def at(day: int, hour: float = 9, month: int = 3) -> datetime:
    """`day` March 2025 (or another month) at `hour` o'clock, Shanghai time."""
    return datetime(2025, month, day, int(hour), int(round(hour % 1 * 60)), tzinfo=SH)


def end_of(day: int, month: int = 3) -> datetime:
    """A deadline: the end of that day (as the working calendar sets them)."""
    return datetime.combine(date(2025, month, day), time.max, tzinfo=SH)


async def make_appeal(orgs: dict[str, Organisation], *, lead: str | None, owner: str = "city.coordination",
                      replied_by: str | None = None, **columns) -> Appeal:
    """An appeal row with exactly the given timestamps and outcome (the measures read columns only)."""
    values = {
        "number": f"SQ20250301{next(_numbers):06d}",
        "channel": AppealChannel.miniprogram,
        "category": "technology",
        "title": "测试诉求",
        "description": "测试诉求的描述",
        "status": AppealStatus.dispatched,
        "owner_organisation": orgs[owner],
        "lead_organisation": orgs[lead] if lead else None,
    }
    values.update(columns)
    appeal = await Appeal.create(**values)
    if replied_by:  # the timeline: dispatched to `replied_by`, which replied
        await AppealEvent.create(appeal=appeal, action="dispatch", organisation=orgs[replied_by],
                                 from_status=AppealStatus.accepted, to_status=AppealStatus.dispatched)
        await AppealEvent.create(appeal=appeal, action="reply", organisation=orgs[replied_by],
                                 from_status=AppealStatus.in_progress, to_status=AppealStatus.replied, text="答复")
    return appeal


@pytest.fixture
async def orgs(db) -> dict[str, Organisation]:
    await upsert_organisations(demo_organisations())
    return {org.code: org for org in await Organisation.all()}


@pytest.fixture
async def month(orgs) -> dict[str, Appeal]:
    """March 2025 for 市科委 (A), 市税务局 (B), 浦东企服中心 (C) and two unassigned appeals (U)."""
    keji, shuiwu, centre = "city.science-tech", "city.taxation", "district.310115.service-centre"
    made = {}
    # A1: accepted in 1 h; responded and replied on time; closed resolved, 非常满意.
    made["A1"] = await make_appeal(
        orgs, lead=keji, replied_by=keji, district="310104", status=AppealStatus.closed,
        created_at=at(3, 9), accepted_at=at(3, 10), accept_due_at=end_of(4), dispatched_at=at(3, 11),
        respond_due_at=end_of(5), first_response_at=at(4, 9), resolve_due_at=end_of(24), replied_at=at(10, 10),
        closed_at=at(12, 10), close_reason=CloseReason.resolved, resolved=True, satisfaction=Satisfaction.very_satisfied)
    # A2: accepted in 6 h; responded late (10th > due 7th) and replied late (28th > due 26th);
    # reopened once, then closed unresolved, 不满意.
    made["A2"] = await make_appeal(
        orgs, lead=keji, replied_by=keji, district="310104", status=AppealStatus.closed, reopen_count=1,
        created_at=at(4, 9), accepted_at=at(4, 15), accept_due_at=end_of(5), dispatched_at=at(5, 9),
        respond_due_at=end_of(7), first_response_at=at(10, 9), resolve_due_at=end_of(26), replied_at=at(28, 10),
        closed_at=at(31, 12), close_reason=CloseReason.unresolved, resolved=False, satisfaction=Satisfaction.dissatisfied)
    # A3: accepted in 2 h, dispatched, never answered: respond deadline (12th) and resolve
    # deadline (31st) both passed -> late on both, and overdue now.
    made["A3"] = await make_appeal(
        orgs, lead=keji, district="310115", status=AppealStatus.dispatched,
        created_at=at(10, 9), accepted_at=at(10, 11), accept_due_at=end_of(11), dispatched_at=at(10, 12),
        respond_due_at=end_of(12), resolve_due_at=end_of(31))
    # A4: accepted in 1 h, signed for on time; its resolve deadline (10 April, end of day) has
    # not passed "now": not counted for on-time yet, not overdue.
    made["A4"] = await make_appeal(
        orgs, lead=keji, district="310115", status=AppealStatus.in_progress,
        created_at=at(20, 9), accepted_at=at(20, 10), accept_due_at=end_of(21), dispatched_at=at(20, 11),
        respond_due_at=end_of(24), first_response_at=at(21, 9), resolve_due_at=end_of(10, month=4))
    # A5: filed on Sunday 10:00, accepted Monday 08:00 (8 working hours: Sunday does not count);
    # on time throughout; closed as 未评价 (no verdict: out of the resolution and satisfaction rates).
    made["A5"] = await make_appeal(
        orgs, lead=keji, replied_by=keji, district="310115", status=AppealStatus.closed,
        created_at=at(2, 10), accepted_at=at(3, 8), accept_due_at=end_of(3), dispatched_at=at(3, 9),
        respond_due_at=end_of(5), first_response_at=at(3, 14), resolve_due_at=end_of(24), replied_at=at(5, 10),
        closed_at=at(13, 10), close_reason=CloseReason.unrated)
    # B1, B2: on time, resolved, 满意 and 基本满意.
    made["B1"] = await make_appeal(
        orgs, lead=shuiwu, replied_by=shuiwu, category="tax", district="310101", status=AppealStatus.closed,
        created_at=at(5, 9), accepted_at=at(5, 10), accept_due_at=end_of(6), dispatched_at=at(5, 11),
        respond_due_at=end_of(7), first_response_at=at(6, 9), resolve_due_at=end_of(26), replied_at=at(20, 9),
        closed_at=at(22, 9), close_reason=CloseReason.resolved, resolved=True, satisfaction=Satisfaction.satisfied)
    made["B2"] = await make_appeal(
        orgs, lead=shuiwu, replied_by=shuiwu, category="tax", district="310101", status=AppealStatus.closed,
        created_at=at(6, 9), accepted_at=at(6, 10), accept_due_at=end_of(7), dispatched_at=at(6, 11),
        respond_due_at=end_of(10), first_response_at=at(7, 9), resolve_due_at=end_of(27), replied_at=at(25, 9),
        closed_at=at(27, 9), close_reason=CloseReason.resolved, resolved=True,
        satisfaction=Satisfaction.basically_satisfied)
    # B3: filed and dispatched in February (not received or dispatched in March), replied on
    # time on 12 March (so on-time counts it in March), resolved but 非常不满意.
    made["B3"] = await make_appeal(
        orgs, lead=shuiwu, replied_by=shuiwu, category="tax", district="310101", status=AppealStatus.closed,
        created_at=at(20, 9, month=2), accepted_at=at(20, 10, month=2), accept_due_at=end_of(21, month=2),
        dispatched_at=at(21, 9, month=2), respond_due_at=end_of(25, month=2), first_response_at=at(21, 10, month=2),
        resolve_due_at=end_of(14), replied_at=at(12, 9), closed_at=at(15, 9), close_reason=CloseReason.resolved,
        resolved=True, satisfaction=Satisfaction.very_dissatisfied)
    # C1: Pudong's own intake, handled by its service centre: on time, resolved, 满意.
    made["C1"] = await make_appeal(
        orgs, lead=centre, owner="district.310115", replied_by=centre, category="policy", district="310115",
        status=AppealStatus.closed, created_at=at(11, 9), accepted_at=at(11, 10), accept_due_at=end_of(12),
        dispatched_at=at(11, 11), respond_due_at=end_of(13), first_response_at=at(11, 15),
        resolve_due_at=end_of(18), replied_at=at(14, 9), closed_at=at(17, 9), close_reason=CloseReason.resolved,
        resolved=True, satisfaction=Satisfaction.satisfied)
    # U1: filed on the 28th, still waiting for acceptance past its deadline (31st): overdue now.
    made["U1"] = await make_appeal(orgs, lead=None, category="other", status=AppealStatus.submitted,
                                   created_at=at(28, 9), accept_due_at=end_of(31))
    # U2: declined the day it was filed.
    made["U2"] = await make_appeal(orgs, lead=None, category="other", status=AppealStatus.declined,
                                   created_at=at(15, 9), closed_at=at(15, 11), decline_reason="不属于受理范围")
    return made


def by_key(rows):
    return {row.key: row for row in rows}


async def test_rates_counts_and_score_per_organisation(orgs, month, settings):
    rows = by_key(await measures(**MARCH, group_by="organisation", scope_staff=None, settings=settings, now=NOW))
    keji = rows[orgs["city.science-tech"].id]
    assert keji.label == "市科委"
    # Received A1–A5 (all filed in March); accepted 5; dispatched 5; closed A1, A2, A5.
    assert (keji.received, keji.accepted, keji.dispatched, keji.closed, keji.declined) == (5, 5, 5, 3, 0)
    # 响应率: counted A1 A2 A3 A4 A5 (A3's deadline passed unanswered); on time A1 A4 A5 -> 3/5.
    assert (keji.response.numerator, keji.response.denominator, keji.response_rate) == (3, 5, 0.6)
    # 按期办结率: decided in March A1 (reply 10th), A2 (deadline 26th), A3 (deadline 31st), A5
    # (reply 5th); A4's deadline is still ahead. On time A1 A5 -> 2/4.
    assert (keji.on_time.numerator, keji.on_time.denominator) == (2, 4)
    # 解决率: closed with a verdict A1 (resolved), A2 (unresolved); A5 is 未评价 -> 1/2.
    assert (keji.resolution.numerator, keji.resolution.denominator) == (1, 2)
    # 满意率: A1 非常满意, A2 不满意 -> 1/2.
    assert (keji.satisfaction.numerator, keji.satisfaction.denominator) == (1, 2)
    # 重办率: closed A1 A2 A5, reopened A2 -> 1/3.
    assert (keji.reopen.numerator, keji.reopen.denominator) == (1, 3)
    assert keji.overdue_now == 1  # A3
    # Score = 100 × (0.2×0.6 + 0.3×0.5 + 0.25×0.5 + 0.25×0.5) = 12 + 15 + 12.5 + 12.5 = 52.
    assert keji.score == pytest.approx(52.0, abs=1e-9)
    assert keji.cases == 5 and keji.ranked and keji.rank == 1

    shuiwu = rows[orgs["city.taxation"].id]
    # Received B1 B2 (B3 was filed in February); B3 counts where it was decided or closed.
    assert (shuiwu.received, shuiwu.dispatched, shuiwu.closed) == (2, 2, 3)
    assert (shuiwu.response.numerator, shuiwu.response.denominator) == (2, 2)
    assert (shuiwu.on_time.numerator, shuiwu.on_time.denominator) == (3, 3)
    assert (shuiwu.resolution.numerator, shuiwu.resolution.denominator) == (3, 3)
    # 满意 + 基本满意 count as satisfied, 非常不满意 does not -> 2/3.
    assert (shuiwu.satisfaction.numerator, shuiwu.satisfaction.denominator) == (2, 3)
    # Score = 100 × (0.2 + 0.3 + 0.25 + 0.25 × 2/3) = 91.666…
    assert shuiwu.score == pytest.approx(100 * (0.75 + 0.25 * 2 / 3), abs=1e-9)
    # Only 3 cases (< the default minimum of 5): listed, not ranked, even with the best score.
    assert shuiwu.cases == 3 and not shuiwu.ranked and shuiwu.rank is None

    unassigned = rows[None]
    assert unassigned.label == "未分派"
    assert (unassigned.received, unassigned.declined, unassigned.overdue_now) == (2, 1, 1)
    assert unassigned.response_rate is None and unassigned.score is None and unassigned.rank is None


async def test_the_league_table_order_and_a_lower_minimum(orgs, month, settings):
    lower = settings.model_copy(update={"appeal_measure_min_cases": 1})
    rows = await measures(**MARCH, group_by=GroupBy.organisation, scope_staff=None, settings=lower, now=NOW)
    ranked = [(row.label, row.rank) for row in rows if row.ranked]
    # 市税务局 91.67, 浦东新区企服中心 100 (all four rates 1/1), 市科委 52.
    assert ranked == [("浦东新区企服中心", 1), ("市税务局", 2), ("市科委", 3)]
    assert rows[-1].key is None  # 未分派 last, unranked


async def test_configured_weights_change_the_score(orgs, month, settings):
    heavy = settings.model_copy(update={"appeal_measure_weights": {"satisfaction_rate": 0.75}})
    rows = by_key(await measures(**MARCH, group_by="organisation", scope_staff=None, settings=heavy, now=NOW))
    # 市科委: (0.2×0.6 + 0.3×0.5 + 0.25×0.5 + 0.75×0.5) / (0.2 + 0.3 + 0.25 + 0.75) × 100 = 0.77 / 1.5 × 100.
    assert rows[orgs["city.science-tech"].id].score == pytest.approx(0.77 / 1.5 * 100, abs=1e-9)
    with pytest.raises(ValueError, match="unknown measure 'speed'"):
        measure_weights(settings.model_copy(update={"appeal_measure_weights": {"speed": 1}}))


async def test_average_working_days(orgs, month, settings):
    rows = by_key(await measures(**MARCH, group_by="organisation", scope_staff=None, settings=settings, now=NOW))
    keji = rows[orgs["city.science-tech"].id]
    # To accept: A1 1 h, A2 6 h, A3 2 h, A4 1 h, A5 8 h (Sunday does not count) = 18 h / 5 = 0.15 day.
    assert keji.avg_accept_days == pytest.approx(18 / 24 / 5, abs=1e-6)
    # The same as averaging the calendar's own working_days_between over the appeals.
    calendar = WorkingCalendar.from_settings(settings)
    responded = [month[name] for name in ("A1", "A2", "A4", "A5")]
    expected = sum(calendar.working_days_between(a.dispatched_at, a.first_response_at) for a in responded) / 4
    assert keji.avg_respond_days == pytest.approx(expected, abs=1e-6)
    closed = [month[name] for name in ("A1", "A2", "A5")]
    expected = sum(calendar.working_days_between(a.created_at, a.closed_at) for a in closed) / 3
    assert keji.avg_close_days == pytest.approx(expected, abs=1e-6)
    # A2: Tuesday 4th 09:00 -> Monday 31st 12:00 is 19 working days and 3 hours.
    assert calendar.working_days_between(month["A2"].created_at, month["A2"].closed_at) == pytest.approx(19 + 3 / 24)


async def test_empty_denominators_give_none(orgs, month, settings):
    [total] = await measures(period_start=date(2025, 1, 1), period_end=date(2025, 1, 31), group_by="total",
                             scope_staff=None, settings=settings, now=NOW)
    assert total.label == "合计" and total.received == 0
    assert total.overdue_now == 2  # a snapshot of now, whatever the period (A3, U1)
    for value in (total.response_rate, total.on_time_rate, total.resolution_rate, total.satisfaction_rate,
                  total.reopen_rate, total.avg_accept_days, total.score):
        assert value is None


async def test_totals_add_up_over_the_organisations(orgs, month, settings):
    rows = await measures(**MARCH, group_by="organisation", scope_staff=None, settings=settings, now=NOW)
    [total] = await measures(**MARCH, group_by="total", scope_staff=None, settings=settings, now=NOW)
    for name in ("received", "accepted", "declined", "dispatched", "closed", "overdue_now"):
        assert getattr(total, name) == sum(getattr(row, name) for row in rows), name
    # cases: the largest denominator, of the total's own sums (not a sum of the rows' largest).
    assert total.cases == max(total.response.denominator, total.on_time.denominator, total.resolution.denominator)
    assert total.cases <= sum(row.cases for row in rows)
    for part in ("response", "on_time", "resolution", "satisfaction"):
        assert getattr(total, part).numerator == sum(getattr(row, part).numerator for row in rows), part
        assert getattr(total, part).denominator == sum(getattr(row, part).denominator for row in rows), part
    # All 11 appeals but B3 (filed in February) were received in March.
    assert total.received == 10 == await Appeal.filter(created_at__gte=at(1, 0), created_at__lt=at(1, 0, month=4)).count()


async def test_group_by_district_and_category(orgs, month, settings):
    districts = by_key(await measures(**MARCH, group_by="district", scope_staff=None, settings=settings, now=NOW))
    pudong = districts["310115"]
    # A3 A4 A5 C1: 响应 A3 late, A4 A5 C1 on time -> 3/4; 按期 A3 late, A5 C1 on time -> 2/3.
    assert pudong.label == "浦东新区" and pudong.received == 4
    assert (pudong.response.numerator, pudong.response.denominator) == (3, 4)
    assert (pudong.on_time.numerator, pudong.on_time.denominator) == (2, 3)
    assert (pudong.resolution.numerator, pudong.resolution.denominator) == (1, 1)  # C1 (A5 unrated)
    assert districts[None].label == "未注明区"
    assert [row.key for row in districts.values()][:3] == ["310101", "310104", "310115"]  # GB/T 2260 order

    categories = by_key(await measures(**MARCH, group_by="category", scope_staff=None, settings=settings, now=NOW))
    tax = categories["tax"]
    assert tax.label == "税费办理"
    assert (tax.received, tax.closed) == (2, 3)
    assert (tax.satisfaction.numerator, tax.satisfaction.denominator) == (2, 3)
    assert set(categories) == {"technology", "tax", "policy", "other"}


async def test_measures_are_scoped_to_what_the_viewer_may_see(orgs, month, settings):
    pudong = await make_staff("pudong", StaffRole.district_admin, "district.310115")
    rows = await measures(**MARCH, group_by="organisation", scope_staff=pudong, settings=settings, now=NOW)
    # Pudong's own intake only: not 市科委's A3–A5, although they concern Pudong enterprises.
    assert [(row.label, row.received) for row in rows] == [("浦东新区企服中心", 1)]
    [total] = await measures(**MARCH, group_by="total", scope_staff=pudong, settings=settings, now=NOW)
    assert (total.received, total.satisfaction.numerator, total.satisfaction.denominator) == (1, 1, 1)

    keji = await make_staff("keji", StaffRole.department_handler, "city.science-tech")
    [total] = await measures(**MARCH, group_by="total", scope_staff=keji, settings=settings, now=NOW)
    assert (total.received, total.response.numerator, total.response.denominator) == (5, 3, 5)

    editor = await make_staff("zhengce", StaffRole.policy_editor, "city.coordination")
    # A city-wide role without any appeal or report permission sees nothing.
    [total] = await measures(**MARCH, group_by="total", scope_staff=editor, settings=settings, now=NOW)
    assert total.received == 0


def number_of(row, measure: str) -> int:
    if measure.endswith(("_num", "_den")):
        rate = getattr(row, measure[:-4])
        return rate.numerator if measure.endswith("_num") else rate.denominator
    return getattr(row, measure)


async def test_every_number_lists_exactly_the_appeals_it_counts(orgs, month, settings):
    keji = orgs["city.science-tech"].id
    total, appeals = await measure_appeals(**MARCH, group_by="organisation", key=keji, measure="response_num",
                                           scope_staff=None, now=NOW)
    assert total == 3 and [a.id for a in appeals] == [month["A4"].id, month["A1"].id, month["A5"].id]  # newest first
    assert appeals[0].lead_organisation.short_name == "市科委"
    for group_by in ("organisation", "category", "total"):
        for row in await measures(**MARCH, group_by=group_by, scope_staff=None, settings=settings, now=NOW):
            for measure in DRILL_DOWN:
                count, _ = await measure_appeals(**MARCH, group_by=group_by, key=row.key, measure=measure,
                                                 scope_staff=None, now=NOW, limit=1)
                assert count == number_of(row, measure), (group_by, row.label, measure)
    with pytest.raises(AppealError):
        await measure_appeals(**MARCH, group_by="district", key="x' OR 1=1 --", measure="received",
                              scope_staff=None)


async def test_attribution_is_the_lead_at_the_latest_reply(orgs, settings):
    # Replied by 市科委, then reopened and redispatched to 市税务局, which has not replied yet:
    # still 市科委's case; once 市税务局 replies, it is theirs.
    appeal = await make_appeal(
        orgs, lead="city.taxation", replied_by="city.science-tech", status=AppealStatus.in_progress, reopen_count=1,
        created_at=at(3), dispatched_at=at(5), respond_due_at=end_of(7), first_response_at=at(6))
    await AppealEvent.create(appeal=appeal, action="dispatch", organisation=orgs["city.taxation"])

    async def attributed() -> int:
        [row] = await measures(**MARCH, group_by="organisation", scope_staff=None, settings=settings, now=NOW)
        assert (await attributed_organisations([appeal.id]))[appeal.id] == row.key  # the same rule in Python
        return row.key

    assert await attributed() == orgs["city.science-tech"].id
    # The reply is recorded with the replying person's own organisation (a district administrator
    # answering for its service centre): the lead named by the dispatch still counts.
    await AppealEvent.create(appeal=appeal, action="reply", organisation=orgs["district.310115"], text="再次答复")
    assert await attributed() == orgs["city.taxation"].id


def test_periods():
    today = date(2025, 5, 20)
    assert period_for("this_month", today=today) == (date(2025, 5, 1), today)
    assert period_for("last_month", today=today) == (date(2025, 4, 1), date(2025, 4, 30))
    assert period_for("this_quarter", today=today) == (date(2025, 4, 1), today)
    assert period_for("last_month", today=date(2025, 1, 15)) == (date(2024, 12, 1), date(2024, 12, 31))
    assert period_for("custom", today=today, start=date(2025, 1, 1), end=date(2025, 1, 2)) == (
        date(2025, 1, 1), date(2025, 1, 2))
    with pytest.raises(AppealError, match="开始日期不能晚于结束日期"):
        period_for("custom", today=today, start=date(2025, 2, 1), end=date(2025, 1, 1))
