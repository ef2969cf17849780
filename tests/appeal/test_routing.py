"""Dispatch suggestions (`app.appeal.routing`): rules first, then who handled similar appeals.

Runs on the test database's backend with organisations, rules and past appeals written
directly through the ORM, as the admin and the appeal service would have left them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from app.appeal import routing
from app.appeal.models import Appeal, AppealChannel, AppealRoutingRule, AppealStatus, CloseReason
from app.appeal.routing import Suggestion, clear_corpus_cache, rule_keywords, suggest_organisations
from app.enterprise.reference import District
from app.organisation.models import Organisation, OrganisationKind

_serial = itertools.count(1)

RENT_PAST = [
    ("厂房租金补贴迟迟未拨付", "我司在临港产业园租赁厂房，2025年度厂房租金补贴已经公示，至今没有拨付到账。"),
    ("询问厂房租金补贴到账时间", "去年申报的厂房租金补贴公示通过后一直没有拨付，想了解补贴资金什么时候到账。"),
    ("厂房租金补贴申报后未兑现", "按通知申报了厂房租金补贴并通过审核公示，补贴资金至今没有到账，请催办拨付。"),
]
POWER_PAST = [
    ("新建厂房用电报装进度缓慢", "向供电公司申请用电报装和电力增容，两个月了还没有安排现场勘查和接电。"),
    ("电力增容申请迟迟没有答复", "已向供电公司提交用电报装申请，至今没有确定接电时间和供电方案，新生产线无法投产。"),
]
NEW_RENT = "厂房租金补贴公示半年还没到账\n本公司2025年度厂房租金补贴已经公示，经委说在走财政流程，补贴资金至今没有拨付。"


@pytest.fixture(autouse=True)
def fresh_corpus() -> Iterator[None]:
    """Each test has its own appeals: never let one test's cached corpus answer another's."""
    clear_corpus_cache()
    yield
    clear_corpus_cache()


async def organisation(name: str, *, code: str | None = None, is_active: bool = True) -> Organisation:
    return await Organisation.create(
        code=code or f"test.org-{next(_serial)}", name=name, kind=OrganisationKind.city_department, is_active=is_active
    )


async def rule(organisation: Organisation, **fields) -> AppealRoutingRule:
    return await AppealRoutingRule.create(organisation=organisation, **fields)


async def past_appeal(
    title: str,
    description: str,
    *,
    lead: Organisation | None,
    category: str = "policy",
    status: AppealStatus = AppealStatus.closed,
    created_at: datetime | None = None,
    **fields,
) -> Appeal:
    """An appeal as the workflow leaves it once answered: numbered, with its lead organisation."""
    serial = next(_serial)
    appeal = await Appeal.create(
        number=f"SQ20250615{serial:06d}",
        channel=AppealChannel.miniprogram,
        category=category,
        title=title,
        description=description,
        status=status,
        lead_organisation=lead,
        **fields,
    )
    if created_at is not None:
        await Appeal.filter(id=appeal.id).update(created_at=created_at)
    return appeal


def names(suggestions: list[Suggestion]) -> list[str]:
    return [suggestion.organisation_name for suggestion in suggestions]


# -- rules ----------------------------------------------------------------------------


async def test_a_category_and_district_rule_comes_before_a_category_only_rule(db) -> None:
    city = await organisation("市地方金融管理局")
    pudong = await organisation("浦东新区金融工作局")
    await rule(city, category="financing", priority=10)
    await rule(pudong, category="financing", district=District.pudong)

    found = await suggest_organisations(category="financing", district=District.pudong.value, text="申请贷款贴息")

    assert names(found) == ["浦东新区金融工作局", "市地方金融管理局"]
    assert found[0].reason == "规则：类别「融资贷款」+ 浦东新区"
    assert found[1].reason == "规则：类别「融资贷款」"
    assert [s.source for s in found] == ["rule", "rule"]
    assert found[0].score > found[1].score


async def test_a_district_rule_does_not_apply_elsewhere(db) -> None:
    city = await organisation("市地方金融管理局")
    pudong = await organisation("浦东新区金融工作局")
    await rule(city, category="financing")
    await rule(pudong, category="financing", district=District.pudong)

    assert names(await suggest_organisations(category="financing", district="310104", text="贷款")) == ["市地方金融管理局"]
    assert names(await suggest_organisations(category="financing", district=None, text="贷款")) == ["市地方金融管理局"]


async def test_among_equally_specific_rules_the_higher_priority_comes_first(db) -> None:
    low = await organisation("市经济信息化委")
    high = await organisation("市电力公司客户服务中心")
    await rule(low, category="utilities", priority=1)
    await rule(high, category="utilities", priority=5)

    found = await suggest_organisations(category="utilities", district=None, text="用电")

    assert names(found) == ["市电力公司客户服务中心", "市经济信息化委"]


async def test_a_keyword_rule_matches_any_one_of_its_keywords(db) -> None:
    grid = await organisation("国网上海市电力公司")
    await rule(grid, keywords="用电报装、电力增容，接电,停电")

    found = await suggest_organisations(category="construction", district=None, text="新厂房迟迟不能接电，影响投产")

    assert names(found) == ["国网上海市电力公司"]
    assert found[0].reason == "规则：关键词「接电」"
    assert await suggest_organisations(category="construction", district=None, text="施工许可办理慢") == []


async def test_keywords_and_category_together_beat_the_category_alone(db) -> None:
    commission = await organisation("市经济信息化委")
    grid = await organisation("国网上海市电力公司")
    await rule(commission, category="utilities", priority=100)
    await rule(grid, category="utilities", keywords="用电报装、电力增容")

    found = await suggest_organisations(category="utilities", district=None, text="申请电力增容两个月无答复")

    assert names(found) == ["国网上海市电力公司", "市经济信息化委"]
    assert found[0].reason == "规则：类别「水电气网」+ 关键词「电力增容」"


async def test_a_rule_needs_every_condition_it_sets(db) -> None:
    grid = await organisation("国网上海市电力公司")
    await rule(grid, category="utilities", district=District.minhang, keywords="用电报装")

    assert await suggest_organisations(category="utilities", district="310112", text="用水报装") == []
    assert await suggest_organisations(category="utilities", district="310115", text="用电报装") == []
    assert await suggest_organisations(category="licence", district="310112", text="用电报装") == []
    found = await suggest_organisations(category="utilities", district="310112", text="用电报装")
    assert found[0].reason == "规则：类别「水电气网」+ 闵行区 + 关键词「用电报装」"


async def test_an_inactive_rule_and_an_inactive_organisation_are_ignored(db) -> None:
    retired = await organisation("已撤销的办公室", is_active=False)
    active = await organisation("市商务委")
    other = await organisation("市口岸办")
    await rule(active, category="trade", is_active=False, priority=99)
    await rule(retired, category="trade")
    await rule(other, category="trade", district=District.pudong, is_active=False)

    assert await suggest_organisations(category="trade", district="310115", text="出口退税") == []


async def test_each_organisation_is_suggested_once_and_limit_is_kept(db) -> None:
    a, b, c, d = [await organisation(name) for name in ("甲局", "乙局", "丙局", "丁局")]
    await rule(a, category="tax", district=District.pudong)
    await rule(a, category="tax")
    await rule(b, category="tax", priority=3)
    await rule(c, category="tax", priority=2)
    await rule(d, category="tax", priority=1)

    found = await suggest_organisations(category="tax", district="310115", text="退税")

    assert names(found) == ["甲局", "乙局", "丙局"]
    assert found[0].reason == "规则：类别「税费办理」+ 浦东新区"
    assert await suggest_organisations(category="tax", district="310115", text="退税", limit=0) == []


def test_rule_keywords_accept_every_separator() -> None:
    assert rule_keywords("用电报装、电力增容，接电, 停电 ,,") == ["用电报装", "电力增容", "接电", "停电"]
    assert rule_keywords("") == []


# -- similar past appeals -------------------------------------------------------------


async def test_without_rules_the_organisation_that_handled_similar_appeals_is_suggested(db) -> None:
    commission = await organisation("临港新片区管委会经济发展处")
    grid = await organisation("国网上海市电力公司")
    rent = [await past_appeal(title, text, lead=commission) for title, text in RENT_PAST]
    for title, text in POWER_PAST:
        await past_appeal(title, text, lead=grid, category="utilities")

    found = await suggest_organisations(category="policy", district=None, text=NEW_RENT)

    assert found[0].organisation_id == commission.id
    assert found[0].source == "similar"
    assert found[0].reason.startswith("与 3 件历史诉求相似（如 SQ")
    assert any(appeal.number in found[0].reason for appeal in rent)
    assert grid.id not in [s.organisation_id for s in found]  # power connection appeals are not similar


async def test_only_answered_appeals_with_a_lead_organisation_vote(db) -> None:
    commission = await organisation("临港新片区管委会经济发展处")
    busy = await organisation("正在办理的单位")
    await past_appeal(*RENT_PAST[0], lead=commission, status=AppealStatus.replied)
    for title, text in RENT_PAST:
        await past_appeal(title, text, lead=busy, status=AppealStatus.in_progress)
        await past_appeal(title, text, lead=busy, status=AppealStatus.closed, close_reason=CloseReason.merged)
        await past_appeal(title, text, lead=None, status=AppealStatus.declined)

    found = await suggest_organisations(category="policy", district=None, text=NEW_RENT)

    assert names(found) == ["临港新片区管委会经济发展处"]
    assert found[0].reason.startswith("与 1 件历史诉求相似")


async def test_rules_come_before_similar_appeals_and_organisations_are_not_repeated(db) -> None:
    commission = await organisation("临港新片区管委会经济发展处")
    finance = await organisation("区财政局")
    coordination = await organisation("市企业服务协调办")
    await rule(coordination, category="policy")
    for title, text in RENT_PAST:
        await past_appeal(title, text, lead=commission)
    await past_appeal(*RENT_PAST[0], lead=finance)
    await past_appeal(*RENT_PAST[1], lead=coordination)

    found = await suggest_organisations(category="policy", district=None, text=NEW_RENT)

    assert [(s.organisation_name, s.source) for s in found] == [
        ("市企业服务协调办", "rule"),
        ("临港新片区管委会经济发展处", "similar"),
        ("区财政局", "similar"),
    ]


async def test_the_same_category_tips_a_close_vote(db) -> None:
    commission = await organisation("临港新片区管委会经济发展处")
    finance = await organisation("区财政局")
    await past_appeal(*RENT_PAST[0], lead=commission, category="policy")
    await past_appeal(*RENT_PAST[0], lead=finance, category="rights")

    found = await suggest_organisations(category="rights", district=None, text=NEW_RENT)

    assert names(found) == ["区财政局", "临港新片区管委会经济发展处"]
    assert found[0].score == pytest.approx(found[1].score * routing.SAME_CATEGORY_BOOST)


async def test_the_corpus_is_the_most_recent_answered_appeals(db, monkeypatch: pytest.MonkeyPatch) -> None:
    old = await organisation("原承办单位")
    new = await organisation("现承办单位")
    long_ago = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for title, text in RENT_PAST:
        await past_appeal(title, text, lead=old, created_at=long_ago)
    for offset, (title, text) in enumerate(RENT_PAST[:2]):
        await past_appeal(title, text, lead=new, created_at=long_ago + timedelta(days=300 + offset))
    monkeypatch.setattr(routing, "CORPUS_SIZE", 2)

    found = await suggest_organisations(category="policy", district=None, text=NEW_RENT)

    assert names(found) == ["现承办单位"]


async def test_the_corpus_is_cached_in_the_process_until_it_expires(db, monkeypatch: pytest.MonkeyPatch) -> None:
    commission = await organisation("临港新片区管委会经济发展处")
    assert await suggest_organisations(category="policy", district=None, text=NEW_RENT) == []
    await past_appeal(*RENT_PAST[0], lead=commission)

    # Advisory data: an appeal answered a minute ago may wait for the next rebuild.
    assert await suggest_organisations(category="policy", district=None, text=NEW_RENT) == []
    monkeypatch.setattr(routing, "CORPUS_TTL_SECONDS", 0.0)
    assert names(await suggest_organisations(category="policy", district=None, text=NEW_RENT)) == [
        "临港新片区管委会经济发展处"
    ]


# -- the category's usual organisation ------------------------------------------------


async def test_with_nothing_else_the_categorys_usual_organisation_is_suggested(db) -> None:
    await organisation("市经济信息化委", code="city.economy-it")

    found = await suggest_organisations(category="utilities", district=None, text="园区宽带接入")

    assert [(s.organisation_name, s.reason, s.source) for s in found] == [
        ("市经济信息化委", "类别「水电气网」的常规承办单位", "rule")
    ]


async def test_the_categorys_usual_organisation_is_not_added_when_a_rule_matched(db) -> None:
    await organisation("市经济信息化委", code="city.economy-it")
    grid = await organisation("国网上海市电力公司")
    await rule(grid, keywords="宽带")

    assert names(await suggest_organisations(category="utilities", district=None, text="园区宽带接入")) == [
        "国网上海市电力公司"
    ]
