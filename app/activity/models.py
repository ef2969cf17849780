"""The service centre's activity schedule (排片表) and its sign-ups."""

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

    class Meta:
        table = "activity"
        indexes = (("status", "starts_at"),)


class ActivitySignup(Model):
    id = fields.IntField(primary_key=True)
    activity = fields.ForeignKeyField("qiyun.Activity", related_name="signups", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("qiyun.WeChatUser", related_name="signups", on_delete=fields.CASCADE)
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="signups", null=True, on_delete=fields.SET_NULL)
    status = fields.CharEnumField(SignupStatus, max_length=16)
    waitlist_position = fields.IntField(null=True)
    ticket_code = fields.CharField(max_length=32, unique=True)
    checked_in_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "activity_signup"
        unique_together = (("activity", "user"),)
