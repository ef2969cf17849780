"""共性问题: the period's appeals grouped by what they are about, with hot words and who handles them."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.appeal.common_issues import cached_common_issues, common_issues
from app.appeal.models import Appeal, AppealChannel, AppealStatus
from app.demo import demo_organisations
from app.organisation.models import Organisation
from app.organisation.service import upsert_organisations
from app.reporting.scope import CITY
from app.staff.models import StaffRole
from tests.admin.support import make_staff

SH = ZoneInfo("Asia/Shanghai")
MARCH = {"period_start": date(2025, 3, 1), "period_end": date(2025, 3, 31)}
_numbers = itertools.count(1)

RENT = [
    ("租金补贴迟迟未到账", "我公司2024年度租金补贴申请已于三个月前通过区里审核，至今未拨付到账，请帮忙催办。"),
    ("租金补贴拨付进度", "园区入驻企业租金补贴公示结束两个多月了，资金还没有到账，想了解拨付时间。"),
    ("办公用房租金补贴未发放", "申请的办公用房租金补贴一直没有发放，材料齐全且已审核通过，希望尽快拨付补贴资金。"),
    ("租金补贴长时间未兑现", "租金补贴审核通过后长时间未兑现，企业资金紧张，请协调财政部门加快租金补贴拨付。"),
]
POWER = [
    ("用电增容迟迟未批复", "新生产线投产需要用电增容，已向供电公司申请两个月，用电增容方案仍未批复。"),
    ("用电增容进度缓慢", "用电增容报装进度缓慢，新增设备无法通电，影响订单交付，请协调供电公司加快用电增容。"),
    ("申请用电增容", "工厂申请用电增容至2000千伏安，供电公司的供电方案迟迟不出，希望协调加快。"),
]
OTHER = [
    ("商标被抢注", "商标被他人抢注，想咨询如何提出异议和维权。"),
    ("出口退税慢", "出口退税审核进度慢，单证齐全但退税款两个月未到账。"),
]


@pytest.fixture
async def orgs(db) -> dict[str, Organisation]:
    await upsert_organisations(demo_organisations())
    return {org.code: org for org in await Organisation.all()}


async def appeal(orgs, text: tuple[str, str], *, day: int, category: str, lead: str | None,
                 owner: str = "city.coordination", status: AppealStatus = AppealStatus.dispatched,
                 month: int = 3) -> Appeal:
    title, description = text
    return await Appeal.create(
        number=f"SQ2025030{month}{next(_numbers):06d}", channel=AppealChannel.miniprogram, category=category,
        title=title, description=description, status=status, owner_organisation=orgs[owner],
        lead_organisation=orgs[lead] if lead else None, created_at=datetime(2025, month, day, 9, tzinfo=SH),
    )


@pytest.fixture
async def march(orgs) -> dict[str, list[Appeal]]:
    centre = "district.310115.service-centre"
    rent = [
        await appeal(orgs, RENT[0], day=3, category="policy", lead=centre, owner="district.310115"),
        await appeal(orgs, RENT[1], day=5, category="policy", lead=centre, owner="district.310115"),
        await appeal(orgs, RENT[2], day=9, category="policy", lead="city.finance"),
        await appeal(orgs, RENT[3], day=12, category="other", lead=None, status=AppealStatus.submitted),
    ]
    power = [await appeal(orgs, text, day=10 + n, category="utilities", lead="city.economy-it")
             for n, text in enumerate(POWER)]
    other = [await appeal(orgs, OTHER[0], day=4, category="ip", lead="city.intellectual-property"),
             await appeal(orgs, OTHER[1], day=6, category="tax", lead="city.taxation")]
    # Not considered: held (content under review), declined, or filed in February.
    ignored = [
        await appeal(orgs, RENT[0], day=13, category="policy", lead=None, status=AppealStatus.held),
        await appeal(orgs, RENT[1], day=14, category="policy", lead=None, status=AppealStatus.declined),
        await appeal(orgs, RENT[2], day=20, category="policy", lead=centre, month=2),
    ]
    return {"rent": rent, "power": power, "other": other, "ignored": ignored}


async def test_similar_appeals_form_common_issues(march):
    found = await common_issues(**MARCH, scope_staff=None)
    assert found.considered == 9 and not found.truncated
    assert [issue.size for issue in found.issues] == [4, 3]
    rent, power = found.issues
    assert set(rent.appeal_ids) == {a.id for a in march["rent"]}
    assert set(power.appeal_ids) == {a.id for a in march["power"]}
    assert {"租金补贴", "拨付"} <= set(rent.hot_words)
    assert {"用电", "增容"} <= set(power.hot_words)
    # Who it fell to: the Pudong centre twice, 市财政局 once, one not dispatched yet.
    assert rent.organisations == (
        (march["rent"][0].lead_organisation_id, "浦东新区企服中心", 2),
        (march["rent"][2].lead_organisation_id, "市财政局", 1),
        (None, "未分派", 1),
    )
    assert rent.categories == (("policy", "政策咨询与兑现", 3), ("other", "其他诉求", 1))
    # Three examples, newest first.
    assert [example.title for example in rent.examples] == ["租金补贴长时间未兑现", "办公用房租金补贴未发放", "租金补贴拨付进度"]
    assert rent.examples[0].number == march["rent"][3].number
    assert "租金补贴" in found.hot_words[:5]


async def test_common_issues_are_scoped(march):
    pudong = await make_staff("pudong", StaffRole.district_admin, "district.310115")
    found = await common_issues(**MARCH, scope_staff=pudong)
    assert found.considered == 2 and found.issues == ()  # two of Pudong's own: fewer than three
    found = await common_issues(**MARCH, scope_staff=pudong, min_size=2)
    [issue] = found.issues
    assert set(issue.appeal_ids) == {a.id for a in march["rent"][:2]}


async def test_an_empty_period(march):
    found = await common_issues(period_start=date(2025, 1, 1), period_end=date(2025, 1, 31), scope_staff=None)
    assert (found.considered, found.issues, found.hot_words) == (0, (), ())


async def test_only_the_most_recent_appeals_are_clustered_when_there_are_too_many(march):
    found = await common_issues(**MARCH, scope_staff=None, max_appeals=5)
    # The five newest: rent[3] (12th), the three power ones (10th-12th) and rent[2] (9th).
    assert found.truncated and found.considered == 5
    assert [issue.size for issue in found.issues] == [3]


# -- a report's scope instead of a viewer -------------------------------------------------------------


def clusters(found) -> list[frozenset[int]]:
    return [frozenset(issue.appeal_ids) for issue in found.issues]


@pytest.mark.parametrize(("role", "code", "expected"), [
    (StaffRole.district_admin, "district.310115", 2),  # Pudong's intake, led by its centre
    (StaffRole.department_handler, "city.economy-it", 3),  # the three 用电增容 appeals it leads
])
async def test_a_report_scope_finds_what_the_matching_staff_sees(march, role, code, expected):
    from app.reporting.scope import scope_for_organisation, scope_for_staff

    staff = await make_staff(f"scoped-{code}", role, code)
    as_staff = await common_issues(**MARCH, scope_staff=staff, min_size=2)
    as_scope = await common_issues(**MARCH, scope=await scope_for_staff(staff), min_size=2)
    assert as_scope.considered == as_staff.considered == expected
    assert clusters(as_scope) == clusters(as_staff) and len(as_scope.issues) == 1
    assert as_scope.hot_words == as_staff.hot_words
    # A scheduled report for the organisation (no staff at all) finds the same.
    scheduled = await common_issues(**MARCH, scope=await scope_for_organisation((await Organisation.get(code=code)).id), min_size=2)
    assert clusters(scheduled) == clusters(as_staff)


async def test_the_city_scope_is_everything_and_both_scopes_at_once_are_refused(march):
    from app.reporting.scope import CITY

    city = await common_issues(**MARCH, scope=CITY)
    everything = await common_issues(**MARCH, scope_staff=None)
    assert city.considered == everything.considered == 9
    assert clusters(city) == clusters(everything)
    admin = await make_staff("both", StaffRole.city_admin, "city.coordination")
    with pytest.raises(ValueError):
        await common_issues(**MARCH, scope_staff=admin, scope=CITY)


async def test_pages_read_the_stored_analysis_until_it_is_refreshed(march, orgs, redis):
    first, analysed_at = await cached_common_issues(redis=redis, scope=CITY, **MARCH, min_size=2)
    sizes = sorted(issue.size for issue in first.issues)
    for text in POWER:  # three more appeals about power, after the analysis
        await appeal(orgs, text, day=20, category="utilities", lead="city.economy-it")

    again, again_at = await cached_common_issues(redis=redis, scope=CITY, **MARCH, min_size=2)
    assert sorted(issue.size for issue in again.issues) == sizes and again_at == analysed_at

    fresh, fresh_at = await cached_common_issues(redis=redis, scope=CITY, **MARCH, min_size=2, refresh=True)
    assert fresh.considered == first.considered + 3 and fresh_at > analysed_at
    assert max(issue.size for issue in fresh.issues) > max(sizes)
