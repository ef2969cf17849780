"""Request and response models of the provider endpoints (专业服务机构).

Limits here only bound the request; the rules a person is told about in Chinese (credit
code, description length, phone format, price) are the provider service's
(`app.provider.admission`, `app.provider.products`), so every channel applies the same ones.
Public responses carry no phone number and name rating enterprises only masked.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.provider.admission import CredentialIn, ProviderDraft
from app.provider.models import (
    AdmissionCriterion,
    PricingMode,
    Provider,
    ProviderComplaint,
    ProviderEvent,
    ProviderMember,
    ProviderProduct,
    ProviderStatus,
    ServiceCategory,
    TextCheck,
)
from app.provider.products import ProductDraft, price_text
from app.provider.queries import SORTS, RatingView, event_label, reputation_of

_BODY = ConfigDict(extra="forbid", str_strip_whitespace=True)
_QUERY = ConfigDict(extra="ignore", str_strip_whitespace=True)


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _label(enum_type, value) -> str:
    return enum_type(value).label if value else ""


# -- requests ------------------------------------------------------------------


class ProviderListQuery(BaseModel):
    model_config = _QUERY

    category: ServiceCategory | None = Field(default=None, title="服务类别", description="类别代码，见 GET /provider-categories")
    q: str = Field(default="", title="关键词", description="机构名称、介绍或产品名称中的词", max_length=30)
    sort: str = Field(default="score", title="排序", description="score 综合评分（默认）/ ratings 评价数 / newest 最新入驻",
                      pattern="^(score|ratings|newest)$")
    cursor: str | None = Field(default=None, max_length=200, title="分页游标")
    limit: int = Field(default=20, ge=1, le=50, title="每页条数")

    blank_category = field_validator("category", mode="before")(_blank_to_none)


class CriteriaQuery(BaseModel):
    model_config = _QUERY

    category: ServiceCategory | None = Field(default=None, title="服务类别", description="不传则返回全部类别的标准")

    blank_category = field_validator("category", mode="before")(_blank_to_none)


class CredentialBody(BaseModel):
    model_config = _BODY

    name: str = Field(title="资质名称", min_length=1, max_length=100)
    number: str = Field(default="", title="证书编号", max_length=64)
    expires_on: date | None = Field(default=None, title="有效期至", description="长期有效可不填")

    blank_expiry = field_validator("expires_on", mode="before")(_blank_to_none)


class ProviderProfileBody(BaseModel):
    """Fields of an application or a profile edit."""

    model_config = _BODY

    name: str = Field(title="机构名称", min_length=1, max_length=200)
    category: str = Field(title="服务类别", description="类别代码或名称，如 ip / 知识产权", min_length=1, max_length=24)
    description: str = Field(title="机构介绍", description="至少 10 个字", min_length=1, max_length=4000)
    district: str = Field(default="", title="所在区", description="行政区划代码或名称，如 310115 / 浦东新区", max_length=10)
    address: str = Field(default="", title="地址", max_length=300)
    contact_name: str = Field(title="联系人", min_length=1, max_length=50)
    contact_phone: str = Field(title="联系电话", min_length=1, max_length=20)
    credentials: list[CredentialBody] = Field(default_factory=list, title="资质", max_length=20)

    def draft(self, credit_code: str = "") -> ProviderDraft:
        return ProviderDraft(
            name=self.name, credit_code=credit_code, category=self.category, description=self.description,
            district=self.district, address=self.address, contact_name=self.contact_name,
            contact_phone=self.contact_phone,
            credentials=[CredentialIn(name=c.name, number=c.number, expires_on=c.expires_on) for c in self.credentials],
        )


class ApplicationBody(ProviderProfileBody):
    credit_code: str = Field(title="统一社会信用代码", description="18 位统一社会信用代码", min_length=1, max_length=40)


class ResubmitBody(BaseModel):
    model_config = _BODY

    note: str = Field(default="", title="补充说明", description="对审核意见的答复（可选）", max_length=1000)


class JoinBody(BaseModel):
    model_config = _BODY

    code: str = Field(title="邀请码", description="服务机构负责人提供的 8 位邀请码", min_length=1, max_length=16)


class ProductBody(BaseModel):
    model_config = _BODY

    name: str = Field(title="产品名称", min_length=1, max_length=100)
    description: str = Field(default="", title="产品介绍", max_length=2000)
    audience: str = Field(default="", title="服务对象", description="适合哪些企业", max_length=300)
    pricing: PricingMode = Field(default=PricingMode.fixed, title="收费方式", description="fixed 标价 / free 免费 / negotiable 面议")
    price: Decimal | None = Field(default=None, title="价格（元）", description="标价时必填")
    government_purchased: bool = Field(default=False, title="政府购买服务")
    delivery_days: int | None = Field(default=None, title="交付周期（天）", ge=1, le=365)
    category: ServiceCategory | None = Field(default=None, title="服务类别", description="不填为机构的类别")

    @field_validator("pricing", mode="before")
    @classmethod
    def _pricing_by_label(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return PricingMode.from_label_or_code(value)
            except ValueError:
                return value
        return value

    def draft(self) -> ProductDraft:
        return ProductDraft(name=self.name, description=self.description, audience=self.audience,
                            pricing=self.pricing.value, price=self.price, government_purchased=self.government_purchased,
                            delivery_days=self.delivery_days, category=self.category.value if self.category else "")


class ComplaintBody(BaseModel):
    model_config = _BODY

    provider_id: int = Field(title="服务机构", ge=1)
    enterprise_id: int = Field(title="投诉企业", description="我已绑定的企业编号（GET /me/enterprises）", ge=1)
    engagement_id: int | None = Field(default=None, title="相关服务订单", ge=1)
    text: str = Field(title="投诉内容", description="至少 10 个字", min_length=1, max_length=2000)


# -- responses -----------------------------------------------------------------


class CategoryOut(BaseModel):
    code: str
    label: str


class CategoriesOut(BaseModel):
    items: list[CategoryOut]
    sorts: dict[str, str] = Field(description="可用的排序方式")


class ReputationOut(BaseModel):
    score: float | None = Field(description="综合评分（贝叶斯平均，1–5）；无评价时为 null")
    rating_count: int = Field(description="计入评分的评价数")
    raw_average: float | None = Field(description="评价的算术平均")
    few_ratings: bool = Field(description="评价较少：排在评价充足的机构之后")
    dimensions: dict[str, float] = Field(description="分项平均：专业能力、响应速度、服务态度、收费合理")
    completion_rate: float | None = Field(description="服务完成率（0–1）：已完成 /（已完成 + 婉拒 + 机构取消）")

    @classmethod
    def build(cls, provider: Provider) -> ReputationOut:
        view = reputation_of(provider)
        return cls(score=round(view.score, 2) if view.score is not None and view.rating_count else None,
                   rating_count=view.rating_count, raw_average=round(view.raw_average, 2) if view.raw_average else None,
                   few_ratings=view.few_ratings, dimensions=view.dimensions, completion_rate=view.completion_rate)


class ProviderSummaryOut(BaseModel):
    id: int
    name: str
    category: ServiceCategory
    category_label: str
    district_label: str
    description: str
    status: ProviderStatus
    status_label: str
    reputation: ReputationOut

    @classmethod
    def build(cls, provider: Provider) -> ProviderSummaryOut:
        return cls(id=provider.id, name=provider.name, category=provider.category,
                   category_label=_label(ServiceCategory, provider.category),
                   district_label=provider.district.label if provider.district else "",
                   description=provider.description[:120], status=provider.status,
                   status_label=_label(ProviderStatus, provider.status), reputation=ReputationOut.build(provider))


class ProviderListOut(BaseModel):
    items: list[ProviderSummaryOut]
    total: int
    next_cursor: str | None = Field(description="下一页的游标；为 null 表示没有更多了")


class ProductOut(BaseModel):
    id: int
    provider_id: int
    name: str
    description: str
    audience: str = Field(description="服务对象")
    pricing: PricingMode
    price: Decimal | None = Field(description="标价（元）；免费、面议为 null")
    price_text: str = Field(description="价格的显示文字：¥12,000.00 / 免费 / 面议")
    government_purchased: bool = Field(description="政府购买服务")
    delivery_days: int | None = Field(description="交付周期（天）")
    category: ServiceCategory | None
    category_label: str
    is_active: bool = Field(description="在售；已下架为 false")
    text_check: str = Field(default="passed", description="文字内容检测：passed/approved 公开；held 待人工审核（暂不公开）；refused 审核未通过")
    text_check_label: str = ""

    @classmethod
    def build(cls, product: ProviderProduct) -> ProductOut:
        return cls(id=product.id, provider_id=product.provider_id, name=product.name, description=product.description,
                   audience=product.audience, pricing=product.pricing,
                   price=Decimal(product.price) if product.price is not None else None, price_text=price_text(product),
                   government_purchased=product.government_purchased, delivery_days=product.delivery_days,
                   category=product.category, category_label=_label(ServiceCategory, product.category),
                   is_active=product.is_active, text_check=TextCheck(product.text_check).value,
                   text_check_label=TextCheck(product.text_check).label)


class ProductsOut(BaseModel):
    items: list[ProductOut]


class RatingOut(BaseModel):
    overall: int = Field(description="总体评分 1–5")
    dimensions: dict[str, int]
    comment: str = Field(description="评语（通过内容审核后才显示）")
    enterprise: str = Field(description="评价企业（部分隐去）")
    created_at: datetime

    @classmethod
    def build(cls, view: RatingView) -> RatingOut:
        return cls(overall=view.rating.overall, dimensions=dict(view.rating.dimensions or {}), comment=view.comment,
                   enterprise=view.enterprise_name, created_at=view.rating.created_at)


class ProviderDetailOut(ProviderSummaryOut):
    full_description: str
    address: str
    credentials: list[dict] = Field(description="资质：名称、编号、有效期")
    admitted_at: datetime | None
    products: list[ProductOut]
    recent_ratings: list[RatingOut]


class CriterionOut(BaseModel):
    id: int
    category: ServiceCategory | None = Field(description="null：适用于全部类别")
    category_label: str
    title: str
    description: str

    @classmethod
    def build(cls, criterion: AdmissionCriterion) -> CriterionOut:
        return cls(id=criterion.id, category=criterion.category,
                   category_label=_label(ServiceCategory, criterion.category) or "通用", title=criterion.title,
                   description=criterion.description)


class CriteriaOut(BaseModel):
    items: list[CriterionOut]


class EventOut(BaseModel):
    id: int
    action: str
    action_label: str = Field(description="这一步的中文名称，如 请补充材料、准予入驻、预警")
    status_label: str = Field(description="该步之后的状态；非状态变化为空")
    by: str
    reason: str
    created_at: datetime

    @classmethod
    def build(cls, event: ProviderEvent) -> EventOut:
        return cls(id=event.id, action=event.action, action_label=event_label(event.action), status_label=_label(ProviderStatus, event.to_status),
                   by=event.by, reason=event.reason, created_at=event.created_at)


class MembershipOut(BaseModel):
    provider_id: int
    provider_name: str
    status: ProviderStatus
    status_label: str
    role: str
    role_label: str

    @classmethod
    def build(cls, member: ProviderMember) -> MembershipOut:
        from app.provider.models import MemberRole

        return cls(provider_id=member.provider_id, provider_name=member.provider.name, status=member.provider.status,
                   status_label=_label(ProviderStatus, member.provider.status), role=str(member.role.value
                   if hasattr(member.role, "value") else member.role), role_label=_label(MemberRole, member.role))


class MembershipsOut(BaseModel):
    items: list[MembershipOut]


class DeskOut(BaseModel):
    """The provider desk: the whole profile, its standing with reasons, the timeline."""

    id: int
    name: str
    credit_code: str
    category: ServiceCategory
    category_label: str
    description: str
    district: str
    address: str
    contact_name: str
    contact_phone: str
    credentials: list[dict]
    status: ProviderStatus
    status_label: str
    status_reason: str = Field(description="最近一次状态变化的原因（补充材料要求、不予入驻原因、预警原因……）")
    invite_code: str = Field(description="邀请本机构人员加入工作台的邀请码（仅负责人可见，其他人为空）")
    my_role: str
    reputation: ReputationOut
    can_publish: bool = Field(description="是否可以发布和修改服务产品（已入驻或预警中）")
    can_resubmit: bool = Field(description="是否可以修改后重新提交申请")
    profile_held: bool = Field(default=False, description="机构资料文字正在人工审核（微信内容安全检测）；通过前公开页面仍显示原文字")
    pending_profile: dict = Field(default_factory=dict, description="待审核的机构名称、介绍（审核通过后生效）")
    timeline: list[EventOut]


class ComplaintOut(BaseModel):
    id: int
    provider_id: int
    status: str
    status_label: str
    created_at: datetime

    @classmethod
    def build(cls, complaint: ProviderComplaint) -> ComplaintOut:
        from app.provider.models import ComplaintStatus

        return cls(id=complaint.id, provider_id=complaint.provider_id, status=ComplaintStatus(complaint.status).value,
                   status_label=ComplaintStatus(complaint.status).label, created_at=complaint.created_at)


class InviteCodeOut(BaseModel):
    invite_code: str


SORT_LABELS = SORTS
