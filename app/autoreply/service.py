"""Automatic replies: the rules staff edit, and the lookups the official account makes.

The router calls `find_reply(text=..., redis=...)` for every text message that no code
handler answered, and `welcome_text(redis=...)` for every subscribe. Both read a copy
of the rules cached in Redis, so a busy account does not query the database per
message; every edit bumps a generation counter, so the next message — on any server
process — sees the edit without a deploy. (A reader that loaded the old rules while an
edit committed stores them under the old generation, which nobody reads any more.)

Matching: `contains` and `exact` compare after Unicode normalisation (full-width and
half-width alike) and case-folding; `regex` is Python's `re.search`, case-insensitive.
Rules are tried by priority (higher first), then by id; the first match answers.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.autoreply.models import AutoReplyRule, AutoReplyText, MatchKind, ReplyKind
from app.conversation.flows import registered_flows
from app.staff.models import Staff

__all__ = [
    "DEFAULT_WELCOME",
    "AutoReplyError",
    "AutoReplyMatch",
    "NewsArticle",
    "delete_rule",
    "find_reply",
    "flow_choices",
    "get_rule",
    "list_rules",
    "save_rule",
    "set_enabled",
    "set_welcome_text",
    "welcome_text",
]

# Until staff save their own: what the account can do, and the first step (binding).
DEFAULT_WELCOME = (
    "您好，欢迎关注企业服务云！在这里您可以：\n"
    "· 查政策：搜索惠企政策，看看哪些政策适合您的企业\n"
    "· 提诉求：向相关部门反映企业遇到的问题，随时查看办理进度\n"
    "· 找服务：对接专业服务机构，报名服务中心的活动\n"
    "· 参与营商环境评估，说出您的感受\n\n"
    "建议先回复“绑定”（或点击菜单「企业服务」→「绑定企业」）绑定您的企业，获得更精准的服务。"
)
WELCOME = "welcome"
TEXT_LIMIT_BYTES = 2048  # WeChat's limit for a text message
MATCH_TEXT_LIMIT = 1000  # a follower's text is matched on its first 1000 characters
PRIORITY_RANGE = (-1000, 1000)

_GENERATION = "qiyun:autoreply:generation"
_RULES = "qiyun:autoreply:rules:{}"
_WELCOME = "qiyun:autoreply:welcome:{}"
_CACHE_SECONDS = 3600


class AutoReplyError(ValueError):
    """A rule or text was refused; the message is meant for staff."""


@dataclass(frozen=True)
class NewsArticle:
    title: str
    description: str
    url: str
    picurl: str = ""


@dataclass(frozen=True)
class AutoReplyMatch:
    """What to answer: `kind` says which of `text`, `article` or `flow_name` is set."""

    rule_id: int
    rule_name: str
    kind: ReplyKind
    text: str = ""
    article: NewsArticle | None = None
    flow_name: str = ""


# -- what the official account calls ----------------------------------------------


async def find_reply(*, text: str, redis: Redis | None = None) -> AutoReplyMatch | None:
    """The reply of the first enabled rule matching `text`, or None.

    Pass the process's `redis` to read the cached rules (the database is read otherwise).
    """
    rules = await _cached_rules(redis)
    message = text[:MATCH_TEXT_LIMIT]
    normalised = _normalise(message)
    for rule in rules:
        if _matches(rule, message, normalised):
            return _to_match(rule)
    return None


async def welcome_text(*, redis: Redis | None = None) -> str:
    """The text a new follower receives (staff edit it; a default until they do)."""
    if redis is None:
        return await _load_welcome()
    key = _WELCOME.format(await _generation(redis))
    cached = await redis.get(key)
    if cached is not None:
        return cached.decode("utf-8") if isinstance(cached, bytes) else str(cached)
    text = await _load_welcome()
    await redis.set(key, text, ex=_CACHE_SECONDS)
    return text


# -- what staff do -------------------------------------------------------------------


def list_rules() -> QuerySet[AutoReplyRule]:
    """Every rule in the order they are tried."""
    return AutoReplyRule.all().order_by("-priority", "id")


async def get_rule(*, rule_id: int) -> AutoReplyRule | None:
    return await AutoReplyRule.get_or_none(id=rule_id)


def flow_choices() -> list[tuple[str, str]]:
    """(name, title) of every chat flow a rule may start."""
    return sorted((name, cls.title or name) for name, cls in registered_flows().items())


async def save_rule(
    *,
    actor: Staff,
    redis: Redis,
    rule_id: int | None = None,
    name: str,
    match_kind: MatchKind | str,
    pattern: str,
    reply_kind: ReplyKind | str,
    reply_text: str = "",
    news_title: str = "",
    news_description: str = "",
    news_url: str = "",
    news_picurl: str = "",
    flow_name: str = "",
    enabled: bool = True,
    priority: int | str = 0,
) -> AutoReplyRule:
    """Create (no `rule_id`) or update a rule after checking it; applies from the next message."""
    values = _checked(
        name=name, match_kind=match_kind, pattern=pattern, reply_kind=reply_kind, reply_text=reply_text,
        news_title=news_title, news_description=news_description, news_url=news_url, news_picurl=news_picurl,
        flow_name=flow_name, enabled=enabled, priority=priority,
    )
    async with in_transaction():
        if rule_id is None:
            rule = await AutoReplyRule.create(updated_by_id=actor.id, **values)
            action = "autoreply.create"
        else:
            rule = await AutoReplyRule.get_or_none(id=rule_id)
            if rule is None:
                raise AutoReplyError("未找到该自动回复规则。")
            await rule.update_from_dict({**values, "updated_by_id": actor.id}).save()
            action = "autoreply.update"
        await audit.record(staff=actor, action=action, target_type="autoreply", target_id=rule.id, detail=_plain(values))
    await _invalidate(redis)
    return rule


async def set_enabled(*, actor: Staff, redis: Redis, rule_id: int, enabled: bool) -> AutoReplyRule:
    async with in_transaction():
        rule = await AutoReplyRule.get_or_none(id=rule_id)
        if rule is None:
            raise AutoReplyError("未找到该自动回复规则。")
        rule.enabled = enabled
        rule.updated_by_id = actor.id
        await rule.save(update_fields=["enabled", "updated_by_id", "updated_at"])
        await audit.record(
            staff=actor, action="autoreply.update", target_type="autoreply", target_id=rule.id, detail={"enabled": enabled}
        )
    await _invalidate(redis)
    return rule


async def delete_rule(*, actor: Staff, redis: Redis, rule_id: int) -> None:
    async with in_transaction():
        rule = await AutoReplyRule.get_or_none(id=rule_id)
        if rule is None:
            raise AutoReplyError("未找到该自动回复规则。")
        detail = {"name": rule.name, "pattern": rule.pattern}
        await rule.delete()
        await audit.record(staff=actor, action="autoreply.delete", target_type="autoreply", target_id=rule_id, detail=detail)
    await _invalidate(redis)


async def set_welcome_text(*, actor: Staff, redis: Redis, text: str) -> None:
    text = _reply_text(text, what="关注欢迎语")
    async with in_transaction():
        existing = await AutoReplyText.get_or_none(key=WELCOME)
        if existing is None:
            await AutoReplyText.create(key=WELCOME, text=text, updated_by_id=actor.id)
        else:
            existing.text, existing.updated_by_id = text, actor.id
            await existing.save()
        await audit.record(staff=actor, action="autoreply.welcome", target_type="autoreply_text", target_id=WELCOME,
                           detail={"text": text})
    await _invalidate(redis)


# -- checking -------------------------------------------------------------------------


def _checked(
    *,
    name: str,
    match_kind: MatchKind | str,
    pattern: str,
    reply_kind: ReplyKind | str,
    reply_text: str,
    news_title: str,
    news_description: str,
    news_url: str,
    news_picurl: str,
    flow_name: str,
    enabled: bool,
    priority: int | str,
) -> dict[str, Any]:
    name = name.strip()
    if not name or len(name) > 50:
        raise AutoReplyError("规则名称为必填项，最多 50 个字。")
    try:
        match_kind = MatchKind(match_kind)
    except ValueError:
        raise AutoReplyError("请选择匹配方式。") from None
    try:
        reply_kind = ReplyKind(reply_kind)
    except ValueError:
        raise AutoReplyError("请选择回复类型。") from None
    pattern = pattern.strip()
    if not pattern or len(pattern) > 200:
        raise AutoReplyError("关键词（或正则表达式）为必填项，最多 200 个字符。")
    if match_kind is MatchKind.regex:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise AutoReplyError(f"正则表达式有误：{exc}") from None
    try:
        priority = int(str(priority).strip() or 0)
    except ValueError:
        priority = PRIORITY_RANGE[1] + 1
    if not PRIORITY_RANGE[0] <= priority <= PRIORITY_RANGE[1]:
        raise AutoReplyError(f"优先级须为 {PRIORITY_RANGE[0]} 到 {PRIORITY_RANGE[1]} 之间的整数。")
    values: dict[str, Any] = {
        "name": name, "match_kind": match_kind, "pattern": pattern, "reply_kind": reply_kind, "reply_text": "",
        "news_title": "", "news_description": "", "news_url": "", "news_picurl": "", "flow_name": "",
        "enabled": bool(enabled), "priority": priority,
    }
    if reply_kind is ReplyKind.text:
        values["reply_text"] = _reply_text(reply_text, what="回复内容")
    elif reply_kind is ReplyKind.news:
        title, description = news_title.strip(), news_description.strip()
        if not title or len(title) > 64:
            raise AutoReplyError("图文标题为必填项，最多 64 个字。")
        if len(description) > 120:
            raise AutoReplyError("图文摘要最多 120 个字。")
        values.update(
            news_title=title,
            news_description=description,
            news_url=_url(news_url, what="图文链接", required=True),
            news_picurl=_url(news_picurl, what="封面图片地址", required=False),
        )
    else:
        flow_name = flow_name.strip()
        if flow_name not in registered_flows():
            raise AutoReplyError(f"未找到名为“{flow_name}”的对话流程。" if flow_name else "请选择要启动的对话流程。")
        values["flow_name"] = flow_name
    return values


def _reply_text(text: str, *, what: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise AutoReplyError(f"{what}不能为空。")
    size = len(text.encode("utf-8"))
    if size > TEXT_LIMIT_BYTES:
        raise AutoReplyError(f"{what}过长：{size} 字节，微信最多 {TEXT_LIMIT_BYTES} 字节（约 680 个汉字）。")
    return text


def _url(url: str, *, what: str, required: bool) -> str:
    url = url.strip()
    if not url:
        if required:
            raise AutoReplyError(f"{what}为必填项。")
        return ""
    if not re.match(r"^https?://[^\s/]+", url) or len(url) > 1024:
        raise AutoReplyError(f"{what}须为以 http:// 或 https:// 开头的完整网址。")
    return url


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.value if isinstance(value, MatchKind | ReplyKind) else value for key, value in values.items()}


# -- matching and the cache ------------------------------------------------------------


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _matches(rule: dict[str, Any], message: str, normalised: str) -> bool:
    kind = rule["match_kind"]
    if kind == MatchKind.exact:
        return normalised == _normalise(rule["pattern"])
    if kind == MatchKind.contains:
        needle = _normalise(rule["pattern"])
        return bool(needle) and needle in normalised
    try:
        return re.search(rule["pattern"], unicodedata.normalize("NFKC", message), re.IGNORECASE) is not None
    except re.error:  # checked on save; a rule saved by other means must not break replies
        return False


def _to_match(rule: dict[str, Any]) -> AutoReplyMatch:
    kind = ReplyKind(rule["reply_kind"])
    article = None
    if kind is ReplyKind.news:
        article = NewsArticle(rule["news_title"], rule["news_description"], rule["news_url"], rule["news_picurl"])
    return AutoReplyMatch(
        rule_id=rule["id"], rule_name=rule["name"], kind=kind, text=rule["reply_text"] if kind is ReplyKind.text else "",
        article=article, flow_name=rule["flow_name"] if kind is ReplyKind.flow else "",
    )


_RULE_FIELDS = ("id", "name", "match_kind", "pattern", "reply_kind", "reply_text", "news_title", "news_description",
                "news_url", "news_picurl", "flow_name")


async def _load_rules() -> list[dict[str, Any]]:
    rows = await AutoReplyRule.filter(enabled=True).order_by("-priority", "id").values(*_RULE_FIELDS)
    return [{key: (value.value if hasattr(value, "value") else value) for key, value in row.items()} for row in rows]


async def _load_welcome() -> str:
    saved = await AutoReplyText.get_or_none(key=WELCOME)
    return saved.text if saved is not None else DEFAULT_WELCOME


async def _generation(redis: Redis) -> int:
    return int(await redis.get(_GENERATION) or 0)


async def _cached_rules(redis: Redis | None) -> list[dict[str, Any]]:
    if redis is None:
        return await _load_rules()
    key = _RULES.format(await _generation(redis))
    cached = await redis.get(key)
    if cached is not None:
        return json.loads(cached)
    rules = await _load_rules()
    await redis.set(key, json.dumps(rules, ensure_ascii=False), ex=_CACHE_SECONDS)
    return rules


async def _invalidate(redis: Redis) -> None:
    """A new generation: every process reads the rules afresh from the next message on."""
    await redis.incr(_GENERATION)
