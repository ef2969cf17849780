"""The league table: two quarters of hand-built appeals with known scores, so every rank and
every change since the quarter before is worked out by hand.

Each appeal is either *good* (signed for and replied on time, closed resolved, 满意: every
rate 1, score 100) or *bad* (late on both, closed unresolved, 不满意: score 0), so an
organisation's score is 100 × its share of good appeals. Five appeals make it rankable.

    organisation        Q1 2025 (Jan–Mar)        Q2 2025 (Apr–Jun)        rank change
    市科委 (A)           5 bad   ->   0, 3rd     5 good  -> 100, 1st      +2, +100 points
    市税务局 (B)         5 good  -> 100, 1st     5 bad   ->   0, 4th      -3, -100 points
    浦东企服中心 (C)     3/5     ->  60, 2nd     3/5     ->  60, 3rd      -1, ±0
    市财政局 (D)         2 good  -> 100, unranked  4/5   ->  80, 2nd      None (unranked before), -20
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.appeal.measures import GroupBy, MeasureRow
from app.appeal.models import Appeal, AppealChannel, AppealStatus, CloseReason, Satisfaction
from app.demo import demo_organisations
from app.organisation.models import Organisation
from app.organisation.service import upsert_organisations
from app.reporting.league import compare, league_table
from app.reporting.refresh import refresh_summaries
from app.reporting.scope import CITY, scope_for_organisation

SH = ZoneInfo("Asia/Shanghai")
Q2 = {"period_start": date(2025, 4, 1), "period_end": date(2025, 6, 30)}
NOW = datetime(2025, 7, 10, 12, 0, tzinfo=SH)
_numbers = itertools.count(1)
KEJI, SHUIWU, CENTRE, CAIZHENG = "city.science-tech", "city.taxation", "district.310115.service-centre", "city.finance"


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=SH)


def due(month: int, day: int) -> datetime:
    return datetime.combine(date(2025, month, day), time.max, tzinfo=SH)


async def closed(orgs: dict[str, Organisation], lead: str, *, good: bool, month: int,
                 owner: str = "city.coordination") -> Appeal:
    """An appeal filed, handled and closed within `month`, on time and satisfied or late and not."""
    return await Appeal.create(
        number=f"SQ2025{month:02d}01{next(_numbers):06d}", channel=AppealChannel.miniprogram, category="technology",
        title="测试诉求", description="测试诉求的描述", status=AppealStatus.closed, district="310115",
        owner_organisation=orgs[owner], lead_organisation=orgs[lead],
        created_at=at(month, 3), accepted_at=at(month, 3, 10), accept_due_at=due(month, 4),
        dispatched_at=at(month, 3, 11), respond_due_at=due(month, 5),
        first_response_at=at(month, 4) if good else at(month, 10), resolve_due_at=due(month, 20),
        replied_at=at(month, 10) if good else at(month, 25), closed_at=at(month, 26),
        close_reason=CloseReason.resolved if good else CloseReason.unresolved, resolved=good,
        satisfaction=Satisfaction.satisfied if good else Satisfaction.dissatisfied,
    )


@pytest.fixture
async def orgs(db) -> dict[str, Organisation]:
    await upsert_organisations(demo_organisations())
    return {org.code: org for org in await Organisation.all()}


@pytest.fixture
async def two_quarters(orgs, settings) -> dict[str, Organisation]:
    plan = {  # organisation -> (Q1 good, Q1 bad), (Q2 good, Q2 bad)
        KEJI: ((0, 5), (5, 0)),
        SHUIWU: ((5, 0), (0, 5)),
        CENTRE: ((3, 2), (3, 2)),
        CAIZHENG: ((2, 0), (4, 1)),
    }
    for code, quarters in plan.items():
        owner = "district.310115" if code == CENTRE else "city.coordination"
        for month, (good, bad) in zip((2, 5), quarters, strict=True):
            for n in range(good + bad):
                await closed(orgs, code, good=n < good, month=month, owner=owner)
    await refresh_summaries(settings=settings, full=True)
    return orgs


def by_label(league) -> dict[str, object]:
    return {item.row.label: item for item in league.rows}


async def test_changes_since_the_quarter_before(two_quarters, settings):
    league = await league_table(**Q2, scope=CITY, settings=settings, now=NOW)
    assert (league.previous_start, league.previous_end) == (date(2025, 1, 1), date(2025, 3, 31))
    assert [item.row.label for item in league.rows] == ["市科委", "市财政局", "浦东新区企服中心", "市税务局"]
    assert [item.row.rank for item in league.rows] == [1, 2, 3, 4]
    rows = by_label(league)
    # The one that improved moves up (positive), the one that got worse moves down (negative).
    assert (rows["市科委"].rank_change, rows["市科委"].previous.rank) == (2, 3)
    assert rows["市科委"].score_change == pytest.approx(100.0) and rows["市科委"].moved == "up"
    assert rows["市税务局"].rank_change == -3 and rows["市税务局"].score_change == pytest.approx(-100.0)
    assert rows["市税务局"].moved == "down"
    # Same score, overtaken: the rank still falls, the score does not change.
    assert rows["浦东新区企服中心"].rank_change == -1 and rows["浦东新区企服中心"].score_change == pytest.approx(0.0)
    # Too few cases last quarter to be ranked: no rank change, but a score change.
    caizheng = rows["市财政局"]
    assert caizheng.row.ranked and not caizheng.previous.ranked
    assert caizheng.rank_change is None and caizheng.moved == ""
    assert caizheng.score_change == pytest.approx(-20.0)


async def test_the_first_quarter_has_nothing_before_it(two_quarters, settings):
    league = await league_table(period_start=date(2025, 1, 1), period_end=date(2025, 3, 31), scope=CITY,
                                settings=settings, now=NOW)
    assert (league.previous_start, league.previous_end) == (date(2024, 10, 1), date(2024, 12, 31))
    assert [item.row.label for item in league.rows] == ["市税务局", "浦东新区企服中心", "市科委", "市财政局"]
    assert all(item.previous is None and item.rank_change is None and item.score_change is None
               for item in league.rows)
    assert not league.rows[-1].row.ranked  # 市财政局: two cases, listed last, unranked


async def test_a_district_sees_only_its_organisations(two_quarters, settings):
    pudong = await scope_for_organisation(two_quarters["district.310115"].id)
    league = await league_table(**Q2, scope=pudong, settings=settings, now=NOW)
    [centre] = league.rows
    assert centre.row.label == "浦东新区企服中心" and centre.row.rank == 1
    assert centre.rank_change == 0 and centre.score_change == pytest.approx(0.0) and centre.moved == "same"


def row(key, score, rank=None, *, cases=5) -> MeasureRow:
    return MeasureRow(group_by=GroupBy.organisation, key=key, label=str(key), cases=cases, score=score,
                      rank=rank, ranked=rank is not None)


def test_compare_orders_ranked_first_and_pairs_by_key():
    current = [row(2, 90.0, 1), row(None, 50.0), row(3, 70.0), row(1, 80.0, 2)]
    previous = [row(1, 95.0, 1), row(2, 60.0, 2), row(None, 40.0), row(4, 10.0, 3)]
    paired = compare(current, previous)
    assert [item.row.key for item in paired] == [2, 1, None, 3]
    assert [item.rank_change for item in paired] == [1, -1, None, None]
    assert [item.score_change for item in paired][:3] == pytest.approx([30.0, -15.0, 10.0])
    assert paired[3].previous is None  # new this period
