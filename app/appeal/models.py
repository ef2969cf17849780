"""Appeals (企业诉求): the case, its timeline, its handlers and its attachments.

The status column is only ever changed through the state machine in `app.appeal.workflow`
(applied by `app.appeal.service`); every change writes an `AppealEvent`, so the timeline is
the audit trail.
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
    closed = "closed", "已办结"


class CloseReason(LabelledEnum):
    """How a closed appeal ended (the enterprise's verdict, or why there is none)."""

    resolved = "resolved", "已解决"
    unresolved = "unresolved", "未解决"
    unrated = "unrated", "未评价"
    merged = "merged", "合并办理"


class ContactPreference(LabelledEnum):
    wechat = "wechat", "微信消息"
    phone = "phone", "电话联系"
    none = "none", "无需联系"


class SupervisionStage(LabelledEnum):
    accept = "accept", "受理"
    respond = "respond", "响应"
    resolve = "resolve", "办结"
    confirm = "confirm", "评价"


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
    source_client = fields.CharField(max_length=64, default="", description="Open311 client or forwarding system")
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="appeals", null=True, on_delete=fields.RESTRICT)
    enterprise_name = fields.CharField(max_length=200, default="", description="as given, when not in the register")
    submitter = fields.ForeignKeyField("qiyun.WeChatUser", related_name="appeals", null=True, on_delete=fields.SET_NULL)
    contact_name = fields.CharField(max_length=50, default="")
    contact_phone = fields.CharField(max_length=20, default="")
    contact_preference = fields.CharEnumField(ContactPreference, max_length=8, default=ContactPreference.wechat)
    category = fields.CharField(max_length=32)
    title = fields.CharField(max_length=200)
    description = fields.TextField()
    district = fields.CharEnumField(District, max_length=6, null=True)
    address = fields.CharField(max_length=200, default="")
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    status = fields.CharEnumField(AppealStatus, max_length=16, default=AppealStatus.submitted)
    hold_reason = fields.CharField(max_length=200, default="", description="why the content check held it")
    decline_reason = fields.TextField(default="", description="shown to the enterprise")
    owner_organisation = fields.ForeignKeyField(
        "qiyun.Organisation", related_name="owned_appeals", null=True, on_delete=fields.RESTRICT,
        description="the dispatching organisation (coordination office, or a district for its own intake)",
    )
    lead_organisation = fields.ForeignKeyField(
        "qiyun.Organisation", related_name="led_appeals", null=True, on_delete=fields.RESTRICT
    )
    accept_due_at = fields.DatetimeField(null=True)
    respond_due_at = fields.DatetimeField(null=True)
    resolve_due_at = fields.DatetimeField(null=True)
    confirm_due_at = fields.DatetimeField(null=True)
    accepted_at = fields.DatetimeField(null=True)
    dispatched_at = fields.DatetimeField(null=True)
    escalated_at = fields.DatetimeField(null=True)
    first_response_at = fields.DatetimeField(null=True)
    replied_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    resolved = fields.BooleanField(null=True, description="the enterprise's own verdict")
    satisfaction = fields.CharEnumField(Satisfaction, max_length=24, null=True)
    satisfaction_comment = fields.TextField(default="")
    close_reason = fields.CharEnumField(CloseReason, max_length=16, null=True)
    reopen_count = fields.IntField(default=0)
    dispatch_count = fields.IntField(
        default=0, description="dispatches so far (dispatch, redispatch, escalate): the supervision round"
    )
    flag = fields.CharField(
        max_length=24, default="",
        description="what awaits whom besides the status: transfer_requested, info_requested, supplemented, returned",
    )
    version = fields.IntField(default=0, description="optimistic lock: every transition bumps it")
    duplicate_of = fields.ForeignKeyField("qiyun.Appeal", related_name="duplicates", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "appeal"
        unique_together = (("channel", "external_id"),)
        indexes = (
            ("status", "created_at"),
            ("lead_organisation_id", "status"),
            ("district", "created_at"),
            ("submitter_id", "created_at"),
            ("enterprise_id", "created_at"),
            ("updated_at",),
        )


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
        # (appeal, action, id): the measures' attribution reads "the latest reply / assignment
        # of this appeal" for reopened appeals; without it PostgreSQL walks the primary key
        # backwards through every event of the city to find one appeal's latest reply.
        indexes = (("appeal_id", "created_at"), ("appeal_id", "action", "id"))


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
    check_result = fields.CharField(max_length=16, default="", description="pending, pass, review, risky")
    sha256 = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "appeal_attachment"


class AppealSupervision(Model):
    """One reminder or supervision notice (督办) for one deadline of one round of an appeal.

    The unique key (appeal, stage, level, round) is what makes "exactly one 督办" hold with
    any number of workers: whoever inserts the row sends the notice; everyone else meets
    the constraint and does nothing. Level 0 is the reminder before the deadline; 1 goes
    to the responsible organisation, 2 to its supervisor, 3 to the coordination office.
    """

    id = fields.IntField(primary_key=True)
    appeal = fields.ForeignKeyField("qiyun.Appeal", related_name="supervisions", on_delete=fields.CASCADE)
    stage = fields.CharEnumField(SupervisionStage, max_length=8)
    level = fields.SmallIntField()
    round = fields.SmallIntField(default=0, description="the appeal's dispatch_count when it fell due")
    organisation = fields.ForeignKeyField(
        "qiyun.Organisation", related_name="supervisions", null=True, on_delete=fields.SET_NULL
    )
    due_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "appeal_supervision"
        unique_together = (("appeal_id", "stage", "level", "round"),)
        indexes = (("organisation_id", "created_at"),)


class AppealRoutingRule(Model):
    """Dispatch help, rules first: category and/or district and/or keywords -> organisation.

    The most specific active rule that matches wins (more conditions first, then priority).
    """

    id = fields.IntField(primary_key=True)
    category = fields.CharField(max_length=32, default="", description="empty: any category")
    district = fields.CharEnumField(District, max_length=6, null=True, description="null: any district")
    keywords = fields.CharField(max_length=300, default="", description="separated by 、 or commas, any one matches")
    organisation = fields.ForeignKeyField("qiyun.Organisation", related_name="routing_rules", on_delete=fields.CASCADE)
    priority = fields.IntField(default=0)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "appeal_routing_rule"
