"""Staff-managed automatic replies: keyword rules, and named texts such as the welcome."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


class MatchKind(LabelledEnum):
    contains = "contains", "包含关键词"
    exact = "exact", "完全匹配"
    regex = "regex", "正则表达式"

    def __str__(self) -> str:
        return self.value


class ReplyKind(LabelledEnum):
    text = "text", "文本"
    news = "news", "图文"
    flow = "flow", "启动对话流程"

    def __str__(self) -> str:  # callers compare `str(match.kind)` with "text" / "news" / "flow"
        return self.value


class AutoReplyRule(Model):
    """When the text a follower sends matches `pattern`, answer with a text, an article or a flow.

    Rules are tried by `priority` (higher first), then by id; the first match answers.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50, description="for staff: what the rule is for")
    match_kind = fields.CharEnumField(MatchKind, max_length=16)
    pattern = fields.CharField(max_length=200)
    reply_kind = fields.CharEnumField(ReplyKind, max_length=16)
    reply_text = fields.TextField(default="")
    news_title = fields.CharField(max_length=64, default="")
    news_description = fields.CharField(max_length=120, default="")
    news_url = fields.CharField(max_length=1024, default="")
    news_picurl = fields.CharField(max_length=1024, default="")
    flow_name = fields.CharField(max_length=64, default="")
    enabled = fields.BooleanField(default=True)
    priority = fields.IntField(default=0)
    updated_by = fields.ForeignKeyField(
        "qiyun.Staff", related_name="autoreply_rules", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "autoreply_rule"
        indexes = (("enabled", "priority"),)


class AutoReplyText(Model):
    """A named reply text staff edit (`welcome`: the answer to a new follower)."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=32, unique=True)
    text = fields.TextField()
    updated_by = fields.ForeignKeyField(
        "qiyun.Staff", related_name="autoreply_texts", null=True, on_delete=fields.SET_NULL
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "autoreply_text"
