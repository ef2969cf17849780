"""Demo engagements: a few open ones in every state for the demo followers, so the chat's
评价, the H5 pages, the provider desk and the admin list have something to show.

Run after the demo followers (`app.identity.demo`) and providers (provider-core's demo,
which seeds the completed engagements behind its ratings). Goes through the service, so
every engagement has its timeline and notices like a real one. Idempotent: each is made
with a fixed idempotency key, so a second run finds them and changes nothing.
"""

from __future__ import annotations

import random
from typing import Any

from app.config import Settings, load_settings
from app.engagement import service
from app.engagement.models import EngagementChannel
from app.identity.demo import DEMO_OPENID_PREFIX
from app.identity.models import EnterpriseBinding, Follower
from app.provider.errors import ProviderError
from app.provider.models import ProviderMember, ProviderProduct, ProviderStatus

__all__ = ["seed_demo_engagements"]

STORY = ("requested", "accepted", "delivered", "completed", "completed", "declined")
"""The state each demo engagement is taken to; the completed ones wait for a rating (评价)."""


async def seed_demo_engagements(*, seed: int, settings: Settings | None = None) -> int:
    """Make up to len(STORY) engagements; returns how many were made this run."""
    rng = random.Random(seed)
    settings = settings or load_settings()
    followers = await Follower.filter(openid__startswith=DEMO_OPENID_PREFIX, user_id__isnull=False).order_by("id").limit(50)
    bound: list[Any] = []
    for follower in followers:
        binding = await EnterpriseBinding.filter(user_id=follower.user_id, revoked_at__isnull=True).select_related(
            "user").first()
        if binding is not None:
            bound.append(binding)
    products = await ProviderProduct.filter(
        is_active=True, provider__status__in=[ProviderStatus.admitted, ProviderStatus.warned]
    ).select_related("provider").order_by("id").limit(30)
    products = [p for p in products if await ProviderMember.filter(provider_id=p.provider_id, revoked_at__isnull=True).exists()]
    if not bound or not products:
        return 0
    made = 0
    for number, target in enumerate(STORY):
        binding = bound[number % len(bound)]
        product = products[rng.randrange(len(products))]
        member = await ProviderMember.filter(provider_id=product.provider_id, revoked_at__isnull=True).select_related(
            "user").first()
        try:
            result = await service.request_engagement(
                user=binding.user, product_id=product.id, enterprise_id=binding.enterprise_id,
                note="（演示）希望了解服务流程和所需材料", channel=EngagementChannel.demo,
                idempotency_key=f"demo:{seed}:{number}",
            )
        except ProviderError:
            continue  # e.g. this enterprise already has this product open
        if not result.created:
            continue
        made += 1
        engagement = result.engagement
        if target == "declined":
            await service.decline(engagement_id=engagement.id, user=member.user, reason="（演示）近期排期已满")
            continue
        if target in ("accepted", "delivered", "completed"):
            await service.accept(engagement_id=engagement.id, user=member.user)
        if target in ("delivered", "completed"):
            await service.deliver(engagement_id=engagement.id, user=member.user, note="（演示）服务报告已发送至企业邮箱",
                                  settings=settings)
        if target == "completed":
            await service.confirm(engagement_id=engagement.id, user=binding.user)
    return made
