"""Engagements of a provider's product by an enterprise, their timeline and ratings."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


class EngagementStatus(LabelledEnum):
    requested = "requested", "已申请"
    accepted = "accepted", "服务中"
    delivered = "delivered", "已交付"
    completed = "completed", "已完成"
    declined = "declined", "已拒绝"
    cancelled = "cancelled", "已取消"


class Engagement(Model):
    id = fields.IntField(primary_key=True)
    provider = fields.ForeignKeyField("qiyun.Provider", related_name="engagements", on_delete=fields.RESTRICT)
    product = fields.ForeignKeyField("qiyun.ProviderProduct", related_name="engagements", on_delete=fields.RESTRICT)
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="engagements", on_delete=fields.RESTRICT)
    requested_by = fields.ForeignKeyField("qiyun.WeChatUser", related_name="engagements", null=True, on_delete=fields.SET_NULL)
    status = fields.CharEnumField(EngagementStatus, max_length=16, default=EngagementStatus.requested)
    note = fields.TextField(default="")
    requested_at = fields.DatetimeField(auto_now_add=True)
    accepted_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "engagement"
        indexes = (("provider_id", "status"), ("enterprise_id", "status"))


class ProviderRating(Model):
    """One rating per completed engagement, by the engaging enterprise."""

    id = fields.IntField(primary_key=True)
    engagement = fields.OneToOneField("qiyun.Engagement", related_name="rating", on_delete=fields.CASCADE)
    provider = fields.ForeignKeyField("qiyun.Provider", related_name="ratings", on_delete=fields.CASCADE)
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="provider_ratings", on_delete=fields.CASCADE)
    overall = fields.SmallIntField(description="1-5")
    dimensions = fields.JSONField(default=dict, description="专业能力, 响应速度, 服务态度, 收费合理: 1-5 each")
    comment = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "provider_rating"
        indexes = (("provider_id", "created_at"),)
