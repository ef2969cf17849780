"""Business-environment evaluation (发展环境评估): surveys, questionnaires, samples and answers.

Sampling and contact status (`SurveySample`: who was drawn, invited, reminded, and their
AAPOR disposition) are kept apart from the answers (`SurveyResponse`). A response carries
no enterprise and no person for an anonymous survey: it is found again by
`response_key`, an HMAC of (survey, respondent) under the server's secret key
(`app.survey.keys`), which staff cannot reverse. What analysis needs — the stratum's
district, size class and ownership and the design weight — is copied onto the response.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import District, LabelledEnum, Ownership, SizeClass


class SurveyStatus(LabelledEnum):
    draft = "draft", "草稿"
    open = "open", "进行中"
    closed = "closed", "已结束"


class SurveyKind(LabelledEnum):
    annual = "annual", "年度营商环境评估"
    service = "service", "部门服务评价"
    adhoc = "adhoc", "专项调查"


class Disposition(LabelledEnum):
    """AAPOR final dispositions, simplified to what a register survey meets.

    `pending` is the working state of a sampled enterprise that has not answered yet; it
    counts as unknown eligibility (UH/UO) in the response rates until the survey closes,
    when it becomes `non_contact` (the invitation could not be delivered) or `unknown`.
    """

    pending = "pending", "未回复"
    complete = "complete", "完成"
    partial = "partial", "部分完成"
    refusal = "refusal", "拒绝"
    non_contact = "non_contact", "未联系上"
    ineligible = "ineligible", "不符合条件"
    unknown = "unknown", "未知"


class SampleFrame(LabelledEnum):
    register = "register", "法人库"
    service_use = "service_use", "办事企业"
    manual = "manual", "手工添加"


class Survey(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    kind = fields.CharEnumField(SurveyKind, max_length=16, default=SurveyKind.annual)
    year = fields.IntField(null=True)
    description = fields.TextField(default="")
    organiser = fields.CharField(max_length=60, default="", description="shown in the invitation (组织单位)")
    status = fields.CharEnumField(SurveyStatus, max_length=16, default=SurveyStatus.draft)
    is_public = fields.BooleanField(default=False, description="any follower may answer once")
    is_anonymous = fields.BooleanField(default=True)
    opens_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)
    estimated_minutes = fields.IntField(null=True)
    reminder_interval_days = fields.IntField(default=3, description="minimum days between contacts")
    max_reminders = fields.IntField(default=2)
    eligibility_rate = fields.FloatField(
        null=True, description="e for AAPOR RR3, None = estimated from the cases of known eligibility"
    )
    previous = fields.ForeignKeyField(
        "qiyun.Survey", related_name="successors", null=True, on_delete=fields.SET_NULL,
        description="the previous year survey, for comparison",
    )
    sample_seed = fields.BigIntField(null=True)
    # frame, strata, allocation, frame date and sizes: how the sample was drawn (app.survey.sampling)
    sample_design = fields.JSONField(default=dict)
    created_by = fields.ForeignKeyField("qiyun.Staff", related_name="surveys", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    opened_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "survey"

    def __str__(self) -> str:
        return self.title


class Questionnaire(Model):
    """One version of a survey's questions (`app.survey.definition` describes `definition`).

    A version that anyone has answered is frozen: editing the survey then makes the next
    version, and a respondent keeps answering the version they started."""

    id = fields.IntField(primary_key=True)
    survey = fields.ForeignKeyField("qiyun.Survey", related_name="questionnaires", on_delete=fields.CASCADE)
    version = fields.IntField()
    definition = fields.JSONField(description="sections mapped to dimensions, questions, skip logic")
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "questionnaire"
        unique_together = (("survey", "version"),)


class SurveySample(Model):
    """One drawn enterprise: its stratum, inclusion probability, contacts and disposition."""

    id = fields.IntField(primary_key=True)
    survey = fields.ForeignKeyField("qiyun.Survey", related_name="samples", on_delete=fields.CASCADE)
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="survey_samples", on_delete=fields.CASCADE)
    frame = fields.CharEnumField(SampleFrame, max_length=16, default=SampleFrame.register)
    stratum = fields.CharField(max_length=64)  # e.g. 310115|small|private
    inclusion_probability = fields.FloatField()
    disposition = fields.CharEnumField(Disposition, max_length=16, default=Disposition.pending)
    disposition_at = fields.DatetimeField(null=True)
    disposition_note = fields.CharField(max_length=200, default="", description="why staff set it by hand")
    invited_at = fields.DatetimeField(null=True)  # claimed for the invitation (once)
    invite_result = fields.CharField(max_length=64, default="", description="the outbox result of the invitation")
    reminders_sent = fields.IntField(default=0)
    last_reminded_at = fields.DatetimeField(null=True)
    opted_out = fields.BooleanField(default=False)
    opted_out_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_sample"
        unique_together = (("survey", "enterprise"),)
        indexes = (("survey_id", "disposition"), ("survey_id", "stratum"))

    @property
    def design_weight(self) -> float:
        return 1.0 / self.inclusion_probability if self.inclusion_probability > 0 else 0.0


class SurveyResponse(Model):
    """The answers of one respondent (an enterprise for a sampled survey, a person for a public one).

    `answers` maps question keys to values (`app.survey.definition`); a draft is saved as
    it goes and may be finished on any channel; `submitted` is final."""

    id = fields.IntField(primary_key=True)
    survey = fields.ForeignKeyField("qiyun.Survey", related_name="responses", on_delete=fields.CASCADE)
    questionnaire = fields.ForeignKeyField("qiyun.Questionnaire", related_name="responses", on_delete=fields.RESTRICT)
    response_key = fields.CharField(max_length=64, unique=True)  # HMAC of (survey, respondent): app.survey.keys
    channel = fields.CharField(max_length=24)  # where it was last answered: chat, h5, miniprogram
    answers = fields.JSONField(default=dict)
    weight = fields.FloatField(default=1.0)  # design weight 1/inclusion probability
    stratum = fields.CharField(max_length=64, default="")
    district = fields.CharEnumField(District, max_length=6, null=True)
    size_class = fields.CharEnumField(SizeClass, max_length=16, null=True)
    ownership = fields.CharEnumField(Ownership, max_length=16, null=True)
    enterprise = fields.ForeignKeyField(
        "qiyun.Enterprise", related_name="survey_responses", null=True, on_delete=fields.SET_NULL,
        description="only for a survey that is not anonymous",
    )
    submitted = fields.BooleanField(default=False)
    started_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    submitted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "survey_response"
        indexes = (("survey_id", "submitted"),)


class ServiceUse(Model):
    """An enterprise used an approval service (办件): the frame of a department-service survey.

    Reported by the approval system (partner API) or imported from its export; one row per
    case (`external_id`), so a resend changes nothing."""

    id = fields.IntField(primary_key=True)
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="service_uses", on_delete=fields.CASCADE)
    service_code = fields.CharField(max_length=64, description="事项编码 of the approval item")
    service_name = fields.CharField(max_length=200)
    organisation = fields.ForeignKeyField(
        "qiyun.Organisation", related_name="service_uses", null=True, on_delete=fields.SET_NULL
    )
    completed_at = fields.DatetimeField()
    external_id = fields.CharField(max_length=100, unique=True, description="case number in the approval system")
    source = fields.CharField(max_length=32, default="import")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_service_use"
        indexes = (("service_code", "completed_at"), ("completed_at",))
