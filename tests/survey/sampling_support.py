"""A register with known strata, written fast (bulk), and people who can be reached, for the sampling tests."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

from app.enterprise.models import Enterprise
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.identity.models import EnterpriseBinding, Follower, MiniProgramUser, WeChatUser
from app.survey.models import ServiceUse

__all__ = ["make_register", "make_reachable", "record_service_use"]

_codes = itertools.count(1)


async def make_register(counts: dict[tuple[District, SizeClass, Ownership], int]) -> list[Enterprise]:
    """Enterprises in the given strata (count each), returned in id order."""
    objects = []
    for (district, size, ownership), count in counts.items():
        for _ in range(count):
            n = next(_codes)
            objects.append(Enterprise(
                credit_code=f"9131{n:014d}", name=f"抽样测试{n}有限公司", legal_representative="李四",
                district=district, industry_section="C", industry_division="39", size_class=size, ownership=ownership,
                registered_capital=Decimal("100.00"), established_on=date(2015, 1, 1),
                lifecycle_stage=LifecycleStage.growth, tags=[],
            ))
    await Enterprise.bulk_create(objects, batch_size=1000)
    codes = [one.credit_code for one in objects]
    return list(await Enterprise.filter(credit_code__in=codes).order_by("id")) if len(codes) < 900 else \
        list(await Enterprise.filter(name__startswith="抽样测试").order_by("id"))


async def make_reachable(enterprises: list[Enterprise], *, channel: str = "follower", revoked: bool = False,
                         subscribed: bool = True) -> None:
    """Bind a person to each enterprise who follows the account (or uses the mini-program)."""
    for enterprise in enterprises:
        n = next(_codes)
        user = await WeChatUser.create()
        if channel == "follower":
            await Follower.create(openid=f"o-sampling-{n}", user=user, subscribed=subscribed)
        else:
            await MiniProgramUser.create(openid=f"mp-sampling-{n}", user=user)
        await EnterpriseBinding.create(user=user, enterprise=enterprise, role="contact", verified_by="test",
                                       revoked_at=datetime(2026, 1, 1, tzinfo=UTC) if revoked else None)


async def record_service_use(enterprise: Enterprise, *, code: str, completed_at, name: str = "企业开办") -> ServiceUse:
    return await ServiceUse.create(enterprise=enterprise, service_code=code, service_name=name,
                                   completed_at=completed_at, external_id=f"case-{next(_codes)}")
