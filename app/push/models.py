"""Push campaigns and their delivery ledger: one row per recipient, so nothing is sent twice."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


class CampaignStatus(LabelledEnum):
    draft = "draft", "草稿"
    scheduled = "scheduled", "已排期"
    running = "running", "发送中"
    paused = "paused", "已暂停"
    completed = "completed", "已完成"
    cancelled = "cancelled", "已取消"


class DeliveryStatus(LabelledEnum):
    queued = "queued", "排队中"
    sent = "sent", "已发送"
    delivered = "delivered", "已送达"
    failed = "failed", "失败"
    skipped = "skipped", "已跳过"


class PushCampaign(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    policy = fields.ForeignKeyField("qiyun.Policy", related_name="campaigns", null=True, on_delete=fields.RESTRICT)
    template_name = fields.CharField(max_length=64, description="a definition in templates_msg")
    audience = fields.JSONField(default=dict, description="how recipients were chosen")
    status = fields.CharEnumField(CampaignStatus, max_length=16, default=CampaignStatus.draft)
    pause_reason = fields.CharField(max_length=200, default="")
    scheduled_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    total = fields.IntField(default=0)
    created_by = fields.ForeignKeyField("qiyun.Staff", related_name="campaigns", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "push_campaign"


class PushDelivery(Model):
    id = fields.BigIntField(primary_key=True)
    campaign = fields.ForeignKeyField("qiyun.PushCampaign", related_name="deliveries", on_delete=fields.CASCADE)
    follower = fields.ForeignKeyField("qiyun.Follower", related_name="deliveries", on_delete=fields.CASCADE)
    openid = fields.CharField(max_length=64)
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.queued)
    wechat_msgid = fields.BigIntField(null=True)
    errcode = fields.IntField(null=True)
    error = fields.CharField(max_length=200, default="")
    attempts = fields.IntField(default=0)
    queued_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "push_delivery"
        unique_together = (("campaign", "follower"),)
        indexes = (("campaign_id", "status"), ("wechat_msgid",))
