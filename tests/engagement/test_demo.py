"""The demo engagements tell their story once: a second run changes nothing."""

from __future__ import annotations

import pytest

from app.engagement.demo import seed_demo_engagements
from app.engagement.models import Engagement, EngagementStatus
from app.identity.models import Follower
from tests.engagement.factories import make_cast

pytestmark = pytest.mark.usefixtures("db")


async def test_seeding_twice_makes_the_engagements_once(settings):
    cast = await make_cast(user_openid="oDemo000001")
    assert (await Follower.get(openid="oDemo000001")).user_id == cast.user.id
    made = await seed_demo_engagements(seed=7, settings=settings)
    assert made >= 1
    assert await seed_demo_engagements(seed=7, settings=settings) == 0
    statuses = {e.status for e in await Engagement.all()}
    assert EngagementStatus.requested in statuses
