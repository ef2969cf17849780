"""Business-environment evaluation: questionnaires, samples and answers.

Sampling and contact status (`SurveySample`) are kept apart from answers
(`SurveyResponse`): an anonymous survey links them only through an opaque key.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


class SurveyStatus(LabelledEnum):
    draft = "draft", "草稿"
    open = "open", "进行中"
    closed = "closed", "已结束"


class Disposition(LabelledEnum):
    """AAPOR final dispositions, simplified to what a register survey meets."""

    pending = "pending", "未回复"
    complete = "complete", "完成"
    partial = "partial", "部分完成"
    refusal = "refusal", "拒绝"
    non_contact = "non_contact", "未联系上"
    ineligible = "ineligible", "不符合条件"
    unknown = "unknown", "未知"


class Survey(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    year = fields.IntField(null=True)
    description = fields.TextField(default="")
    status = fields.CharEnumField(SurveyStatus, max_length=16, default=SurveyStatus.draft)
    is_public = fields.BooleanField(default=False, description="any follower may answer once")
    is_anonymous = fields.BooleanField(default=True)
    opens_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)
    sample_seed = fields.BigIntField(null=True)
    sample_design = fields.JSONField(default=dict)
    created_by = fields.ForeignKeyField("qiyun.Staff", related_name="surveys", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey"


class Questionnaire(Model):
    """An immutable version of a survey's questions, once anyone has answered it."""

    id = fields.IntField(primary_key=True)
    survey = fields.ForeignKeyField("qiyun.Survey", related_name="questionnaires", on_delete=fields.CASCADE)
    version = fields.IntField()
    definition = fields.JSONField(description="sections mapped to dimensions, questions, skip logic")
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "questionnaire"
        unique_together = (("survey", "version"),)


class SurveySample(Model):
    id = fields.IntField(primary_key=True)
    survey = fields.ForeignKeyField("qiyun.Survey", related_name="samples", on_delete=fields.CASCADE)
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="survey_samples", on_delete=fields.CASCADE)
    stratum = fields.CharField(max_length=64)
    inclusion_probability = fields.FloatField()
    disposition = fields.CharEnumField(Disposition, max_length=16, default=Disposition.pending)
    response_key = fields.CharField(max_length=64, unique=True, description="opaque link to the response")
    invited_at = fields.DatetimeField(null=True)
    reminders_sent = fields.IntField(default=0)
    last_reminded_at = fields.DatetimeField(null=True)
    opted_out = fields.BooleanField(default=False)

    class Meta:
        table = "survey_sample"
        unique_together = (("survey", "enterprise"),)


class SurveyResponse(Model):
    id = fields.IntField(primary_key=True)
    survey = fields.ForeignKeyField("qiyun.Survey", related_name="responses", on_delete=fields.CASCADE)
    questionnaire = fields.ForeignKeyField("qiyun.Questionnaire", related_name="responses", on_delete=fields.RESTRICT)
    response_key = fields.CharField(max_length=64, unique=True)
    channel = fields.CharField(max_length=24)
    answers = fields.JSONField(default=dict)
    weight = fields.FloatField(default=1.0)
    stratum = fields.CharField(max_length=64, default="")
    submitted = fields.BooleanField(default=False)
    started_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    submitted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "survey_response"
        indexes = (("survey_id", "submitted"),)
