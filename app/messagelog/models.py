"""Every message in or out, for staff, for audit and as proof of delivery."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


class Direction(LabelledEnum):
    inbound = "inbound", "收到"
    outbound = "outbound", "发出"


class MessageChannel(LabelledEnum):
    official_account = "official_account", "公众号"
    miniprogram = "miniprogram", "小程序"
    h5 = "h5", "网页"


class MessageLog(Model):
    id = fields.BigIntField(primary_key=True)
    direction = fields.CharEnumField(Direction, max_length=16)
    channel = fields.CharEnumField(MessageChannel, max_length=24)
    kind = fields.CharField(max_length=32, description="text, event, passive_reply, custom, template, subscribe, bizsend")
    openid = fields.CharField(max_length=64)
    follower = fields.ForeignKeyField("qiyun.Follower", related_name="messages", null=True, on_delete=fields.SET_NULL)
    wechat_msg_id = fields.CharField(max_length=64, default="", description="MsgId in, msgid out")
    summary = fields.CharField(max_length=500, default="")
    payload = fields.JSONField(default=dict)
    errcode = fields.IntField(null=True)
    status = fields.CharField(
        max_length=40, default="", description="delivery state: sent, then success / failed:user block from WeChat"
    )
    related_type = fields.CharField(max_length=32, default="", description="e.g. push_campaign, appeal")
    related_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "message_log"
        indexes = (("openid", "created_at"), ("created_at",), ("related_type", "related_id"))
