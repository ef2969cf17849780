"""Service products (服务产品): what an admitted provider offers, for whom, at what price.

Members of an admitted (or warned) provider publish, edit and withdraw products from the
provider desk; staff may withdraw one from the admin. A product is public only while it is
active and its provider is public (`app.provider.queries`). Withdrawn products are kept
(engagements refer to them), never deleted.

A member's name, description and audience pass WeChat's content check first
(`app.provider.checks`): risky text is refused, doubtful text is saved but the product is
held (hidden from the public) until a reviewer passes it. `miniprogram=None` (demo data,
service tests of other rules) writes without a check; the mini-program always passes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.identity.models import WeChatUser
from app.provider import checks
from app.provider.access import require_member
from app.provider.errors import ProviderError, ProviderNotFound
from app.provider.models import PricingMode, Provider, ProviderProduct, ProviderStatus, ServiceCategory, TextCheck
from app.provider.steps import now, record_event
from app.provider.workflow import PUBLIC_STATUSES, Role
from app.staff.models import Staff

__all__ = ["ProductDraft", "create_product", "price_text", "products_of", "update_product", "withdraw_product"]

MAX_PRICE = Decimal("99999999.99")
MAX_ACTIVE_PRODUCTS = 50


@dataclass
class ProductDraft:
    name: str
    description: str = ""
    audience: str = ""
    pricing: str = PricingMode.fixed.value
    price: str | Decimal | None = None
    government_purchased: bool = False
    delivery_days: int | None = None
    category: str = ""


def price_text(product: ProviderProduct) -> str:
    """How a price reads: ¥12,000.00 / 免费 / 面议 (政府购买服务 is shown beside it)."""
    mode = PricingMode(product.pricing)
    if mode is PricingMode.fixed and product.price is not None:
        return f"¥{Decimal(product.price):,.2f}"
    return "免费" if mode is PricingMode.free else "面议"


def _columns(draft: ProductDraft, *, provider: Provider) -> dict:
    name = (draft.name or "").strip()
    if len(name) < 2 or len(name) > 100:
        raise ProviderError("请填写产品名称（2–100 字）", code="invalid_product", field="name")
    description = (draft.description or "").strip()
    if len(description) > 2000:
        raise ProviderError("产品介绍不能超过 2000 字", code="invalid_product", field="description")
    audience = (draft.audience or "").strip()
    if len(audience) > 300:
        raise ProviderError("服务对象不能超过 300 字", code="invalid_product", field="audience")
    try:
        pricing = PricingMode.from_label_or_code(draft.pricing or "")
    except ValueError:
        raise ProviderError("请选择收费方式：标价、免费或面议", code="invalid_price", field="pricing") from None
    price: Decimal | None = None
    if pricing is PricingMode.fixed:
        try:
            price = Decimal(str(draft.price).strip()).quantize(Decimal("0.01")) if draft.price not in (None, "") else None
        except (InvalidOperation, ValueError):
            price = None
        if price is None or not price.is_finite() or price <= 0 or price > MAX_PRICE:
            raise ProviderError("请填写有效的价格（元，大于 0）", code="invalid_price", field="price")
    days = draft.delivery_days
    if days is not None and not 1 <= int(days) <= 365:
        raise ProviderError("交付周期应为 1–365 天", code="invalid_product", field="delivery_days")
    category = None
    if draft.category:
        try:
            category = ServiceCategory.from_label_or_code(draft.category)
        except ValueError:
            raise ProviderError("请选择服务类别", code="invalid_provider_category", field="category") from None
    return {"name": name, "description": description, "audience": audience, "pricing": pricing, "price": price,
            "government_purchased": bool(draft.government_purchased), "delivery_days": days,
            "category": category or ServiceCategory(provider.category)}


def _must_be_public(provider: Provider) -> None:
    if ProviderStatus(provider.status) not in PUBLIC_STATUSES:
        raise ProviderError(
            f"服务机构当前状态为「{ProviderStatus(provider.status).label}」，入驻后才能发布或修改服务产品",
            code="wrong_state",
        )


async def _screen(miniprogram: Any, user: WeChatUser, values: dict) -> tuple[dict, Any]:
    """Content-check the product's public text; the columns saying whether it is held."""
    if miniprogram is None:
        return {"text_check": TextCheck.passed, "check_id": None}, None
    check = await checks.screen(miniprogram=miniprogram, user=user, subject_type=checks.PRODUCT_SUBJECT,
                                texts=(values["name"], values["description"], values["audience"]))
    state = TextCheck.held if checks.is_held(check) else TextCheck.passed
    return {"text_check": state, "check_id": check.id}, check


async def create_product(*, user: WeChatUser, provider_id: int, draft: ProductDraft,
                         miniprogram: Any = None) -> ProviderProduct:
    """Publish a product; `miniprogram` (the mini-program's client) content-checks its text."""
    member = await require_member(user=user, provider_id=provider_id)
    provider = member.provider
    _must_be_public(provider)
    values = _columns(draft, provider=provider)
    if await ProviderProduct.filter(provider_id=provider.id, is_active=True).count() >= MAX_ACTIVE_PRODUCTS:
        raise ProviderError(f"在售的服务产品最多 {MAX_ACTIVE_PRODUCTS} 个，请先下架不再提供的产品", code="too_many_products")
    screened, check = await _screen(miniprogram, user, values)
    try:
        async with in_transaction() as connection:
            product = await ProviderProduct.create(provider=provider, **values, **screened, using_db=connection)
            if check is not None:
                await checks.attach(check, subject_id=product.id, connection=connection)
            await record_event(provider=provider, action="product_publish", connection=connection, user=user,
                               role=Role.applicant, payload={"product_id": product.id, "name": product.name,
                                                             "held": screened["text_check"] is TextCheck.held})
    except BaseException:
        await checks.discard(check)
        raise
    return product


async def _own_product(provider_id: int, product_id: int) -> ProviderProduct:
    product = await ProviderProduct.get_or_none(id=product_id, provider_id=provider_id).select_related("provider")
    if product is None:
        raise ProviderNotFound("未找到该服务产品", code="product_not_found")
    return product


async def update_product(*, user: WeChatUser, provider_id: int, product_id: int, draft: ProductDraft,
                         miniprogram: Any = None) -> ProviderProduct:
    """Edit a product; doubtful new text holds the whole product until a reviewer passes it."""
    member = await require_member(user=user, provider_id=provider_id)
    _must_be_public(member.provider)
    product = await _own_product(provider_id, product_id)
    if not product.is_active:
        raise ProviderError("该产品已下架，不能修改", code="wrong_state")
    values = _columns(draft, provider=member.provider)
    screened, check = await _screen(miniprogram, user, values)
    if check is None:
        screened = {}  # unchecked (not from the mini-program): the text's state stays as it was
    try:
        async with in_transaction() as connection:
            await ProviderProduct.filter(id=product.id).using_db(connection).update(**values, **screened, updated_at=now())
            if check is not None:
                await checks.attach(check, subject_id=product.id, connection=connection)
            await record_event(provider=member.provider, action="product_edit", connection=connection, user=user,
                               role=Role.applicant, payload={"product_id": product.id, "name": values["name"],
                                                             "held": screened.get("text_check") is TextCheck.held})
    except BaseException:
        await checks.discard(check)
        raise
    product.update_from_dict({**values, **screened})
    return product


async def withdraw_product(*, product_id: int, provider_id: int, user: WeChatUser | None = None,
                           staff: Staff | None = None, reason: str = "") -> ProviderProduct:
    """Take a product off the list (a member, or staff with a reason). Engagements already
    requested carry on; no new ones can start."""
    if user is not None:
        await require_member(user=user, provider_id=provider_id)
    elif staff is None:
        raise ValueError("withdraw_product needs a user or staff")
    elif not (reason or "").strip():
        raise ProviderError("请填写下架原因", code="reason_required", field="reason")
    product = await _own_product(provider_id, product_id)
    async with in_transaction() as connection:
        updated = await ProviderProduct.filter(id=product.id, is_active=True).using_db(connection).update(
            is_active=False, withdrawn_at=now(), updated_at=now()
        )
        if updated:
            await record_event(provider=product.provider, action="product_withdraw", connection=connection, user=user,
                               staff=staff, reason=(reason or "").strip(), role=Role.staff if staff else Role.applicant,
                               payload={"product_id": product.id, "name": product.name}, notify=staff is not None)
            if staff is not None:
                await audit.record(staff=staff, action="provider.product_withdraw", target_type="provider_product",
                                   target_id=product.id, detail={"reason": reason})
    product.is_active = False
    return product


async def products_of(*, provider_id: int, active_only: bool = True) -> list[ProviderProduct]:
    query = ProviderProduct.filter(provider_id=provider_id)
    if active_only:
        query = query.filter(is_active=True)
    return list(await query.order_by("-is_active", "-id"))
