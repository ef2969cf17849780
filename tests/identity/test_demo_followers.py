"""Demo followers: a stable share of the demo enterprises gets one bound, subscribed follower."""

from __future__ import annotations

from app.identity.demo import DEMO_OPENID_PREFIX, seed_demo_followers
from app.identity.models import EnterpriseBinding, Follower

from .factories import make_enterprise


async def test_a_stable_share_of_enterprises_gets_a_bound_follower_once(db):
    for _ in range(60):
        await make_enterprise()
    created = await seed_demo_followers(seed=2017, share=0.5)
    assert 15 <= created <= 45
    followers = await Follower.filter(openid__startswith=DEMO_OPENID_PREFIX).count()
    bindings = await EnterpriseBinding.filter(verified_by="demo", revoked_at__isnull=True).count()
    assert followers == bindings == created
    assert len(set(await EnterpriseBinding.all().values_list("enterprise_id", flat=True))) == created
    assert await seed_demo_followers(seed=2017, share=0.5) == 0  # idempotent
    assert await Follower.all().count() == created
