"""Demo followers bound to demo enterprises, so pushes and recommendations have someone to reach.

On a real platform followers bind themselves; the demo needs a population of them to
show a targeted push landing on exactly the matching enterprises' people. Openids are
`oDemo` + a number, which the simulator accepts as implicit followers.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from app.enterprise.models import Enterprise
from app.enterprise.reference import BindingRole
from app.identity.models import EnterpriseBinding, Follower, WeChatUser

__all__ = ["DEMO_OPENID_PREFIX", "seed_demo_followers"]

DEMO_OPENID_PREFIX = "oDemo"
BOUND_SHARE = 0.3
"""About three in ten demo enterprises have a bound follower."""


async def seed_demo_followers(*, seed: int, share: float = BOUND_SHARE) -> int:
    """Bind a follower to a stable random share of the enterprises; idempotent (existing ones are kept)."""
    if await Follower.filter(openid__startswith=DEMO_OPENID_PREFIX).exists():
        return 0
    ids = sorted(await Enterprise.all().values_list("id", flat=True))
    chosen = [enterprise_id for enterprise_id in ids if random.Random(seed * 7919 + enterprise_id).random() < share]
    now = datetime.now(UTC)
    async with in_transaction():
        for number, enterprise_id in enumerate(chosen, start=1):
            user = await WeChatUser.create()
            await Follower.create(
                openid=f"{DEMO_OPENID_PREFIX}{number:06d}",
                user=user,
                subscribed=True,
                subscribed_at=now,
                last_interaction_at=None,
            )
            await EnterpriseBinding.create(
                user=user, enterprise_id=enterprise_id, role=BindingRole.legal_representative, verified_by="demo"
            )
    return len(chosen)
