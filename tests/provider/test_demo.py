"""The demo tells the issue's stories, and seeding twice changes nothing."""

from __future__ import annotations

from app.provider import queries
from app.provider.demo import seed_demo_providers
from app.provider.models import AdmissionCriterion, Provider, ProviderStatus, ServiceCategory


async def test_the_demo_providers_tell_the_stories(db, settings):
    assert await seed_demo_providers(seed=42, settings=settings) == 11
    assert await seed_demo_providers(seed=42, settings=settings) == 0
    assert await Provider.all().count() == 11

    assert {p.category for p in await Provider.all()} == set(ServiceCategory)
    ip = (await queries.public_list(category="ip")).items
    assert [p.name for p in ip] == ["上海申知知识产权代理有限公司", "上海浦江新锐知识产权代理有限公司"]
    assert [p.rating_count for p in ip] == [200, 3]
    assert ip[0].raw_average == 4.7
    statuses = {p.name: ProviderStatus(p.status) for p in await Provider.all()}
    assert statuses["上海拓市营销策划有限公司"] is ProviderStatus.warned
    assert statuses["上海速办商务咨询有限公司"] is ProviderStatus.suspended
    assert statuses["上海远见管理咨询有限公司"] is ProviderStatus.applied
    assert await AdmissionCriterion.filter(category__isnull=True).count() == 3


async def test_each_demo_provider_has_a_desk_so_the_demo_engagements_have_someone_to_answer(db, settings):
    from app.engagement.demo import seed_demo_engagements
    from app.engagement.models import Engagement
    from app.identity.demo import seed_demo_followers
    from app.identity.models import MiniProgramUser
    from app.provider.demo import DEMO_DESK_OPENID_PREFIX
    from app.provider.models import ProviderMember
    from tests.identity.factories import make_enterprise

    for _ in range(30):
        await make_enterprise()
    await seed_demo_followers(seed=42, share=0.5)
    await seed_demo_providers(seed=42, settings=settings)
    registered = await Provider.exclude(status=ProviderStatus.applied).count()
    owners = await ProviderMember.filter(role="owner", provider__status__not=ProviderStatus.applied).count()
    assert owners == registered
    assert await MiniProgramUser.filter(openid__startswith=DEMO_DESK_OPENID_PREFIX).count() == registered

    assert await seed_demo_engagements(seed=42, settings=settings) > 0
    assert await Engagement.all().count() > 0
