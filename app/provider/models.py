"""Professional service providers: admission, products, reputation and dynamic management.

A provider's life is one status (`ProviderStatus`) moved only by `app.provider.workflow`'s
transition table; every step and every other thing that matters to it (a complaint, a
rating excluded by staff, a profile edit) is a `ProviderEvent` row — the timeline staff and
the provider's members read. Reputation columns (`score`, `rating_count`, ...) are derived
by `app.provider.reputation` and written by `app.provider.management.refresh_provider`.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import District, LabelledEnum


class ServiceCategory(LabelledEnum):
    """The plan's ten professional service categories."""

    financing = "financing", "投融资"
    innovation = "innovation", "科技创新"
    ip = "ip", "知识产权"
    entrepreneurship = "entrepreneurship", "创业服务"
    legal = "legal", "法律服务"
    market = "market", "市场拓展"
    agency = "agency", "商务代理"
    hr = "hr", "人力资源"
    consulting = "consulting", "管理咨询"
    listing = "listing", "改制上市"


class ProviderStatus(LabelledEnum):
    applied = "applied", "待审核"
    needs_info = "needs_info", "待补充材料"
    admitted = "admitted", "已入驻"
    refused = "refused", "未通过"
    warned = "warned", "预警"
    suspended = "suspended", "已暂停"


class TextCheck(LabelledEnum):
    """Where provider-written public text stands with WeChat's content check (`app.provider.checks`)."""

    passed = "passed", "已通过"
    held = "held", "待人工审核"
    approved = "approved", "人工审核通过"
    refused = "refused", "审核未通过"


PUBLIC_TEXT_STATES: tuple[TextCheck, ...] = (TextCheck.passed, TextCheck.approved)
"""A product whose text is in one of these may be shown to the public."""


class Provider(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    credit_code = fields.CharField(max_length=18, unique=True)
    category = fields.CharEnumField(ServiceCategory, max_length=24)
    description = fields.TextField(default="")
    credentials = fields.JSONField(default=list)
    contact_name = fields.CharField(max_length=50, default="")
    contact_phone = fields.CharField(max_length=20, default="")
    status = fields.CharEnumField(ProviderStatus, max_length=16, default=ProviderStatus.applied)
    status_reason = fields.CharField(max_length=300, default="")
    score = fields.FloatField(null=True, description="Bayesian average, recomputed on each rating")
    rating_count = fields.IntField(default=0)
    completion_rate = fields.FloatField(null=True)
    admitted_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    district = fields.CharEnumField(District, max_length=6, null=True)
    address = fields.CharField(max_length=300, default="")
    applicant = fields.ForeignKeyField(
        "qiyun.WeChatUser", related_name="provider_applications", null=True, on_delete=fields.SET_NULL,
        description="who applied from the mini-program (null: registered by staff)",
    )
    registered_by = fields.ForeignKeyField(
        "qiyun.Staff", related_name="registered_providers", null=True, on_delete=fields.SET_NULL,
    )
    invite_code = fields.CharField(
        max_length=16, null=True, unique=True, description="lets the provider's staff join its desk in the mini-program"
    )
    version = fields.IntField(default=0, description="bumped by every status step: the conditional-update guard")
    status_by_system = fields.BooleanField(
        default=False, description="the current warning or suspension was set by the rules, not by staff"
    )
    submitted_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)
    raw_average = fields.FloatField(null=True, description="plain mean of counting ratings")
    dimension_averages = fields.JSONField(default=dict, description="dimension label -> mean of counting ratings")
    ranked = fields.BooleanField(default=False, description="enough ratings to be ranked by score (PROVIDER_MIN_RATINGS)")
    completion_counts = fields.JSONField(default=dict, description="completed and failed engagements behind completion_rate")
    reputation_at = fields.DatetimeField(null=True, description="when the reputation columns were last computed")
    pending_profile = fields.JSONField(
        default=dict, description="name/description of a profile edit held by the content check (not public yet)"
    )
    profile_check_id = fields.BigIntField(
        null=True, description="content_check of profile text not cleared yet (held, or refused before admission)"
    )

    class Meta:
        table = "provider"
        indexes = (("status", "category"), ("status", "ranked", "score"))


class PricingMode(LabelledEnum):
    fixed = "fixed", "标价"
    free = "free", "免费"
    negotiable = "negotiable", "面议"


class ProviderProduct(Model):
    id = fields.IntField(primary_key=True)
    provider = fields.ForeignKeyField("qiyun.Provider", related_name="products", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    audience = fields.CharField(max_length=300, default="")
    price = fields.DecimalField(max_digits=12, decimal_places=2, null=True, description="null = free")
    government_purchased = fields.BooleanField(default=False)
    delivery_days = fields.IntField(null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    pricing = fields.CharEnumField(PricingMode, max_length=12, default=PricingMode.fixed)
    category = fields.CharEnumField(ServiceCategory, max_length=24, null=True, description="null: the provider's category")
    updated_at = fields.DatetimeField(auto_now=True)
    withdrawn_at = fields.DatetimeField(null=True)
    text_check = fields.CharEnumField(
        TextCheck, max_length=12, default=TextCheck.passed, description="public only when passed or approved"
    )
    check_id = fields.BigIntField(null=True, description="the content_check row of the current text")

    class Meta:
        table = "provider_product"
        indexes = (("provider_id", "is_active"),)


class MemberRole(LabelledEnum):
    owner = "owner", "负责人"
    agent = "agent", "服务专员"


class ProviderMember(Model):
    """A person (by WeChat) who acts for a provider: its applicant, or someone who joined by
    the provider's invitation code. Providers work from the mini-program's provider desk;
    staff act on their behalf in the admin."""

    id = fields.IntField(primary_key=True)
    provider = fields.ForeignKeyField("qiyun.Provider", related_name="members", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("qiyun.WeChatUser", related_name="provider_memberships", on_delete=fields.CASCADE)
    role = fields.CharEnumField(MemberRole, max_length=16, default=MemberRole.agent)
    joined_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "provider_member"
        unique_together = (("provider", "user"),)


class ProviderEvent(Model):
    """One entry of a provider's timeline: a status step (from/to), or a thing that happened
    to it (a complaint decided, a rating excluded, a profile edit). `reason` is what the
    provider is told. `payload` holds the facts behind an automatic step (score, thresholds)."""

    id = fields.IntField(primary_key=True)
    provider = fields.ForeignKeyField("qiyun.Provider", related_name="events", on_delete=fields.CASCADE)
    action = fields.CharField(max_length=32)
    from_status = fields.CharEnumField(ProviderStatus, max_length=16, null=True)
    to_status = fields.CharEnumField(ProviderStatus, max_length=16, null=True)
    staff = fields.ForeignKeyField("qiyun.Staff", related_name="provider_events", null=True, on_delete=fields.SET_NULL)
    user = fields.ForeignKeyField("qiyun.WeChatUser", related_name="provider_events", null=True, on_delete=fields.SET_NULL)
    by = fields.CharField(max_length=64, default="", description="how the timeline names the actor")
    reason = fields.TextField(default="")
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "provider_event"
        indexes = (("provider_id", "id"),)


class AdmissionCriterion(Model):
    """One published admission criterion: for a category, or for all (category null).
    Applicants read them before applying, reviewers tick them off."""

    id = fields.IntField(primary_key=True)
    category = fields.CharEnumField(ServiceCategory, max_length=24, null=True)
    title = fields.CharField(max_length=100)
    description = fields.TextField(default="")
    position = fields.IntField(default=0)
    is_active = fields.BooleanField(default=True)
    updated_by = fields.ForeignKeyField("qiyun.Staff", related_name="provider_criteria", null=True, on_delete=fields.SET_NULL)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "provider_criterion"
        indexes = (("category", "is_active", "position"),)


class ComplaintStatus(LabelledEnum):
    open = "open", "待核实"
    upheld = "upheld", "投诉属实"
    dismissed = "dismissed", "投诉不成立"


class ProviderComplaint(Model):
    """An enterprise's complaint about a provider. Upheld ones count towards warnings and
    suspension (PROVIDER_*_COMPLAINTS within PROVIDER_COMPLAINT_WINDOW_DAYS of the decision)."""

    id = fields.IntField(primary_key=True)
    provider = fields.ForeignKeyField("qiyun.Provider", related_name="complaints", on_delete=fields.CASCADE)
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="provider_complaints", on_delete=fields.CASCADE)
    engagement = fields.ForeignKeyField("qiyun.Engagement", related_name="complaints", null=True, on_delete=fields.SET_NULL)
    filed_by = fields.ForeignKeyField("qiyun.WeChatUser", related_name="provider_complaints", null=True, on_delete=fields.SET_NULL)
    text = fields.TextField()
    status = fields.CharEnumField(ComplaintStatus, max_length=12, default=ComplaintStatus.open)
    decided_by = fields.ForeignKeyField("qiyun.Staff", related_name="decided_complaints", null=True, on_delete=fields.SET_NULL)
    decision_reason = fields.TextField(default="")
    decided_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "provider_complaint"
        indexes = (("provider_id", "status", "decided_at"),)
