"""WeChat identities: the person (by unionid), their official-account and mini-program
accounts, and their bindings to enterprises.

openids differ per app, so a person is a `WeChatUser` that both a `Follower` and a
`MiniProgramUser` point at; the two are merged by unionid when WeChat provides one.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import BindingRole


class WeChatUser(Model):
    id = fields.IntField(primary_key=True)
    unionid = fields.CharField(max_length=64, unique=True, null=True)
    phone = fields.CharField(max_length=20, default="", description="verified via getuserphonenumber")
    messages_read_up_to = fields.BigIntField(
        default=0, description="message_log id of the newest notification the person has seen in 我的消息"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wechat_user"


class Follower(Model):
    """An official-account follower (or former follower: `subscribed` is False)."""

    id = fields.IntField(primary_key=True)
    openid = fields.CharField(max_length=64, unique=True)
    unionid = fields.CharField(max_length=64, null=True, db_index=True)
    user = fields.ForeignKeyField("qiyun.WeChatUser", related_name="followers", null=True, on_delete=fields.SET_NULL)
    subscribed = fields.BooleanField(default=True)
    subscribed_at = fields.DatetimeField(null=True)
    unsubscribed_at = fields.DatetimeField(null=True)
    subscribe_scene = fields.CharField(max_length=64, default="")
    remark = fields.CharField(max_length=30, default="")
    wechat_tag_ids = fields.JSONField(default=list)
    last_interaction_at = fields.DatetimeField(null=True, description="opens the 48-hour customer-service window")
    last_location = fields.JSONField(
        null=True, description="last LOCATION event: latitude, longitude, precision, at (for nearby services)"
    )
    unreachable_reason = fields.CharField(max_length=64, default="", description="e.g. 43004 after a failed push")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "follower"
        indexes = (("subscribed", "id"),)


class MiniProgramUser(Model):
    id = fields.IntField(primary_key=True)
    openid = fields.CharField(max_length=64, unique=True)
    unionid = fields.CharField(max_length=64, null=True, db_index=True)
    user = fields.ForeignKeyField("qiyun.WeChatUser", related_name="miniprogram_accounts", on_delete=fields.CASCADE)
    last_login_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "miniprogram_user"


class EnterpriseBinding(Model):
    """A person acting for an enterprise, verified against the register."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("qiyun.WeChatUser", related_name="bindings", on_delete=fields.CASCADE)
    enterprise = fields.ForeignKeyField("qiyun.Enterprise", related_name="bindings", on_delete=fields.CASCADE)
    role = fields.CharEnumField(BindingRole, max_length=32)
    verified_by = fields.CharField(max_length=32, description="how it was checked, e.g. legal_representative_name")
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "enterprise_binding"
        unique_together = (("user", "enterprise"),)
        indexes = (("enterprise_id", "revoked_at"),)
