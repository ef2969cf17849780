"""The public service directory (公共服务目录): what departments and public platforms offer
enterprises, one-stop entrances, park information and utility connection guides.

One table, `directory_entry`, holds all four kinds (`DirectoryKind`); which fields a kind
needs is decided by `app.directory.validation`, not by the schema, so a new kind needs no
migration. An entry's life is `DirectoryStatus`, moved only by `app.directory.workflow`'s
transition table. `directory_search_term` is the entry's search index (one row per distinct
segmented word, written by `app.directory.search.reindex_entry` for published entries only).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import District, LabelledEnum


class DirectoryKind(LabelledEnum):
    resource = "resource", "公共服务资源"
    entrance = "entrance", "一站式入口"
    park = "park", "园区信息"
    utility_guide = "utility_guide", "水电气接入指南"


class DirectoryCategory(LabelledEnum):
    """What a public service resource (or entrance) is about."""

    rnd = "rnd", "研发公共服务"
    talent = "talent", "人才服务"
    standards = "standards", "标准服务"
    procurement = "procurement", "政府采购"
    recruitment = "recruitment", "招聘用工"
    tech_transfer = "tech_transfer", "技术转移"
    finance = "finance", "融资服务"
    ip = "ip", "知识产权公共服务"
    testing = "testing", "检验检测认证"
    trade = "trade", "外贸与跨境服务"
    startup = "startup", "创业孵化"
    legal = "legal", "法律服务"
    other = "other", "其他公共服务"


class UtilityType(LabelledEnum):
    water = "water", "用水"
    power = "power", "用电"
    gas = "gas", "用气"


class DirectoryStatus(LabelledEnum):
    draft = "draft", "草稿"
    published = "published", "已发布"
    archived = "archived", "已归档"


class DirectoryEntry(Model):
    """One entry of the directory, seen by the public only while published."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(DirectoryKind, max_length=16)
    category = fields.CharEnumField(DirectoryCategory, max_length=16, null=True, description="resources and entrances")
    utility_type = fields.CharEnumField(UtilityType, max_length=8, null=True, description="utility guides only")
    title = fields.CharField(max_length=200)
    summary = fields.TextField(default="")
    body = fields.TextField(default="")
    eligibility = fields.TextField(default="", description="who may use it (服务对象)")
    steps = fields.TextField(default="", description="how: one step per line (办理流程)")
    materials = fields.TextField(default="", description="one material per line (申请材料)")
    fees = fields.CharField(max_length=200, default="", description="收费标准")
    time_limit = fields.CharField(max_length=200, default="", description="办理时限")
    organisation = fields.ForeignKeyField(
        "qiyun.Organisation", related_name="directory_entries", null=True, on_delete=fields.SET_NULL,
        description="the providing department, if it is one of ours",
    )
    platform_name = fields.CharField(max_length=100, default="", description="the providing platform or body otherwise")
    district = fields.CharEnumField(District, max_length=6, null=True, description="null: city-wide")
    url = fields.CharField(max_length=1024, default="")
    miniprogram_appid = fields.CharField(max_length=32, default="")
    miniprogram_path = fields.CharField(max_length=300, default="")
    contact = fields.CharField(max_length=200, default="")
    address = fields.CharField(max_length=300, default="")
    hours = fields.CharField(max_length=200, default="", description="服务时间")
    status = fields.CharEnumField(DirectoryStatus, max_length=16, default=DirectoryStatus.draft)
    sort_order = fields.IntField(default=0, description="lower first in lists (then the newest change)")
    published_at = fields.DatetimeField(null=True)
    updated_by = fields.ForeignKeyField(
        "qiyun.Staff", related_name="directory_entries", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "directory_entry"
        indexes = (("status", "kind", "sort_order"), ("kind", "district"), ("status", "updated_at"))

    def __str__(self) -> str:
        return self.title


class DirectorySearchTerm(Model):
    """One distinct word of a published entry, with where it occurs best: 2 title, 1 summary
    or facets (category, district, provider), 0 elsewhere. Searched by word (index)."""

    id = fields.IntField(primary_key=True)
    entry = fields.ForeignKeyField("qiyun.DirectoryEntry", related_name="search_terms", on_delete=fields.CASCADE)
    word = fields.CharField(max_length=64)
    weight = fields.SmallIntField(default=0)

    class Meta:
        table = "directory_search_term"
        unique_together = (("entry", "word"),)
        indexes = (("word", "entry_id", "weight"),)
