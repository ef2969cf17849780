"""The legal-person register (法人库) as Qiyun keeps it.

Matching policies to enterprises, sampling surveys and routing appeals all read
these columns, so the targeting dimensions are plain indexed columns rather than
a free-form document.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass


class Enterprise(Model):
    id = fields.IntField(primary_key=True)
    credit_code = fields.CharField(max_length=18, unique=True, description="统一社会信用代码 (GB 32100-2015)")
    name = fields.CharField(max_length=200)
    legal_representative = fields.CharField(max_length=50, description="法定代表人, used to verify bindings")
    district = fields.CharEnumField(District, max_length=6)
    industry_section = fields.CharField(max_length=1, description="GB/T 4754 门类 A-T")
    industry_division = fields.CharField(max_length=2, description="GB/T 4754 大类 01-97")
    size_class = fields.CharEnumField(SizeClass, max_length=16)
    ownership = fields.CharEnumField(Ownership, max_length=16)
    registered_capital = fields.DecimalField(max_digits=16, decimal_places=2, description="万元")
    established_on = fields.DateField()
    lifecycle_stage = fields.CharEnumField(LifecycleStage, max_length=16)
    # Mirrored row by row in `enterprise_tag` (EnterpriseTag below), which targeting queries.
    tags = fields.JSONField(default=list, description="free tags such as 专精特新, 高新技术企业")
    address = fields.CharField(max_length=300, default="")
    contact_phone = fields.CharField(max_length=20, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "enterprise"
        indexes = (
            ("district", "industry_section", "size_class"),
            ("ownership",),
            ("lifecycle_stage",),
            ("established_on",),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.credit_code})"


class EnterpriseTag(Model):
    """One tag of one enterprise: `Enterprise.tags` as rows, so "any of these tags" is an indexed
    lookup on both backends instead of a scan of a JSON column over a million rows.

    Kept in step with `Enterprise.tags` by every writer of tags (`app.enterprise.service`)."""

    id = fields.IntField(primary_key=True)
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="tag_rows", on_delete=fields.CASCADE)
    tag = fields.CharField(max_length=30)

    class Meta:
        table = "enterprise_tag"
        unique_together = (("enterprise", "tag"),)
        indexes = (("tag", "enterprise_id"),)
