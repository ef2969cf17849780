"""Targeting rules over the register, both ways: a policy's audience and an enterprise's policies (app/policy/targeting.py)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.policy.models import PolicyStatus
from app.policy.service import create_policy, publish_now, transition_policy
from app.policy.targeting import (
    EVERYONE_REASON,
    Targeting,
    audience_count,
    describe_targeting,
    enterprise_query,
    match_reasons,
    matched_policies,
)
from tests.policy.factories import TODAY, make_enterprise, policy_input, policy_people, published_policy


async def audience(targeting: Targeting, today: date = TODAY) -> set[str]:
    return {e.name for e in await enterprise_query(targeting, today=today)}


@pytest.fixture
async def people(db):
    return await policy_people()


# -- one dimension at a time: the query and the reasons agree ----------------------------------------


@pytest.mark.parametrize(
    ("targeting", "inside", "outside", "reason"),
    [
        (Targeting(districts=[District.pudong, District.xuhui]), {"district": District.xuhui},
         {"district": District.minhang}, "注册区：徐汇区"),
        (Targeting(industry_sections=["I", "M"]), {"industry_section": "M", "industry_division": "75"},
         {"industry_section": "C", "industry_division": "39"}, "所属行业：M 科学研究和技术服务业"),
        (Targeting(industry_divisions=["39"]), {"industry_section": "C", "industry_division": "39"},
         {"industry_section": "C", "industry_division": "34"}, "所属行业：39 计算机、通信和其他电子设备制造业"),
        (Targeting(size_classes=[SizeClass.small, SizeClass.micro]), {"size_class": SizeClass.micro},
         {"size_class": SizeClass.medium}, "企业规模：微型"),
        (Targeting(ownerships=[Ownership.foreign]), {"ownership": Ownership.foreign},
         {"ownership": Ownership.private}, "所有制：外资"),
        (Targeting(lifecycle_stages=[LifecycleStage.startup]), {"lifecycle_stage": LifecycleStage.startup},
         {"lifecycle_stage": LifecycleStage.growth}, "生命周期：初创期"),
        (Targeting(min_registered_capital=Decimal("100"), max_registered_capital=Decimal("1000")),
         {"registered_capital": Decimal("1000")}, {"registered_capital": Decimal("1000.01")},
         "注册资本：1000万元（要求100万元至1000万元）"),
        (Targeting(tags=["专精特新", "高新技术企业"]), {"tags": ["科技型中小企业", "高新技术企业"]},
         {"tags": ["科技型中小企业"]}, "企业标签：高新技术企业"),
        (Targeting(min_years_established=3), {"established_on": date(2022, 6, 16)},
         {"established_on": date(2022, 6, 17)}, "成立年限：2022年6月成立，已成立3年（要求成立满3年）"),
        (Targeting(max_years_established=5), {"established_on": date(2020, 6, 16)},
         {"established_on": date(2020, 6, 15)}, "成立年限：2020年6月成立，已成立5年（要求成立5年以内）"),
    ],
)
async def test_each_rule_selects_by_its_column_and_says_why(db, targeting, inside, outside, reason):
    yes = await make_enterprise(name="符合", **inside)
    no = await make_enterprise(name="不符合", **outside)

    assert await audience(targeting) == {"符合"}
    assert match_reasons(targeting, yes, today=TODAY) == [reason]
    assert match_reasons(targeting, no, today=TODAY) is None


async def test_industry_sections_and_divisions_together_are_a_union(db):
    await make_enterprise(name="软件", industry_section="I", industry_division="65")
    await make_enterprise(name="电子制造", industry_section="C", industry_division="39")
    await make_enterprise(name="机械制造", industry_section="C", industry_division="34")
    targeting = Targeting(industry_sections=["I"], industry_divisions=["39"])
    assert await audience(targeting) == {"软件", "电子制造"}


async def test_all_rules_must_hold_and_every_reason_is_given(db):
    target = Targeting(
        districts=[District.pudong], industry_sections=["I", "M"], size_classes=[SizeClass.small, SizeClass.micro],
        min_years_established=2, tags=["高新技术企业"],
    )
    fits = await make_enterprise(name="全部符合", tags=["高新技术企业"])
    await make_enterprise(name="不在浦东", district=District.xuhui, tags=["高新技术企业"])
    await make_enterprise(name="没有标签")
    assert await audience(target) == {"全部符合"}
    assert match_reasons(target, fits, today=TODAY) == [
        "注册区：浦东新区",
        "所属行业：I 信息传输、软件和信息技术服务业",
        "企业规模：小型",
        "成立年限：2019年5月成立，已成立6年（要求成立满2年）",
        "企业标签：高新技术企业",
    ]


async def test_a_policy_for_everyone_matches_every_enterprise_with_one_reason(db):
    enterprise = await make_enterprise()
    assert match_reasons(Targeting(), enterprise, today=TODAY) == [EVERYONE_REASON]
    assert await audience_count(targeting=Targeting(), today=TODAY) == 1


async def test_years_are_counted_in_calendar_years_also_around_29_february(db):
    leap = await make_enterprise(name="闰日成立", established_on=date(2020, 2, 29))
    rule = Targeting(min_years_established=1)
    # Founded on 29 February: a full year has passed on 1 March of a common year.
    assert await audience(rule, today=date(2021, 2, 28)) == set()
    assert await audience(rule, today=date(2021, 3, 1)) == {"闰日成立"}
    assert match_reasons(rule, leap, today=date(2021, 2, 28)) is None
    assert match_reasons(rule, leap, today=date(2021, 3, 1)) is not None
    # Today 29 February: one year back is 28 February.
    await make_enterprise(name="2月28日成立", established_on=date(2023, 2, 28))
    assert await audience(Targeting(min_years_established=1), today=date(2024, 2, 29)) == {"闰日成立", "2月28日成立"}


async def test_audience_count_equals_a_brute_force_check_of_every_enterprise(db):
    rng = random.Random(7)
    tags = ["专精特新", "高新技术企业", "科技型中小企业"]
    sections = {"I": ["63", "64", "65"], "M": ["73", "74", "75"], "C": ["34", "39"], "F": ["51", "52"]}
    enterprises = []
    for index in range(160):
        section = rng.choice(list(sections))
        enterprises.append(await make_enterprise(
            name=f"企业{index}",
            district=rng.choice([District.pudong, District.xuhui, District.minhang]),
            industry_section=section, industry_division=rng.choice(sections[section]),
            size_class=rng.choice(list(SizeClass)), ownership=rng.choice([Ownership.private, Ownership.foreign]),
            lifecycle_stage=rng.choice(list(LifecycleStage)),
            registered_capital=Decimal(rng.choice([10, 100, 500, 1000, 5000])),
            established_on=date(rng.randint(2005, 2025), rng.randint(1, 12), rng.randint(1, 28)),
            tags=rng.sample(tags, rng.randint(0, 2)),
        ))
    for _ in range(40):
        targeting = Targeting(
            districts=rng.sample([District.pudong, District.xuhui, District.minhang], rng.randint(0, 2)),
            industry_sections=rng.sample(list(sections), rng.randint(0, 2)),
            industry_divisions=rng.sample(["65", "39", "52"], rng.choice([0, 0, 1])),
            size_classes=rng.sample(list(SizeClass), rng.randint(0, 3)),
            ownerships=rng.sample([Ownership.private, Ownership.foreign], rng.choice([0, 0, 1])),
            lifecycle_stages=rng.sample(list(LifecycleStage), rng.choice([0, 0, 2])),
            min_years_established=rng.choice([None, None, 2, 5]),
            max_years_established=rng.choice([None, None, 10, 15]),
            min_registered_capital=rng.choice([None, None, Decimal(100)]),
            max_registered_capital=rng.choice([None, None, Decimal(1000)]),
            tags=rng.sample(tags, rng.choice([0, 0, 1, 2])),
        )
        expected = sum(1 for e in enterprises if match_reasons(targeting, e, today=TODAY) is not None)
        assert await audience_count(targeting=targeting, today=TODAY) == expected, targeting


# -- tags: the indexed rows follow the register ---------------------------------------------------


async def test_tag_targeting_follows_tags_rewritten_in_the_register(db):
    from app.enterprise.service import set_enterprise_tags

    enterprise = await make_enterprise(name="企业", tags=["专精特新"])
    rule = Targeting(tags=["专精特新"])
    assert await audience(rule) == {"企业"}
    await set_enterprise_tags(enterprise_id=enterprise.id, tags=["高新技术企业"])
    assert await audience(rule) == set()
    assert await audience(Targeting(tags=["高新技术企业"])) == {"企业"}


# -- validation and wording ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"industry_sections": ["Z"]}, "行业门类「Z」不存在"),
        ({"industry_divisions": ["99"]}, "行业大类「99」不存在"),
        ({"min_years_established": 10, "max_years_established": 5}, "成立年限下限（10年）大于上限（5年）"),
        ({"min_registered_capital": "500", "max_registered_capital": "100"}, "注册资本下限（500万元）大于上限（100万元）"),
        ({"min_registered_capital": "-1"}, "注册资本应为不小于 0 的数"),
        ({"tags": ["很" * 31]}, "过长"),
    ],
)
def test_invalid_rules_are_refused_in_chinese(fields, message):
    with pytest.raises(ValidationError, match=message):
        Targeting(**fields)


def test_rules_are_normalised_and_round_trip_through_json():
    targeting = Targeting(industry_sections=["i", "M", "I"], industry_divisions=["6"], tags=[" 专精特新 ", ""],
                          min_registered_capital="100.5")
    assert targeting.industry_sections == ["I", "M"]
    assert targeting.industry_divisions == ["06"]
    assert targeting.tags == ["专精特新"]
    assert Targeting.from_stored(targeting.model_dump(mode="json")) == targeting
    assert Targeting.from_stored({}) == Targeting.from_stored(None) == Targeting()


def test_rules_are_described_for_staff():
    targeting = Targeting(districts=[District.pudong], industry_sections=["I"], size_classes=[SizeClass.small, SizeClass.micro],
                          min_years_established=2, max_years_established=10, max_registered_capital=Decimal("1000"),
                          tags=["专精特新"])
    assert describe_targeting(targeting) == [
        "注册区：浦东新区",
        "行业：I 信息传输、软件和信息技术服务业",
        "企业规模：小型、微型",
        "成立年限：要求成立2至10年",
        "注册资本：要求不超过1000万元",
        "企业标签（具备其一）：专精特新",
    ]
    assert describe_targeting(Targeting()) == ["不限"]


# -- an enterprise's policies ------------------------------------------------------------------------


async def test_matched_policies_are_live_published_policies_the_enterprise_fits(people):
    enterprise = await make_enterprise(tags=["高新技术企业"])
    pudong_tech = await published_policy(
        title="浦东科技小微", targeting=Targeting(districts=[District.pudong], industry_sections=["I", "M"],
                                             size_classes=[SizeClass.small, SizeClass.micro]),
    )
    everyone = await published_policy(title="全市普惠", publish_date=date(2025, 5, 1))
    await published_policy(title="徐汇专属", targeting=Targeting(districts=[District.xuhui]))
    lapsed = await published_policy(title="已过失效日期", expiry_date=date(2025, 6, 15), today=date(2025, 3, 1))
    expired = await published_policy(title="已标记过期")
    await transition_policy(staff=None, policy_id=expired.id, action="expire")
    withdrawn = await published_policy(title="已撤回")
    await transition_policy(staff=people["zhengce"], policy_id=withdrawn.id, action="withdraw", note="调整")
    await create_policy(staff=people["zhengce"], data=await policy_input(title="草稿"))
    in_review = await create_policy(staff=people["zhengce"], data=await policy_input(title="审核中"))
    await transition_policy(staff=people["zhengce"], policy_id=in_review.id, action="submit")

    matches = await matched_policies(enterprise_id=enterprise.id, today=TODAY)

    assert [m.policy.title for m in matches] == ["浦东科技小微", "全市普惠"]  # the more specific first
    assert matches[0].reasons == ["注册区：浦东新区", "所属行业：I 信息传输、软件和信息技术服务业", "企业规模：小型"]
    assert matches[1].reasons == [EVERYONE_REASON]
    assert matches[0].policy.id == pudong_tech.id and matches[1].policy.id == everyone.id
    assert lapsed.status == PolicyStatus.published  # still published, but past its date: not matched


async def test_publish_now_records_both_steps(db):
    from tests.admin.support import seed_organisations

    await seed_organisations()
    policy = await create_policy(staff=None, data=await policy_input())
    published = await publish_now(staff=None, policy_id=policy.id, today=TODAY)
    assert published.status == PolicyStatus.published
    events = await published.events.all().order_by("id")
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, PolicyStatus.draft), (PolicyStatus.draft, PolicyStatus.in_review), (PolicyStatus.in_review, PolicyStatus.published),
    ]
