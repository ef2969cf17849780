"""Professional service providers, their products, engagements and ratings."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


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

    class Meta:
        table = "provider"
        indexes = (("status", "category"),)


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

    class Meta:
        table = "provider_product"


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
