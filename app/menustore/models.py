"""Saved versions of the official account's menu."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class MenuVersion(Model):
    """One saved menu, as staff wrote it (placeholders such as `{public_base_url}` kept).

    Versions are never edited, only added: the newest is what `qiyun sync-menu` and the
    panel's "publish" upload, and older ones show what the menu used to be.
    """

    id = fields.IntField(primary_key=True)
    menu = fields.JSONField(description="the menu JSON, placeholders unfilled")
    note = fields.CharField(max_length=200, default="")
    created_by = fields.ForeignKeyField(
        "qiyun.Staff", related_name="menu_versions", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    uploaded_at = fields.DatetimeField(null=True, description="last time this version was sent to WeChat")

    class Meta:
        table = "menu_version"
