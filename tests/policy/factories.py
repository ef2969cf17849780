"""Test data for the policy knowledge base: staff, enterprises of the register, policy input.

Everything is valid unless a test overrides it, so each test states only what it is about.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from app.enterprise.models import Enterprise
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.enterprise.service import set_enterprise_tags
from app.organisation.models import Organisation
from app.policy.models import Policy, SupportType
from app.policy.service import PolicyInput, create_policy, publish_now
from app.policy.targeting import Targeting
from app.staff.models import Staff, StaffRole
from tests.admin.support import make_staff, seed_accounts
from tests.identity.factories import make_credit_code

TODAY = date(2025, 6, 16)
_serial = itertools.count(1)


async def policy_people() -> dict[str, Staff]:
    """The admin test accounts (admin: city administrator, zhengce: policy editor, keji: department
    handler, pudong: district administrator ...) plus a second policy editor, zhengce2."""
    people = await seed_accounts()
    people["zhengce2"] = await make_staff("zhengce2", StaffRole.policy_editor, "city.coordination")
    return people


async def organisation(code: str) -> Organisation:
    return await Organisation.get(code=code)


async def policy_input(**overrides) -> PolicyInput:
    """A complete policy issued by 市科委 (organisations must be seeded)."""
    if "issuing_organisation_ids" not in overrides:
        overrides["issuing_organisation_ids"] = [(await organisation("city.science-tech")).id]
    values = {
        "title": f"科技型中小企业研发费用补贴办法（第{next(_serial)}号）",
        "doc_number": "沪科规〔2025〕1号",
        "publish_date": date(2025, 3, 1),
        "effective_date": date(2025, 3, 10),
        "expiry_date": date(2027, 12, 31),
        "summary": "对科技型中小企业按研发投入给予补贴。",
        "body": "一、支持对象……",
        "support_type": SupportType.subsidy,
        "amount_min": Decimal("5"),
        "amount_max": Decimal("50"),
        "apply_start": date(2025, 4, 1),
        "apply_end": date(2025, 7, 31),
        "apply_where": "一网通办",
        "contact": "021-50001234",
    }
    values.update(overrides)
    return PolicyInput(**values)


async def published_policy(*, targeting: Targeting | None = None, today: date = TODAY, **overrides) -> Policy:
    """A policy entered and published by the system."""
    data = await policy_input(targeting=targeting or Targeting(), **overrides)
    policy = await create_policy(staff=None, data=data)
    return await publish_now(staff=None, policy_id=policy.id, today=today)


async def make_enterprise(**fields) -> Enterprise:
    """A Pudong small private IT firm, established 2019-05-20 with 500万元 capital, no tags; override any field.
    Tags are written through the register service, so their rows exist as in production."""
    tags = fields.pop("tags", [])
    values = {
        "credit_code": make_credit_code(),
        "name": f"上海测试{next(_serial)}科技有限公司",
        "legal_representative": "张三",
        "district": District.pudong,
        "industry_section": "I",
        "industry_division": "65",
        "size_class": SizeClass.small,
        "ownership": Ownership.private,
        "registered_capital": Decimal("500"),
        "established_on": date(2019, 5, 20),
        "lifecycle_stage": LifecycleStage.growth,
    }
    values.update(fields)
    enterprise = await Enterprise.create(**values)
    if tags:
        enterprise.tags = await set_enterprise_tags(enterprise_id=enterprise.id, tags=tags)
    return enterprise
