"""Small builders for engagement tests: a listed provider with a member and a product, an
enterprise user, and an engagement walked to any status."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from app.engagement import service
from app.engagement.models import Engagement, EngagementChannel
from app.identity.models import EnterpriseBinding, Follower, WeChatUser
from app.provider.models import MemberRole, Provider, ProviderMember, ProviderProduct, ProviderStatus
from app.resources import Resources
from tests.identity.factories import make_credit_code, make_enterprise

__all__ = ["Cast", "TEMPLATES", "configured", "engage", "make_cast", "make_person", "take_to"]

_serial = itertools.count(1)

TEMPLATES = {"template_provider_engagement": "TPL_provider_engagement",
             "template_provider_engagement_progress": "TPL_provider_engagement_progress"}


def configured(resources: Resources, **overrides: Any) -> Resources:
    settings = resources.settings.model_copy(
        update={**TEMPLATES, "public_base_url": "https://qiyun.example.gov.cn", **overrides})
    return dataclasses.replace(resources, settings=settings)


async def make_person(*, openid: str | None = None, enterprise: Any = None) -> WeChatUser:
    """A follower of the official account, bound to `enterprise` if given."""
    user = await WeChatUser.create(phone="13812345678")
    await Follower.create(openid=openid or f"o-eng-{next(_serial):06d}", user=user)
    if enterprise is not None:
        await EnterpriseBinding.create(user=user, enterprise=enterprise, role="contact", verified_by="test")
    return user


@dataclasses.dataclass
class Cast:
    provider: Provider
    product: ProviderProduct
    member: WeChatUser
    enterprise: Any
    user: WeChatUser


async def make_cast(*, user_openid: str | None = None, member_openid: str | None = None) -> Cast:
    n = next(_serial)
    provider = await Provider.create(name=f"上海测试知识产权代理{n}有限公司", credit_code=make_credit_code(900000 + n),
                                     category="ip", status=ProviderStatus.admitted, contact_phone="13900001111")
    product = await ProviderProduct.create(provider=provider, name="高新技术企业认定辅导", delivery_days=30)
    member = await make_person(openid=member_openid)
    await ProviderMember.create(provider=provider, user=member, role=MemberRole.owner)
    enterprise = await make_enterprise(name=f"上海委托测试{n}有限公司")
    user = await make_person(openid=user_openid, enterprise=enterprise)
    return Cast(provider, product, member, enterprise, user)


async def engage(cast: Cast, **overrides: Any) -> Engagement:
    values: dict[str, Any] = {"user": cast.user, "product_id": cast.product.id, "enterprise_id": cast.enterprise.id,
                              "note": "希望年内完成高新认定申报", "channel": EngagementChannel.miniprogram}
    values.update(overrides)
    return (await service.request_engagement(**values)).engagement


async def take_to(status: str, cast: Cast, settings: Any, engagement: Engagement | None = None) -> Engagement:
    """An engagement walked up to `status` (accepted, delivered, completed)."""
    engagement = engagement or await engage(cast)
    if status in ("accepted", "delivered", "completed"):
        engagement = await service.accept(engagement_id=engagement.id, user=cast.member)
    if status in ("delivered", "completed"):
        engagement = await service.deliver(engagement_id=engagement.id, user=cast.member, note="申报材料已提交", settings=settings)
    if status == "completed":
        engagement = await service.confirm(engagement_id=engagement.id, user=cast.user)
    return engagement
