"""The service centre's activity schedule (排片表) and its sign-ups.

Counters kept on the activity row (`confirmed_count`, `waitlist_count`) change only in
the transaction that changes the sign-ups they count, after the activity row is locked
(`app.activity.service`), so they are the truth the capacity rule is checked against.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


class ActivityKind(LabelledEnum):
    training = "training", "培训"
    lecture = "lecture", "讲座"
    roadshow = "roadshow", "路演"
    diagnostic = "diagnostic", "诊断"
    briefing = "briefing", "政策宣讲"


class ActivityStatus(LabelledEnum):
    draft = "draft", "草稿"
    published = "published", "报名中"
    cancelled = "cancelled", "已取消"
    finished = "finished", "已结束"


class SignupStatus(LabelledEnum):
    confirmed = "confirmed", "已报名"
    waitlisted = "waitlisted", "候补"
    cancelled = "cancelled", "已取消"
    checked_in = "checked_in", "已签到"


class SignupChannel(LabelledEnum):
    miniprogram = "miniprogram", "小程序"
    chat = "chat", "公众号"
    admin = "admin", "工作人员代报"


class Activity(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    kind = fields.CharEnumField(ActivityKind, max_length=16)
    description = fields.TextField(default="")
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    place = fields.CharField(max_length=200)
    capacity = fields.IntField()
    confirmed_count = fields.IntField(default=0, description="kept with the sign-ups in one transaction")
    audience = fields.CharField(max_length=300, default="")
    organiser = fields.ForeignKeyField("qiyun.Organisation", related_name="activities", null=True, on_delete=fields.SET_NULL)
    status = fields.CharEnumField(ActivityStatus, max_length=16, default=ActivityStatus.draft)
    signup_deadline = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    organiser_name = fields.CharField(
        max_length=200, default="", description="free-text organiser when it is not one of our organisations"
    )
    waitlist_count = fields.IntField(default=0, description="people waiting now, kept with the sign-ups")
    cancel_reason = fields.TextField(default="", description="told to everyone signed up")
    created_by = fields.ForeignKeyField("qiyun.Staff", related_name="activities_created", null=True, on_delete=fields.SET_NULL)
    published_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True, description="when it was cancelled or finished")
    qr_ticket = fields.CharField(max_length=300, default="", description="WeChat ticket of the check-in QR code")
    qr_url = fields.CharField(max_length=300, default="", description="what the check-in QR code encodes")
    qr_expires_at = fields.DatetimeField(null=True, description="temporary codes last at most 30 days")
    updated_at = fields.DatetimeField(auto_now=True, null=True)

    class Meta:
        table = "activity"
        indexes = (("status", "starts_at"),)


class ActivitySignup(Model):
    # One person's sign-up for one activity. Re-signing after a cancellation reuses the row
    # with a new ticket code and goes to the back of the waiting list. `waitlist_position`
    # is the place in the queue while waitlisted (1 = next to move up), kept dense:
    # promotions and cancellations of waiting people move the ones behind up.

    id = fields.IntField(primary_key=True)
    activity = fields.ForeignKeyField("qiyun.Activity", related_name="signups", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("qiyun.WeChatUser", related_name="signups", on_delete=fields.CASCADE)
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="signups", null=True, on_delete=fields.SET_NULL)
    status = fields.CharEnumField(SignupStatus, max_length=16)
    waitlist_position = fields.IntField(null=True)
    ticket_code = fields.CharField(max_length=32, unique=True)
    checked_in_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    channel = fields.CharEnumField(SignupChannel, max_length=16, default=SignupChannel.miniprogram)
    contact_name = fields.CharField(max_length=50, default="")
    contact_phone = fields.CharField(max_length=20, default="")
    signed_up_at = fields.DatetimeField(null=True, description="the latest sign-up (re-signing resets it)")
    confirmed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    checkin_method = fields.CharField(max_length=16, default="", description="ticket (scanned at the door) or wechat")
    checked_in_by = fields.ForeignKeyField("qiyun.Staff", related_name="activity_checkins", null=True, on_delete=fields.SET_NULL)
    reminder_queued_at = fields.DatetimeField(null=True, description="claims the day-before reminder once")
    updated_at = fields.DatetimeField(auto_now=True, null=True)

    class Meta:
        table = "activity_signup"
        unique_together = (("activity", "user"),)
        indexes = (("activity_id", "status", "waitlist_position"),)


class ActivityEvent(Model):
    """The activity's history: every lifecycle step and every sign-up change, by whom and why."""

    id = fields.IntField(primary_key=True)
    activity = fields.ForeignKeyField("qiyun.Activity", related_name="events", on_delete=fields.CASCADE)
    signup = fields.ForeignKeyField("qiyun.ActivitySignup", related_name="events", null=True, on_delete=fields.SET_NULL)
    action = fields.CharField(max_length=32)
    staff = fields.ForeignKeyField("qiyun.Staff", related_name="activity_events", null=True, on_delete=fields.SET_NULL)
    note = fields.TextField(default="")
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "activity_event"
        indexes = (("activity_id", "id"),)
