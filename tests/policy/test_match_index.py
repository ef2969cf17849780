"""The index of the published policies' rules (app/policy/match_index.py) finds exactly what checking
every policy with `match_reasons` finds, and sees every change made in the database by any process."""

from __future__ import annotations

import logging
import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.policy.match_index import MatchIndex
from app.policy.models import Policy, PolicyStatus
from app.policy.service import expire_due_policies, transition_policy, update_policy
from app.policy.targeting import Targeting, match_reasons, matched_policies
from tests.policy.factories import TODAY, make_enterprise, policy_input, policy_people, published_policy

SECTIONS = {"I": ["63", "64", "65"], "M": ["73", "74", "75"], "C": ["34", "39"], "F": ["51", "52"]}
DIVISIONS = [division for divisions in SECTIONS.values() for division in divisions]
DISTRICTS = [District.pudong, District.xuhui, District.minhang, District.jingan]
TAGS = ["专精特新", "高新技术企业", "科技型中小企业", "专精特新小巨人"]
CAPITALS = [Decimal(value) for value in ("0", "10", "99.99", "100", "100.01", "500", "1000", "5000")]
TODAYS = [TODAY, date(2024, 2, 29), date(2025, 2, 28), date(2025, 3, 1), date(2026, 1, 1)]


def random_targeting(rng: random.Random) -> Targeting:
    """0 to all of the rules, with values from small pools so bounds and lists often meet an enterprise's."""
    if rng.random() < 0.15:
        return Targeting()
    low_years, high_years = rng.choice([None, None, 0, 1, 3, 5]), rng.choice([None, None, 1, 5, 6, 10])
    if low_years is not None and high_years is not None and low_years > high_years:
        low_years, high_years = high_years, low_years
    low_capital, high_capital = rng.choice([None, None, *CAPITALS]), rng.choice([None, None, *CAPITALS])
    if low_capital is not None and high_capital is not None and low_capital > high_capital:
        low_capital, high_capital = high_capital, low_capital
    return Targeting(
        districts=rng.sample(DISTRICTS, rng.choice([0, 0, 1, 2])),
        industry_sections=rng.sample(list(SECTIONS), rng.choice([0, 0, 1, 2])),
        industry_divisions=rng.sample(DIVISIONS, rng.choice([0, 0, 0, 1, 2])),
        size_classes=rng.sample(list(SizeClass), rng.choice([0, 0, 1, 2])),
        ownerships=rng.sample(list(Ownership), rng.choice([0, 0, 0, 1, 2])),
        lifecycle_stages=rng.sample(list(LifecycleStage), rng.choice([0, 0, 0, 1])),
        min_years_established=low_years,
        max_years_established=high_years,
        min_registered_capital=low_capital,
        max_registered_capital=high_capital,
        tags=rng.sample(TAGS, rng.choice([0, 0, 0, 1, 2])),
    )


def random_enterprise(rng: random.Random) -> SimpleNamespace:
    """What `match_reasons` reads of an enterprise, as the register holds it."""
    section = rng.choice(list(SECTIONS))
    established = rng.choice([
        date(rng.randint(2010, 2025), rng.randint(1, 12), rng.randint(1, 28)),
        date(2020, 2, 29), date(2019, 2, 28), date(2021, 3, 1), date(2022, 6, 16), date(2020, 6, 16),
    ])
    return SimpleNamespace(
        district=rng.choice(DISTRICTS), industry_section=section, industry_division=rng.choice(SECTIONS[section]),
        size_class=rng.choice(list(SizeClass)), ownership=rng.choice(list(Ownership)),
        lifecycle_stage=rng.choice(list(LifecycleStage)), registered_capital=rng.choice(CAPITALS),
        established_on=established, tags=rng.sample(TAGS, rng.choice([0, 0, 1, 2])),
    )  # fmt: skip


def by_checking_every_policy(rows, enterprise, *, today: date, limit: int | None = None) -> list[tuple[int, list[str]]]:
    """The matching as it was before the index: every live policy's rules checked in turn."""
    scored = []
    for policy_id, stored, published, expires in rows:
        if expires is not None and expires < today:
            continue
        try:
            targeting = Targeting.from_stored(stored)
        except ValueError:
            continue
        reasons = match_reasons(targeting, enterprise, today=today)
        if reasons is not None:
            scored.append((targeting.dimensions(), published or date.min, policy_id, reasons))
    scored.sort(key=lambda item: item[:3], reverse=True)
    return [(policy_id, reasons) for _, _, policy_id, reasons in scored[:limit]]


def test_the_index_finds_what_checking_every_policy_finds():
    rng = random.Random(2017)
    rows = []
    for policy_id in range(1, 801):
        rows.append((
            policy_id, random_targeting(rng).model_dump(mode="json"),
            rng.choice([None, date(2024, 1, 1), date(2025, 3, 1), date(2025, 5, 1)]),
            rng.choice([None, None, date(2025, 2, 28), TODAY, date(2025, 12, 31)]),
        ))  # fmt: skip
    # stored before a rule was tightened, or edited by hand: left out, as before
    rows += [(801, {"industry_sections": ["Z"]}, None, None), (802, {"min_years_established": 9, "max_years_established": 2}, None, None)]
    index = MatchIndex.build(("test",), rows)
    assert 801 not in index.targetings and 802 not in index.targetings
    compared = 0
    for _ in range(150):
        enterprise = random_enterprise(rng)
        for today in TODAYS:
            expected = by_checking_every_policy(rows, enterprise, today=today)
            found = index.matching(enterprise, today=today)
            assert found == [policy_id for policy_id, _ in expected], (enterprise, today)
            assert index.matching(enterprise, today=today, limit=7) == found[:7]
            compared += len(expected)
    assert compared > 10_000  # the rules did select: most pairs neither all nor nothing


def test_the_index_of_no_policies_matches_nothing():
    enterprise = random_enterprise(random.Random(1))
    assert MatchIndex.build(("test",), []).matching(enterprise, today=TODAY) == []


# -- through the database ----------------------------------------------------------------------------


async def test_matched_policies_equal_checking_every_live_policy(db, caplog):
    from tests.admin.support import seed_organisations

    await seed_organisations()
    rng = random.Random(9)
    statuses = [PolicyStatus.published] * 4 + [PolicyStatus.draft, PolicyStatus.withdrawn, PolicyStatus.expired]
    await Policy.bulk_create([
        Policy(
            title=f"政策{number}", support_type="subsidy", status=rng.choice(statuses),
            targeting=random_targeting(rng).model_dump(mode="json"),
            publish_date=rng.choice([None, date(2025, 1, 1), date(2025, 3, 1)]),
            expiry_date=rng.choice([None, date(2025, 6, 15), TODAY, date(2026, 1, 1)]),
        )
        for number in range(150)
    ])  # fmt: skip
    broken = await Policy.create(title="规则无法读取", support_type="subsidy", status=PolicyStatus.published,
                                 targeting={"industry_sections": ["Z"]})
    rows = await Policy.filter(status=PolicyStatus.published).values_list("id", "targeting", "publish_date", "expiry_date")
    enterprises = [
        await make_enterprise(
            district=rng.choice(DISTRICTS), industry_section=section, industry_division=rng.choice(SECTIONS[section]),
            size_class=rng.choice(list(SizeClass)), ownership=rng.choice(list(Ownership)),
            lifecycle_stage=rng.choice(list(LifecycleStage)), registered_capital=rng.choice(CAPITALS),
            established_on=date(rng.randint(2012, 2025), rng.randint(1, 5), rng.randint(1, 28)),
            tags=rng.sample(TAGS, rng.choice([0, 1, 2])),
        )
        for section in rng.choices(list(SECTIONS), k=12)
    ]  # fmt: skip
    caplog.set_level(logging.WARNING, logger="qiyun.policy")
    for enterprise in enterprises:
        for limit in (None, 5):
            matches = await matched_policies(enterprise_id=enterprise.id, today=TODAY, limit=limit)
            expected = by_checking_every_policy(rows, enterprise, today=TODAY, limit=limit)
            assert [(m.policy.id, m.reasons) for m in matches] == expected
            assert all(m.policy.status == PolicyStatus.published for m in matches)
    assert f"policy {broken.id} has unreadable targeting" in caplog.text


async def test_the_next_call_sees_a_withdrawal_a_republished_edit_an_expiry_and_a_new_policy(db):
    """Matching runs in server processes on several hosts; the changes below are made through the
    service, which tells no process's index about them, exactly as when another host makes them."""
    people = await policy_people()
    editor, reviewer = people["zhengce"], people["zhengce2"]
    enterprise = await make_enterprise(district=District.pudong, registered_capital=Decimal("500"))
    pudong = await published_policy(title="浦东专属", targeting=Targeting(districts=[District.pudong]))
    capital = await published_policy(title="资本百万以上", targeting=Targeting(min_registered_capital=Decimal("100")))
    dated = await published_policy(title="月底失效", expiry_date=date(2025, 6, 30))

    async def titles(today: date = TODAY) -> list[str]:
        return [m.policy.title for m in await matched_policies(enterprise_id=enterprise.id, today=today)]

    assert await titles() == ["资本百万以上", "浦东专属", "月底失效"]

    await transition_policy(staff=editor, policy_id=pudong.id, action="withdraw", note="调整")
    assert await titles() == ["资本百万以上", "月底失效"]

    # Corrected and republished with nothing matched in between, and stamped by a host whose clock
    # is a day behind: the index must not rely on updated_at only growing.
    await transition_policy(staff=editor, policy_id=capital.id, action="withdraw", note="提高门槛")
    await transition_policy(staff=editor, policy_id=capital.id, action="revise")
    data = await policy_input(title="资本千万以上", targeting=Targeting(min_registered_capital=Decimal("1000")))
    await update_policy(staff=editor, policy_id=capital.id, data=data)
    await transition_policy(staff=editor, policy_id=capital.id, action="submit")
    await transition_policy(staff=reviewer, policy_id=capital.id, action="approve")
    await Policy.filter(id=capital.id).update(updated_at=datetime.now(timezone.utc) - timedelta(days=1))
    assert await titles() == ["月底失效"]

    assert await titles(today=date(2025, 7, 1)) == []  # past its expiry date, before the daily job
    assert await expire_due_policies(today=date(2025, 7, 1)) == 1
    assert await titles() == []
    assert (await Policy.get(id=dated.id)).status == PolicyStatus.expired

    await published_policy(title="新发布", targeting=Targeting(max_registered_capital=Decimal("500")))
    assert await titles() == ["新发布"]
