"""The policy knowledge base (政策库)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


class SupportType(LabelledEnum):
    subsidy = "subsidy", "资金补贴"
    tax = "tax", "税收优惠"
    qualification = "qualification", "资质认定"
    financing = "financing", "融资支持"
    talent = "talent", "人才服务"
    premises = "premises", "场地支持"
    other = "other", "其他"


class PolicyStatus(LabelledEnum):
    draft = "draft", "草稿"
    in_review = "in_review", "审核中"
    published = "published", "已发布"
    expired = "expired", "已过期"
    withdrawn = "withdrawn", "已撤回"


class Policy(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    doc_number = fields.CharField(max_length=100, default="", description="文号")
    issuing_organisations = fields.ManyToManyField(
        "qiyun.Organisation", related_name="policies", through="policy_issuer"
    )
    publish_date = fields.DateField(null=True)
    effective_date = fields.DateField(null=True)
    expiry_date = fields.DateField(null=True)
    summary = fields.TextField(default="")
    body = fields.TextField(default="")
    support_type = fields.CharEnumField(SupportType, max_length=24)
    amount_min = fields.DecimalField(max_digits=14, decimal_places=2, null=True, description="万元")
    amount_max = fields.DecimalField(max_digits=14, decimal_places=2, null=True, description="万元")
    apply_start = fields.DateField(null=True)
    apply_end = fields.DateField(null=True)
    apply_where = fields.CharField(max_length=300, default="")
    contact = fields.CharField(max_length=200, default="")
    status = fields.CharEnumField(PolicyStatus, max_length=16, default=PolicyStatus.draft)
    targeting = fields.JSONField(default=dict, description="rules over the register, empty means everyone")
    search_text = fields.TextField(default="", description="jieba-segmented title, summary and body")
    created_by = fields.ForeignKeyField("qiyun.Staff", related_name="policies", null=True, on_delete=fields.SET_NULL)
    organisation = fields.ForeignKeyField(
        "qiyun.Organisation",
        related_name="owned_policies",
        null=True,
        on_delete=fields.SET_NULL,
        description="the organisation whose staff maintain the entry (staff scope), not the issuer",
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "policy"
        indexes = (
            ("status", "expiry_date"),
            ("support_type",),
            ("status", "publish_date"),
            ("organisation_id", "status"),
            # The match index's freshness check (app/policy/match_index.py) reads only this.
            ("status", "updated_at", "id"),
        )

    def __str__(self) -> str:
        return f"{self.title} ({self.doc_number})" if self.doc_number else self.title


class PolicyAttachment(Model):
    id = fields.IntField(primary_key=True)
    policy = fields.ForeignKeyField("qiyun.Policy", related_name="attachments", on_delete=fields.CASCADE)
    filename = fields.CharField(max_length=200)
    url = fields.CharField(max_length=1024)
    size = fields.IntField(default=0)

    class Meta:
        table = "policy_attachment"


class PolicyEvent(Model):
    """A lifecycle step of a policy: who moved it, from what, to what (creation has no from_status).

    `staff` is None for steps the system takes (expiry by the daily job, demo data, a command-line import)."""

    id = fields.IntField(primary_key=True)
    policy = fields.ForeignKeyField("qiyun.Policy", related_name="events", on_delete=fields.CASCADE)
    from_status = fields.CharEnumField(PolicyStatus, max_length=16, null=True)
    to_status = fields.CharEnumField(PolicyStatus, max_length=16)
    staff = fields.ForeignKeyField("qiyun.Staff", related_name="policy_events", null=True, on_delete=fields.SET_NULL)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "policy_event"
        indexes = (("policy_id", "id"),)


class PolicyFavourite(Model):
    """A person's favourite (收藏) policy, per WeChat user so the mini-program and H5 pages agree."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("qiyun.WeChatUser", related_name="policy_favourites", on_delete=fields.CASCADE)
    policy = fields.ForeignKeyField("qiyun.Policy", related_name="favourites", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "policy_favourite"
        unique_together = (("user", "policy"),)
        indexes = (("user_id", "created_at"),)
