"""Engagements of a provider's product by an enterprise, their timeline and ratings.

An engagement's life is one status (`EngagementStatus`) moved only by
`app.engagement.workflow`'s transition table through `app.engagement.service`; every step
is an `EngagementEvent` row (who, when, why). Provider-core reads these tables (read only)
for completion rates and rating aggregates:

* a **completed** engagement is `status = completed`; a **failed** one is `declined`, or
  `cancelled` with `closed_by_role = "provider"` (the provider gave up on accepted work);
  an enterprise's or staff's cancellation is nobody's failure;
* a **counting** rating is `ProviderRating.counts = True` (see there).
"""

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


class EngagementChannel(LabelledEnum):
    miniprogram = "miniprogram", "小程序"
    h5 = "h5", "公众号网页"
    chat = "chat", "公众号对话"
    staff = "staff", "工作人员"
    demo = "demo", "演示数据"


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
    channel = fields.CharEnumField(EngagementChannel, max_length=12, default=EngagementChannel.miniprogram)
    idempotency_key = fields.CharField(max_length=128, null=True, unique=True, description="one request per key")
    open_key = fields.CharField(
        max_length=40, null=True, unique=True,
        description="enterprise:product while open (requested, accepted, delivered), null once closed: "
                    "the database keeps one open engagement per enterprise and product",
    )
    version = fields.IntField(default=0, description="bumped by every step: the conditional-update guard")
    delivery_note = fields.TextField(default="", description="the provider's account of what was delivered")
    status_reason = fields.TextField(default="", description="why it was declined, cancelled or sent back")
    closed_at = fields.DatetimeField(null=True, description="declined or cancelled at")
    closed_by_role = fields.CharField(
        max_length=16, default="", description="enterprise, provider, staff or system: who declined or cancelled it"
    )
    confirm_due_at = fields.DatetimeField(null=True, description="delivered: completed automatically after this")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "engagement"
        indexes = (("provider_id", "status"), ("enterprise_id", "status"), ("status", "confirm_due_at"))


class EngagementEvent(Model):
    """One step of an engagement's timeline: who (an enterprise user, a provider member,
    staff or the system), when, from which status to which, and why."""

    id = fields.IntField(primary_key=True)
    engagement = fields.ForeignKeyField("qiyun.Engagement", related_name="events", on_delete=fields.CASCADE)
    action = fields.CharField(max_length=32)
    from_status = fields.CharEnumField(EngagementStatus, max_length=16, null=True)
    to_status = fields.CharEnumField(EngagementStatus, max_length=16, null=True)
    role = fields.CharField(max_length=16, description="enterprise, provider, staff or system")
    user = fields.ForeignKeyField("qiyun.WeChatUser", related_name="engagement_events", null=True, on_delete=fields.SET_NULL)
    staff = fields.ForeignKeyField("qiyun.Staff", related_name="engagement_events", null=True, on_delete=fields.SET_NULL)
    by = fields.CharField(max_length=100, default="", description="how the timeline names the actor")
    text = fields.TextField(default="", description="the reason or the delivery note")
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "engagement_event"
        indexes = (("engagement_id", "id"),)


class CommentCheck(LabelledEnum):
    """Where a rating's comment stands with WeChat's content check (`app.engagement.checks`)."""

    none = "none", "无评语"
    passed = "passed", "已通过"
    held = "held", "待人工审核"
    approved = "approved", "人工审核通过"
    refused = "refused", "审核未通过"


class ProviderRating(Model):
    """One rating per completed engagement, by the engaging enterprise.

    Given by a person bound to that enterprise. `counts` says whether the rating enters the provider's reputation (provider-core reads
    `ProviderRating.filter(provider_id=..., counts=True)`). It is False while the comment is
    held for review (`comment_check = held`), once a reviewer refused the comment
    (`refused`), and when staff excluded the rating as abuse (`excluded_at` set, with the
    reason and who). Every change to True puts `provider.refresh` in the same transaction.
    """

    id = fields.IntField(primary_key=True)
    engagement = fields.OneToOneField("qiyun.Engagement", related_name="rating", on_delete=fields.CASCADE)
    provider = fields.ForeignKeyField("qiyun.Provider", related_name="ratings", on_delete=fields.CASCADE)
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="provider_ratings", on_delete=fields.CASCADE)
    overall = fields.SmallIntField(description="1-5")
    dimensions = fields.JSONField(default=dict, description="专业能力, 响应速度, 服务态度, 收费合理: 1-5 each")
    comment = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    rated_by = fields.ForeignKeyField("qiyun.WeChatUser", related_name="provider_ratings", null=True, on_delete=fields.SET_NULL)
    channel = fields.CharEnumField(EngagementChannel, max_length=12, default=EngagementChannel.miniprogram)
    idempotency_key = fields.CharField(max_length=128, null=True, description="a retried submission returns this rating")
    counts = fields.BooleanField(default=True, description="enters the provider's reputation (see the class docstring)")
    comment_check = fields.CharEnumField(CommentCheck, max_length=12, default=CommentCheck.none)
    check_id = fields.BigIntField(null=True, description="the content_check row of the comment")
    excluded_at = fields.DatetimeField(null=True)
    excluded_by = fields.ForeignKeyField("qiyun.Staff", related_name="excluded_ratings", null=True, on_delete=fields.SET_NULL)
    excluded_reason = fields.TextField(default="")

    class Meta:
        table = "provider_rating"
        indexes = (("provider_id", "created_at"), ("provider_id", "counts"))
