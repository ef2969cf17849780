"""WeChat content checks (内容安全) of user-written text and images, one row per check.

Text is checked synchronously (`msg_sec_check` v2); an image is submitted to
`media_check_async` and its verdict arrives later as a `wxa_media_check` event carrying the
`trace_id`. `subject_type`/`subject_id` name what was checked (e.g. `appeal:12`,
`appeal_attachment:40`), so the verdict finds its way back to it.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


class CheckKind(LabelledEnum):
    text = "text", "文字"
    image = "image", "图片"


class CheckStatus(LabelledEnum):
    pending = "pending", "检测中"
    passed = "pass", "通过"
    review = "review", "需人工复核"
    risky = "risky", "违规风险"
    error = "error", "检测失败"


class ReviewDecision(LabelledEnum):
    approved = "approved", "审核通过"
    rejected = "rejected", "审核不通过"


class ContentCheck(Model):
    id = fields.BigIntField(primary_key=True)
    subject_type = fields.CharField(max_length=32)
    subject_id = fields.BigIntField()
    kind = fields.CharEnumField(CheckKind, max_length=8)
    trace_id = fields.CharField(max_length=64, null=True, unique=True)
    status = fields.CharEnumField(CheckStatus, max_length=8, default=CheckStatus.pending)
    label = fields.IntField(null=True, description="WeChat's label, e.g. 20001 politics, 100 normal")
    detail = fields.JSONField(default=dict)
    excerpt = fields.CharField(max_length=200, default="", description="the start of the checked text, for the reviewer")
    decision = fields.CharEnumField(ReviewDecision, max_length=8, null=True)
    reviewed_by = fields.ForeignKeyField("qiyun.Staff", related_name="content_reviews", null=True, on_delete=fields.SET_NULL)
    reviewed_at = fields.DatetimeField(null=True)
    review_note = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "content_check"
        indexes = (("subject_type", "subject_id"), ("status", "created_at"))
