"""One row per staff action, kept for accountability (sign-ins, failures, every change)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditLog(Model):
    """An action by a staff member (or an attempt by someone unknown, e.g. a failed sign-in).

    `username` and `organisation` are copied at the time, so the entry still says who did
    it after the account is renamed, moved or removed; `organisation` also scopes the log
    (a district administrator reads their district's entries).
    """

    id = fields.BigIntField(primary_key=True)
    staff = fields.ForeignKeyField("qiyun.Staff", related_name="audit_entries", null=True, on_delete=fields.SET_NULL)
    username = fields.CharField(max_length=64, default="", description="as typed for a failed sign-in")
    organisation = fields.ForeignKeyField(
        "qiyun.Organisation", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    action = fields.CharField(max_length=64, description="e.g. auth.sign_in, staff.create, menu.save")
    target_type = fields.CharField(max_length=32, default="")
    target_id = fields.CharField(max_length=64, default="")
    detail = fields.JSONField(default=dict, description="what changed (never passwords or tokens)")
    ip = fields.CharField(max_length=45, default="")
    request_id = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_log"
        indexes = (("created_at",), ("staff_id", "created_at"), ("target_type", "target_id"), ("organisation_id", "created_at"))
