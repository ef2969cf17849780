"""Test data for push campaigns: policies, enterprises with bound followers, and a runner.

Everything is valid unless a test overrides it: a published policy that expires in a year,
Pudong small IT firms, followers who follow the account and are bound to their firm.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.config import Settings
from app.enterprise.models import Enterprise
from app.identity.models import EnterpriseBinding, Follower, WeChatUser
from app.policy.models import Policy, PolicyStatus, SupportType
from app.policy.service import shanghai_today
from app.push import service
from app.push.audience import AudienceSpec
from app.push.jobs import push_client
from app.push.models import PushCampaign
from app.push.sender import CampaignRunner
from app.enterprise.reference import BindingRole
from tests.policy.factories import make_enterprise

__all__ = ["bound_follower", "make_enterprise", "make_follower", "make_policy", "push_settings"]

_serial = itertools.count(1)
TEMPLATE_ID = "TPL_policy_push_0001"


def push_settings(settings: Settings, **overrides: Any) -> Settings:
    """The test settings with the policy-push template configured and small, fast push limits."""
    values: dict[str, Any] = {
        "template_policy_push": TEMPLATE_ID,
        "push_concurrency": 8,
        "push_rate_per_second": 10_000,
        "push_frequency_cap_per_week": 3,
    }
    values.update(overrides)
    return settings.model_copy(update=values)


async def make_policy(
    *,
    targeting: dict[str, Any] | None = None,
    support_type: SupportType = SupportType.subsidy,
    status: PolicyStatus = PolicyStatus.published,
    expiry_date: date | None = None,
    title: str | None = None,
) -> Policy:
    return await Policy.create(
        title=title or f"科技型中小企业研发费用补贴（第{next(_serial)}号）",
        support_type=support_type,
        status=status,
        targeting=targeting or {},
        expiry_date=expiry_date or shanghai_today() + timedelta(days=365),
        apply_end=shanghai_today() + timedelta(days=60),
    )


async def make_follower(openid: str | None = None, *, subscribed: bool = True, **fields: Any) -> Follower:
    user = await WeChatUser.create()
    return await Follower.create(
        openid=openid or f"oPush{next(_serial):08d}", user=user, subscribed=subscribed, **fields
    )


async def bound_follower(enterprise: Enterprise, openid: str | None = None, **fields: Any) -> Follower:
    """A follower acting for `enterprise` (an active binding)."""
    follower = await make_follower(openid, **fields)
    await EnterpriseBinding.create(
        user_id=follower.user_id, enterprise=enterprise, role=BindingRole.contact, verified_by="test"
    )
    return follower


@dataclass
class Pusher:
    """Creating, starting and running campaigns the way the admin and the workers do."""

    settings: Settings
    resources: Any

    @property
    def redis(self):
        return self.resources.redis

    async def create(
        self, audience: dict[str, Any] | AudienceSpec, *, policy: Policy | None, title: str = "推送测试", **kwargs: Any
    ) -> PushCampaign:
        return await service.create_campaign(
            staff=None,
            title=title,
            policy_id=policy.id if policy else None,
            audience=audience,
            template_name="policy_push",
            settings=self.settings,
            **kwargs,
        )

    async def start(self, campaign: PushCampaign) -> PushCampaign:
        return await service.start_campaign(
            staff=None, campaign_id=campaign.id, settings=self.settings, redis=self.redis
        )

    def runner(self, campaign: PushCampaign, **kwargs: Any) -> CampaignRunner:
        """A runner like a worker's, except that retries are due at once (no sleeping in tests)."""
        client = kwargs.pop("wechat", None) or self._client()
        kwargs.setdefault("retry_delays_ms", (0, 0, 0))
        return CampaignRunner(
            campaign_id=campaign.id, wechat=client, redis=self.redis, settings=self.settings, **kwargs
        )

    def _client(self):
        ctx = getattr(self, "_ctx", None)
        if ctx is None:
            ctx = self._ctx = {"resources": self.resources}
        return push_client(ctx, settings=self.settings)

    async def run(self, campaign: PushCampaign, **kwargs: Any):
        return await self.runner(campaign, **kwargs).run()

    async def send(self, audience: dict[str, Any], *, policy: Policy | None, **kwargs: Any) -> PushCampaign:
        """Create, start and run a campaign to the end; returns it reloaded."""
        campaign = await self.start(await self.create(audience, policy=policy))
        await self.run(campaign, **kwargs)
        return await PushCampaign.get(id=campaign.id)

    async def aclose(self) -> None:
        from app.push.jobs import close_push_client

        await close_push_client(getattr(self, "_ctx", {}))
