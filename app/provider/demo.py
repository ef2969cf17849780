"""Demo providers that tell the issue's stories (`seed_demo_providers`, wired by `app.demo`).

* one admitted provider in each of the ten categories, each with products, and the
  published admission criteria (general and per category);
* in 知识产权: 浦江新锐 with exactly three 5-star ratings and 申知老牌 with two hundred
  averaging 4.7 over two years — the veteran ranks first, the newcomer is marked 评价较少;
* 拓市营销 (市场拓展) warned by the rules: twenty ratings averaging 2.8;
* 速办商务 (商务代理) suspended by the rules: two complaints upheld this year;
* 远见咨询 (管理咨询) a pending application waiting in the admin's queue.

Ratings sit on completed engagements of demo enterprises, written straight to the
engagement tables. Idempotent: nothing is done when the first demo provider exists.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.db import db_time
from app.engagement.models import CommentCheck, Engagement, EngagementChannel, EngagementStatus, ProviderRating
from app.enterprise.credit_code import compose
from app.enterprise.models import Enterprise
from app.identity.models import MiniProgramUser, WeChatUser
from app.provider import admission
from app.provider.admission import CredentialIn, ProviderDraft
from app.provider.management import refresh_provider
from app.provider.models import (
    AdmissionCriterion,
    ComplaintStatus,
    MemberRole,
    PricingMode,
    Provider,
    ProviderComplaint,
    ProviderMember,
    ProviderProduct,
    ServiceCategory,
)
from app.provider.reputation import DIMENSIONS
from app.staff.models import Staff, StaffRole

__all__ = ["seed_demo_providers"]

logger = logging.getLogger("qiyun.provider.demo")

C = ServiceCategory

# (key, category, name, description, [(product, audience, pricing, price, government, days)])
PROVIDERS: list[tuple[str, ServiceCategory, str, str, list[tuple[str, str, PricingMode, int | None, bool, int | None]]]] = [
    ("fin", C.financing, "上海浦融投资咨询有限公司", "为科技型中小企业对接天使投资、创业投资与银行科技贷，提供融资方案设计与路演辅导。",
     [("股权融资方案设计", "有融资需求的初创及成长期企业", PricingMode.negotiable, None, False, 30),
      ("科技贷申请辅导", "科技型中小企业", PricingMode.free, None, True, 15)]),
    ("tech", C.innovation, "上海张江科创服务中心有限公司", "高新技术企业认定、科技项目申报、研发费用加计扣除辅导。",
     [("高新技术企业认定辅导", "成立一年以上的科技型企业", PricingMode.fixed, 12000, True, 60)]),
    ("ip_new", C.ip, "上海浦江新锐知识产权代理有限公司", "专利与商标代理，新设机构，团队来自知名代理所。",
     [("发明专利申请代理", "有研发成果的企业", PricingMode.fixed, 6800, False, 20)]),
    ("ip_old", C.ip, "上海申知知识产权代理有限公司", "二十年专利、商标、版权代理经验，服务企业超过三千家。",
     [("发明专利申请代理", "有研发成果的企业", PricingMode.fixed, 7500, False, 20),
      ("知识产权贯标辅导", "拟申报专精特新的企业", PricingMode.fixed, 30000, True, 90)]),
    ("start", C.entrepreneurship, "上海创客汇创业服务有限公司", "创业孵化、工商注册、创业补贴申请与导师辅导。",
     [("创业补贴申请辅导", "成立三年内的初创企业", PricingMode.free, None, True, 10)]),
    ("law", C.legal, "上海明律律师事务所", "合同审查、劳动争议、股权架构与合规体检。",
     [("合同审查套餐", "中小企业", PricingMode.fixed, 3000, False, 5), ("企业合规体检", "中小企业", PricingMode.fixed, 8000, True, 15)]),
    ("market", C.market, "上海拓市营销策划有限公司", "展会组织、渠道拓展与跨境电商运营。",
     [("国内展会参展服务", "拓展市场的制造企业", PricingMode.negotiable, None, False, 30)]),
    ("agency", C.agency, "上海速办商务咨询有限公司", "工商登记变更、税务登记与代理记账。",
     [("代理记账（年度）", "小微企业", PricingMode.fixed, 4800, False, 365)]),
    ("hr", C.hr, "上海英才人力资源有限公司", "招聘外包、人才引进落户咨询与薪酬体系设计。",
     [("人才引进落户咨询", "引进人才的企业", PricingMode.fixed, 2000, True, 30)]),
    ("consult", C.consulting, "上海远见管理咨询有限公司", "战略规划、精益生产与数字化转型诊断。",
     [("数字化转型诊断", "制造业中小企业", PricingMode.fixed, 20000, True, 45)]),
    ("ipo", C.listing, "上海鼎新企业上市服务有限公司", "股份制改造、上市辅导与科创板申报咨询。",
     [("股改方案设计", "拟上市企业", PricingMode.negotiable, None, False, 90)]),
]

CRITERIA: list[tuple[ServiceCategory | None, str, str]] = [
    (None, "依法登记，信用良好", "在中国境内依法登记注册，未被列入经营异常名录或严重违法失信名单。"),
    (None, "具备固定服务场所与专职人员", "在本市有固定办公场所，专职服务人员不少于 3 人。"),
    (None, "近两年服务案例", "近两年为本市企业提供同类服务不少于 10 例，并能提供服务合同或证明材料。"),
    (C.legal, "律师事务所执业许可证", "持有有效的律师事务所执业许可证，近三年无行业处分。"),
    (C.ip, "专利代理机构执业许可证", "持有有效的专利代理机构执业许可证。"),
    (C.financing, "金融服务资质", "从事融资咨询的，须说明与持牌金融机构的合作关系。"),
    (C.agency, "代理记账许可证", "从事代理记账的，须持有财政部门颁发的代理记账许可证。"),
]

PENDING = "consult"
COMMENTS = ["响应很快，材料准备得很专业。", "服务周到，按时完成。", "沟通顺畅，收费透明。", "整体满意，推荐。"]


DEMO_DESK_OPENID_PREFIX = "oDemoDesk"
"""Mini-program openids of the demo providers' desk owners (`oDemoDesk000`, ...)."""


def _code(index: int, seed: int) -> str:
    return compose(division="310115", body=f"D{seed % 1000:03d}P{index:03d}")


async def _enterprises(count: int) -> list[Enterprise]:
    found = list(await Enterprise.all().order_by("id").limit(count))
    if len(found) >= 10:
        return found
    from datetime import date

    from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass

    for n in range(len(found), count):
        found.append(await Enterprise.create(
            credit_code=compose(division="310115", body=f"DMEN{n:04d}"), name=f"上海演示委托企业{n + 1}有限公司",
            legal_representative="演示", district=District.pudong, industry_section="I", industry_division="65",
            size_class=SizeClass.small, ownership=Ownership.private, registered_capital=Decimal("100"),
            established_on=date(2018, 1, 1), lifecycle_stage=LifecycleStage.growth, tags=[], address="上海市浦东新区"))
    return found


async def _ratings(provider: Provider, product: ProviderProduct, stars: list[int], *, enterprises: list[Enterprise],
                   rng: random.Random, now: datetime, spread_days: int) -> None:
    for n, value in enumerate(stars):
        enterprise = enterprises[n % len(enterprises)]
        when = db_time(now - timedelta(days=rng.uniform(1, spread_days), minutes=n))
        engagement = await Engagement.create(
            provider=provider, product=product, enterprise=enterprise, status=EngagementStatus.completed,
            channel=EngagementChannel.demo, note="演示委托", accepted_at=when, delivered_at=when, completed_at=when,
        )
        comment = rng.choice(COMMENTS) if value >= 4 and rng.random() < 0.3 else ""
        rating = await ProviderRating.create(
            engagement=engagement, provider=provider, enterprise=enterprise, overall=value,
            dimensions={name: max(1, min(5, value + rng.choice((-1, 0, 0, 0, 1)))) for name in DIMENSIONS},
            comment=comment, comment_check=CommentCheck.passed if comment else CommentCheck.none,
            channel=EngagementChannel.demo,
        )
        await ProviderRating.filter(id=rating.id).update(created_at=when)
        await Engagement.filter(id=engagement.id).update(requested_at=when)


async def seed_demo_providers(*, seed: int, settings: Any = None) -> int:
    """Write the demo providers; returns how many providers were created (0 if they exist)."""
    if await Provider.filter(credit_code=_code(0, seed)).exists():
        return 0
    if settings is None:
        from app.config import load_settings

        settings = load_settings()
    rng = random.Random(seed * 7919 + 6)
    now = datetime.now(UTC)
    staff = await Staff.filter(role=StaffRole.service_manager, is_active=True).order_by("id").first()
    for category, title, description in CRITERIA:
        await AdmissionCriterion.create(category=category, title=title, description=description,
                                        position=0 if category is None else 10, updated_by=staff)
    enterprises = await _enterprises(60)
    made: dict[str, Provider] = {}
    products: dict[str, ProviderProduct] = {}
    for index, (key, category, name, description, items) in enumerate(PROVIDERS):
        draft = ProviderDraft(
            name=name, credit_code=_code(index, seed), category=category.value, description=description,
            district="310115", address="上海市浦东新区世纪大道 100 号", contact_name="演示联系人",
            contact_phone=f"1380013{index:04d}", credentials=[CredentialIn(name="营业执照", number=_code(index, seed))],
        )
        if key == PENDING:
            applicant = await WeChatUser.create()
            made[key] = await admission.apply(user=applicant, draft=draft)
            continue
        provider = await admission.register(staff=staff, draft=draft, reason="演示数据：线下审核通过") if staff else \
            await _register_without_staff(draft)
        made[key] = provider
        # Each demo provider's desk is staffed by one person known to the mini-program (an
        # openid the simulator can sign in as), so the demo engagements have someone to answer.
        desk_user = await WeChatUser.create()
        await MiniProgramUser.create(openid=f"{DEMO_DESK_OPENID_PREFIX}{index:03d}", user=desk_user)
        await ProviderMember.create(provider=provider, user=desk_user, role=MemberRole.owner)
        for product_name, audience, pricing, price, government, days in items:
            product = await ProviderProduct.create(
                provider=provider, name=product_name, description=f"{product_name}：{description}", audience=audience,
                pricing=pricing, price=Decimal(price) if price else None, government_purchased=government,
                delivery_days=days, category=category)
            products.setdefault(key, product)
    await _ratings(made["ip_new"], products["ip_new"], [5, 5, 5], enterprises=enterprises, rng=rng, now=now, spread_days=20)
    veteran = [5] * 140 + [4] * 60
    rng.shuffle(veteran)
    await _ratings(made["ip_old"], products["ip_old"], veteran, enterprises=enterprises, rng=rng, now=now, spread_days=730)
    for key in ("fin", "tech", "law", "hr", "start", "ipo"):
        stars = [rng.choice((4, 5, 5, 5)) for _ in range(rng.randint(6, 25))]
        await _ratings(made[key], products[key], stars, enterprises=enterprises, rng=rng, now=now, spread_days=400)
    await _ratings(made["market"], products["market"], [3] * 16 + [2] * 4, enterprises=enterprises, rng=rng, now=now,
                   spread_days=120)
    await _ratings(made["agency"], products["agency"], [4, 4, 3, 4, 5], enterprises=enterprises, rng=rng, now=now,
                   spread_days=200)
    for n, text in enumerate(["收取代账费后连续三个月未申报，导致企业被税务处罚。", "承诺的工商变更逾期两个月未办结，且拒绝退费。"]):
        await ProviderComplaint.create(
            provider=made["agency"], enterprise=enterprises[n], text=text, status=ComplaintStatus.upheld,
            decided_by=staff, decision_reason="经核实属实", decided_at=db_time(now - timedelta(days=30 * (n + 1))))
    for provider in made.values():
        await refresh_provider(provider_id=provider.id, settings=settings)
    logger.info("demo providers", extra={"providers": len(made)})
    return len(made)


async def _register_without_staff(draft: ProviderDraft) -> Provider:
    """Without a service manager account (an empty database), register as the system."""
    provider = await admission.register(staff=None, draft=draft, reason="演示数据")  # type: ignore[arg-type]
    return provider

