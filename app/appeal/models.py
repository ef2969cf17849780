"""Appeals (企业诉求): the case, its timeline, its handlers and its attachments.

The status column is only ever changed through the appeal state machine (a later
module); every change writes an `AppealEvent`, so the timeline is the audit trail.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import District, LabelledEnum


class AppealChannel(LabelledEnum):
    official_account = "official_account", "公众号"
    miniprogram = "miniprogram", "小程序"
    hotline_12345 = "hotline_12345", "12345热线"
    open311 = "open311", "外部系统"
    forwarded = "forwarded", "部门转办"
    walk_in = "walk_in", "服务中心代办"


class AppealStatus(LabelledEnum):
    submitted = "submitted", "已提交"
    held = "held", "待内容审核"
    accepted = "accepted", "已受理"
    declined = "declined", "不予受理"
    dispatched = "dispatched", "已分派"
    in_progress = "in_progress", "办理中"
    replied = "replied", "已答复"
    confirmed = "confirmed", "已确认"
    closed = "closed", "已办结"


class Satisfaction(LabelledEnum):
    """The national 好差评 five levels."""

    very_satisfied = "very_satisfied", "非常满意"
    satisfied = "satisfied", "满意"
    basically_satisfied = "basically_satisfied", "基本满意"
    dissatisfied = "dissatisfied", "不满意"
    very_dissatisfied = "very_dissatisfied", "非常不满意"


class Appeal(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True, description="shown to the enterprise")
    channel = fields.CharEnumField(AppealChannel, max_length=24)
    external_id = fields.CharField(max_length=64, null=True, description="e.g. the 12345 ticket number")
    idempotency_key = fields.CharField(max_length=128, null=True, unique=True)
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="appeals", null=True, on_delete=fields.RESTRICT)
    submitter = fields.ForeignKeyField("qiyun.WeChatUser", related_name="appeals", null=True, on_delete=fields.SET_NULL)
    contact_name = fields.CharField(max_length=50, default="")
    contact_phone = fields.CharField(max_length=20, default="")
    category = fields.CharField(max_length=32)
    title = fields.CharField(max_length=200)
    description = fields.TextField()
    district = fields.CharEnumField(District, max_length=6, null=True)
    status = fields.CharEnumField(AppealStatus, max_length=16, default=AppealStatus.submitted)
    lead_organisation = fields.ForeignKeyField(
        "qiyun.Organisation", related_name="led_appeals", null=True, on_delete=fields.RESTRICT
    )
    accept_due_at = fields.DatetimeField(null=True)
    respond_due_at = fields.DatetimeField(null=True)
    resolve_due_at = fields.DatetimeField(null=True)
    accepted_at = fields.DatetimeField(null=True)
    first_response_at = fields.DatetimeField(null=True)
    replied_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    resolved = fields.BooleanField(null=True, description="the enterprise's own verdict")
    satisfaction = fields.CharEnumField(Satisfaction, max_length=24, null=True)
    reopen_count = fields.IntField(default=0)
    duplicate_of = fields.ForeignKeyField("qiyun.Appeal", related_name="duplicates", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "appeal"
        unique_together = (("channel", "external_id"),)
        indexes = (("status", "created_at"), ("lead_organisation_id", "status"), ("district", "created_at"))


class AppealEvent(Model):
    id = fields.BigIntField(primary_key=True)
    appeal = fields.ForeignKeyField("qiyun.Appeal", related_name="events", on_delete=fields.CASCADE)
    action = fields.CharField(max_length=32)
    from_status = fields.CharEnumField(AppealStatus, max_length=16, null=True)
    to_status = fields.CharEnumField(AppealStatus, max_length=16, null=True)
    staff = fields.ForeignKeyField("qiyun.Staff", related_name="appeal_events", null=True, on_delete=fields.SET_NULL)
    user = fields.ForeignKeyField("qiyun.WeChatUser", related_name="appeal_events", null=True, on_delete=fields.SET_NULL)
    organisation = fields.ForeignKeyField(
        "qiyun.Organisation", related_name="appeal_events", null=True, on_delete=fields.SET_NULL
    )
    text = fields.TextField(default="")
    internal = fields.BooleanField(default=False, description="internal notes never reach the enterprise")
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "appeal_event"
        indexes = (("appeal_id", "created_at"),)


class AppealAssignment(Model):
    """Who is handling an appeal: one lead and any co-handlers."""

    id = fields.IntField(primary_key=True)
    appeal = fields.ForeignKeyField("qiyun.Appeal", related_name="assignments", on_delete=fields.CASCADE)
    organisation = fields.ForeignKeyField("qiyun.Organisation", related_name="assignments", on_delete=fields.RESTRICT)
    is_lead = fields.BooleanField(default=True)
    assigned_at = fields.DatetimeField(auto_now_add=True)
    released_at = fields.DatetimeField(null=True)

    class Meta:
        table = "appeal_assignment"
        indexes = (("organisation_id", "released_at"),)


class AppealAttachment(Model):
    id = fields.IntField(primary_key=True)
    appeal = fields.ForeignKeyField("qiyun.Appeal", related_name="attachments", on_delete=fields.CASCADE)
    event = fields.ForeignKeyField("qiyun.AppealEvent", related_name="attachments", null=True, on_delete=fields.SET_NULL)
    filename = fields.CharField(max_length=200)
    content_type = fields.CharField(max_length=100)
    size = fields.IntField()
    storage_key = fields.CharField(max_length=300)
    check_trace_id = fields.CharField(max_length=64, null=True, db_index=True, description="media_check_async")
    check_result = fields.CharField(max_length=16, default="", description="pass, review, risky")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "appeal_attachment"
