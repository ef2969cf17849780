"""Organisations that handle enterprises' business: departments, districts, the coordination office."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import District, LabelledEnum


class OrganisationKind(LabelledEnum):
    coordination_office = "coordination_office", "市企业服务协调办公室"
    city_department = "city_department", "市级部门"
    district_government = "district_government", "区政府"
    district_department = "district_department", "区级部门"
    social_organisation = "social_organisation", "社会组织"


class Organisation(Model):
    """A node in the hierarchy appeals are dispatched through and staff belong to."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True, description="stable slug, e.g. city.sci-tech")
    name = fields.CharField(max_length=100)
    short_name = fields.CharField(max_length=30, default="")
    kind = fields.CharEnumField(OrganisationKind, max_length=32)
    district = fields.CharEnumField(District, max_length=6, null=True)
    parent: fields.ForeignKeyNullableRelation["Organisation"] = fields.ForeignKeyField(
        "qiyun.Organisation", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organisation"

    def __str__(self) -> str:
        return self.name
