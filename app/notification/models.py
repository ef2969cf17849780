"""The subscribe-message grant ledger: what each user allowed us to send them.

WeChat gives one message per one-time grant (the user tapped 允许 on a subscribe popup),
or any number for a long-term subscription template, until the user turns it off. It
answers 43101 when none is left; the ledger knows before asking, so that never happens.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


class GrantChannel(LabelledEnum):
    official_account = "official_account", "公众号"
    miniprogram = "miniprogram", "小程序"


class SubscribeGrant(Model):
    """One user's grants for one template: openids differ per app, so the channel is part of the key."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharEnumField(GrantChannel, max_length=24)
    openid = fields.CharField(max_length=64)
    template_id = fields.CharField(max_length=128)
    remaining = fields.IntField(default=0, description="one-time grants not used yet")
    long_term = fields.BooleanField(default=False, description="a long-term subscription in force (never used up)")
    last_decision = fields.CharField(max_length=16, default="", description="accept, reject, ban, filter")
    granted_total = fields.IntField(default=0)
    spent_total = fields.IntField(default=0)
    last_granted_at = fields.DatetimeField(null=True)
    last_spent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subscribe_grant"
        unique_together = (("channel", "openid", "template_id"),)
