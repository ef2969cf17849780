"""The transactional outbox: side effects written in the same transaction as the change
that causes them, delivered afterwards by the worker.

A domain action (an appeal accepted, a reply given) inserts one `OutboxMessage` per
notification or outbound call in its own transaction, so either both the change and its
notices are stored or neither is. The worker delivers them (`app.outbox.service`), and a
cron sweep picks up anything a killed process left behind. `dedupe_key` is unique, so a
retried action cannot queue the same notice twice.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


class OutboxStatus(LabelledEnum):
    pending = "pending", "待发送"
    sending = "sending", "发送中"
    sent = "sent", "已发送"
    failed = "failed", "发送失败"
    skipped = "skipped", "未发送"


class OutboxMessage(Model):
    id = fields.BigIntField(primary_key=True)
    topic = fields.CharField(max_length=64, description="the registered handler, e.g. appeal.notify_enterprise")
    dedupe_key = fields.CharField(max_length=200, unique=True)
    payload = fields.JSONField(default=dict)
    status = fields.CharEnumField(OutboxStatus, max_length=8, default=OutboxStatus.pending)
    attempts = fields.SmallIntField(default=0)
    available_at = fields.DatetimeField(description="not before this time (retries back off)")
    lease_until = fields.DatetimeField(null=True, description="a worker holds the row until then")
    result = fields.CharField(max_length=300, default="", description="what happened, e.g. sent:template or skipped:no_channel")
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "available_at"),)
