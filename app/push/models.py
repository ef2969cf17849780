"""Push campaigns and their delivery ledger: one row per recipient, so nothing is sent twice.

The ledger row is the unit of work and of proof. Workers claim rows (status `sending`
with a lease), send, and write the outcome; a row whose lease runs out is taken over by
another worker. The claim columns hold epoch milliseconds (not datetimes) so the claim
SQL compares plain integers on SQLite and PostgreSQL alike.
"""

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
    sending = "sending", "发送中"
    sent = "sent", "已发送"
    delivered = "delivered", "已送达"
    failed = "failed", "失败"
    skipped = "skipped", "已跳过"


class DeliveryReason(LabelledEnum):
    """Why a row was skipped or failed (the admin's "failures by reason")."""

    muted = "muted", "粉丝已退订该类推送"
    already_received = "already_received", "粉丝已收到过该政策的推送"
    frequency_cap = "frequency_cap", "超过每周推送次数上限"
    unsubscribed = "unsubscribed", "粉丝已取消关注"
    unreachable = "unreachable", "粉丝此前已无法送达"
    cancelled = "cancelled", "活动已取消"
    policy_not_pushable = "policy_not_pushable", "政策已过期或不再发布"
    not_follower = "not_follower", "非关注用户（43004）"
    invalid_openid = "invalid_openid", "openid 无效（40003）"
    user_block = "user_block", "用户拒收（failed:user block）"
    system_failed = "system_failed", "微信系统失败（failed: system failed）"
    no_grant = "no_grant", "用户无订阅授权（43101）"
    retries_exhausted = "retries_exhausted", "多次重试仍失败（系统繁忙或超时）"
    unknown_outcome = "unknown_outcome", "发送结果未知，为避免重复不再重发"
    rejected = "rejected", "微信拒绝发送"
    template_error = "template_error", "消息内容不符合模板要求"


class MuteScope(LabelledEnum):
    """What a follower muted: one support type (the policy's `SupportType` values) or all pushes."""

    all = "all", "全部政策推送"
    subsidy = "subsidy", "资金补贴"
    tax = "tax", "税收优惠"
    qualification = "qualification", "资质认定"
    financing = "financing", "融资支持"
    talent = "talent", "人才服务"
    premises = "premises", "场地支持"
    other = "other", "其他"


class PushCampaign(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    policy = fields.ForeignKeyField("qiyun.Policy", related_name="campaigns", null=True, on_delete=fields.RESTRICT)
    template_name = fields.CharField(max_length=64, description="a definition in templates_msg")
    audience = fields.JSONField(default=dict, description="how recipients were chosen")
    status = fields.CharEnumField(CampaignStatus, max_length=16, default=CampaignStatus.draft)
    pause_reason = fields.CharField(max_length=200, default="")  # why it is paused or was stopped
    pause_code = fields.CharField(max_length=32, default="", description="staff, 45009, quota, token, template ...")
    support_type = fields.CharField(max_length=24, default="", description="support type of the policy, for mutes (empty: none)")
    frequency_capped = fields.BooleanField(default=True, description="counts toward the per-follower weekly cap")
    template_values = fields.JSONField(default=dict, description="template context beyond the values of the policy")
    message = fields.JSONField(null=True, description="the rendered message, fixed when the campaign starts")
    scheduled_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    total = fields.IntField(default=0)
    created_by = fields.ForeignKeyField("qiyun.Staff", related_name="campaigns", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "push_campaign"
        indexes = (("status", "scheduled_at"),)


class PushDelivery(Model):
    id = fields.BigIntField(primary_key=True)
    campaign = fields.ForeignKeyField("qiyun.PushCampaign", related_name="deliveries", on_delete=fields.CASCADE)
    follower = fields.ForeignKeyField("qiyun.Follower", related_name="deliveries", on_delete=fields.CASCADE)
    openid = fields.CharField(max_length=64)
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.queued)
    reason = fields.CharField(max_length=32, default="", description="DeliveryReason code when skipped or failed")
    wechat_msgid = fields.BigIntField(null=True)
    errcode = fields.IntField(null=True)
    error = fields.CharField(max_length=200, default="")
    attempts = fields.IntField(default=0)
    uncertain = fields.BooleanField(default=False, description="an attempt may have reached WeChat unanswered")
    claimed_by = fields.CharField(max_length=64, null=True, description="the worker holding the row")
    lease_until = fields.BigIntField(null=True, description="epoch ms the claim expires")
    retry_at = fields.BigIntField(null=True, description="epoch ms before which a queued retry waits")
    first_attempt_at = fields.BigIntField(null=True, description="epoch ms of the first claim (dedup window)")
    queued_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "push_delivery"
        unique_together = (("campaign", "follower"),)
        indexes = (("campaign_id", "status", "id"), ("wechat_msgid",), ("follower_id", "sent_at"))


class PushMute(Model):
    """退订 by a follower: one support type, or `all`. Rows exist only while muted."""

    id = fields.IntField(primary_key=True)
    follower = fields.ForeignKeyField("qiyun.Follower", related_name="push_mutes", on_delete=fields.CASCADE)
    scope = fields.CharEnumField(MuteScope, max_length=24)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "push_mute"
        unique_together = (("follower", "scope"),)
