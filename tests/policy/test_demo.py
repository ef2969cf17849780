"""The demo policies: published, dated around today, and the walkthrough's Pudong policy (app/policy/demo.py)."""

from __future__ import annotations

from app.enterprise.models import Enterprise
from app.enterprise.reference import District, SizeClass
from app.policy.demo import DEMO_POLICIES, PUDONG_TECH_SME_TITLE, seed_demo_policies
from app.policy.models import Policy, PolicyEvent, PolicyStatus
from app.policy.search import search_policies
from app.policy.targeting import Targeting, audience_count, match_reasons
from tests.admin.support import seed_organisations
from tests.policy.factories import TODAY, make_enterprise


async def test_the_demo_policies_are_published_around_today_and_seeded_once(db):
    await seed_organisations()
    assert await seed_demo_policies(today=TODAY) == len(DEMO_POLICIES) >= 40

    policies = await Policy.all().prefetch_related("issuing_organisations")
    assert {PolicyStatus(p.status) for p in policies} == {PolicyStatus.published, PolicyStatus.expired}
    assert all(p.issuing_organisations for p in policies)
    assert all(p.doc_number and p.summary and p.body for p in policies)
    expired = [p for p in policies if p.status == PolicyStatus.expired]
    assert len(expired) >= 4 and all(p.expiry_date < TODAY for p in expired)
    open_now = [p for p in policies if p.status == PolicyStatus.published and p.apply_start and p.apply_start <= TODAY <= p.apply_end]
    assert len(open_now) >= 15
    assert any(p.apply_start and p.apply_start > TODAY for p in policies)  # some not open yet
    # Each went through the lifecycle and says where it came from.
    first = policies[0]
    assert [e.note for e in await PolicyEvent.filter(policy_id=first.id).order_by("id")][:3] == ["演示数据", "演示数据", "演示数据"]

    assert await seed_demo_policies(today=TODAY) == 0
    assert await Policy.all().count() == len(DEMO_POLICIES)


async def test_the_pudong_technology_sme_policy_reaches_exactly_those_enterprises(db):
    await seed_organisations()
    await seed_demo_policies(today=TODAY)
    policy = await Policy.get(title=PUDONG_TECH_SME_TITLE)
    targeting = Targeting.from_stored(policy.targeting)
    assert targeting == Targeting(districts=[District.pudong], industry_sections=["I", "M"],
                                  size_classes=[SizeClass.small, SizeClass.micro])
    assert policy.status == PolicyStatus.published and policy.apply_start <= TODAY <= policy.apply_end

    await make_enterprise(name="浦东小型软件")
    await make_enterprise(name="浦东微型研发", size_class=SizeClass.micro, industry_section="M", industry_division="73")
    await make_enterprise(name="浦东中型软件", size_class=SizeClass.medium)
    await make_enterprise(name="徐汇小型软件", district=District.xuhui)
    await make_enterprise(name="浦东小型制造", industry_section="C", industry_division="39")
    assert await audience_count(targeting=targeting, today=TODAY) == 2
    fits = {e.name for e in await Enterprise.all() if match_reasons(targeting, e, today=TODAY)}
    assert fits == {"浦东小型软件", "浦东微型研发"}


async def test_a_keyword_finds_the_demo_research_subsidies(db):
    await seed_organisations()
    await seed_demo_policies(today=TODAY)
    result = await search_policies(query="研发补贴", today=TODAY)
    assert PUDONG_TECH_SME_TITLE in [hit.policy.title for hit in result.hits[:5]]
