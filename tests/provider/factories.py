"""Small builders for provider tests: an application draft, an admitted provider with its
owner, a service manager, and ratings / engagements written straight to the tables the
engagement service owns (the reputation reads them as they are)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from app.db import db_time
from app.engagement.models import Engagement, EngagementStatus, ProviderRating
from app.enterprise.models import Enterprise
from app.identity.models import WeChatUser
from app.provider import admission
from app.provider.admission import CredentialIn, ProviderDraft
from app.provider.models import PricingMode, Provider, ProviderProduct, ProviderStatus, ServiceCategory
from app.staff.models import Staff, StaffRole
from tests.admin.support import make_staff, seed_organisations
from tests.identity.factories import make_credit_code, make_enterprise

__all__ = ["add_engagements", "add_ratings", "admitted_provider", "draft", "service_manager"]

_serial = itertools.count(1)


def draft(**overrides: Any) -> ProviderDraft:
    n = next(_serial)
    values: dict[str, Any] = {
        "name": f"上海测试知识产权代理有限公司{n}",
        "credit_code": make_credit_code(),
        "category": "ip",
        "description": "专利申请、商标注册与知识产权贯标辅导，服务中小科技企业十余年。",
        "district": "310115",
        "address": "上海市浦东新区张江路 100 号",
        "contact_name": "李经理",
        "contact_phone": "13800138000",
        "credentials": [CredentialIn(name="专利代理机构执业许可证", number=f"31{n:03d}")],
    }
    values.update(overrides)
    return ProviderDraft(**values)


async def service_manager(username: str = "fuwu") -> Staff:
    staff = await Staff.get_or_none(username=username)
    if staff is None:
        await seed_organisations()
        staff = await make_staff(username, StaffRole.service_manager, "city.coordination")
    return staff


async def admitted_provider(*, category: str = "ip", **overrides: Any) -> tuple[Provider, WeChatUser]:
    """An admitted provider and its owner (applied, then admitted by a service manager)."""
    owner = await WeChatUser.create()
    provider = await admission.apply(user=owner, draft=draft(category=category, **overrides))
    await admission.review(staff=await service_manager(), provider_id=provider.id, action="admit")
    return await Provider.get(id=provider.id), owner


async def product_of(provider: Provider, **overrides: Any) -> ProviderProduct:
    values = {"name": "高新技术企业认定辅导", "pricing": PricingMode.fixed, "price": "12000", "delivery_days": 30}
    values.update(overrides)
    return await ProviderProduct.create(provider=provider, category=ServiceCategory(provider.category), **values)


async def add_engagements(provider: Provider, *, status: EngagementStatus, count: int,
                          enterprise: Enterprise | None = None, closed_by_role: str = "",
                          at: datetime | None = None) -> list[Engagement]:
    product = await ProviderProduct.filter(provider_id=provider.id).first() or await product_of(provider)
    enterprise = enterprise or await make_enterprise(name=f"上海委托测试{next(_serial)}有限公司")
    at = db_time(at or datetime.now().astimezone())
    made = []
    for _ in range(count):
        made.append(await Engagement.create(
            provider=provider, product=product, enterprise=enterprise, status=status,
            accepted_at=at if status is not EngagementStatus.declined else None,
            completed_at=at if status is EngagementStatus.completed else None,
            closed_at=at if status in (EngagementStatus.declined, EngagementStatus.cancelled) else None,
            closed_by_role=closed_by_role,
        ))
    return made


async def add_ratings(provider: Provider, stars: list[int], *, enterprise: Enterprise | None = None,
                      age_days: float = 0, dimensions: dict[str, int] | None = None) -> list[ProviderRating]:
    """One completed engagement and its rating per entry of `stars` (a new enterprise each,
    unless `enterprise` is given)."""
    made = []
    for value in stars:
        one = enterprise or await make_enterprise(name=f"上海评价测试{next(_serial)}有限公司")
        (engagement,) = await add_engagements(provider, status=EngagementStatus.completed, count=1, enterprise=one)
        rating = await ProviderRating.create(
            engagement=engagement, provider=provider, enterprise=one, overall=value,
            dimensions=dimensions or {"专业能力": value, "响应速度": value, "服务态度": value, "收费合理": value},
        )
        if age_days:
            await ProviderRating.filter(id=rating.id).update(
                created_at=db_time(datetime.now().astimezone() - timedelta(days=age_days)))
        made.append(rating)
    return made


async def status_of(provider: Provider) -> ProviderStatus:
    return ProviderStatus((await Provider.get(id=provider.id)).status)
