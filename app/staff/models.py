"""Staff accounts and their roles; a role plus an organisation decides what a person may see."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


class StaffRole(LabelledEnum):
    city_admin = "city_admin", "市级管理员"
    district_admin = "district_admin", "区级管理员"
    department_handler = "department_handler", "部门承办人"
    policy_editor = "policy_editor", "政策编辑"
    service_manager = "service_manager", "服务管理员"
    evaluator = "evaluator", "评估员(只读)"


class Staff(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=50)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(StaffRole, max_length=32)
    organisation = fields.ForeignKeyField(
        "qiyun.Organisation", related_name="staff", on_delete=fields.RESTRICT
    )
    phone = fields.CharField(max_length=20, default="")
    follower = fields.ForeignKeyField(
        "qiyun.Follower", related_name="staff_accounts", null=True, on_delete=fields.SET_NULL,
        description="the staff member's own WeChat, for notifications",
    )
    is_active = fields.BooleanField(default=True)
    failed_logins = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    password_changed_at = fields.DatetimeField(null=True)
    must_change_password = fields.BooleanField(
        default=False, description="set when someone else chose the password (new account, reset)"
    )
    last_login_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "staff"

    def __str__(self) -> str:
        return f"{self.display_name} ({self.username})"
