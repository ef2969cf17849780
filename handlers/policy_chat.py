"""Policies in the chat: keyword search, 为我推荐, and opening a listed result by its number.

WeChat lets a reply to a user message carry one news card, so the best result goes
back as the passive reply and the further results follow as one customer-service
text with numbered links. The numbers are remembered for a while: replying "2"
brings that policy's card.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date
from urllib.parse import quote

from app.identity import followers
from app.policy.display import application_state, support_label
from app.policy.models import Policy
from app.policy.recommend import recommend_for_user
from app.policy.search import search_policies
from app.policy.search_cache import SearchPageCache
from handlers.context import Context
from handlers.directory_chat import related_services_text
from handlers.replies import Article, News, Text
from handlers.router import PASS, router

__all__ = ["answer_search", "SEARCH_PROMPT"]

SEARCH_PROMPT = (
    "请直接发送关键词查找惠企政策，例如：研发补贴、专精特新、贷款贴息、人才公寓。\n"
    "点击菜单「政策服务」→「为我推荐」，可查看适合您企业的政策。"
)
NEED_BINDING = "为您推荐政策需要先绑定企业，我们会按企业的所在区、行业、规模等为您匹配。\n回复“绑定”即可开始。"
NOTHING_MATCHED = (
    "暂时没有与您企业条件相符的有效政策。新政策发布后，符合条件的会第一时间推送给您。\n"
    "您也可以直接发送关键词搜索全部政策。"
)
NUMBER_WITHOUT_LIST = "请先发送关键词搜索政策（例如：研发补贴），再回复列表中的数字查看对应的政策。"
TOO_LONG = (
    "您发送的内容较长，如需向政府部门反映问题，请点击菜单「企业诉求」→「我要反映」。\n"
    "查找政策请发送简短的关键词，例如：研发补贴。"
)

RESULTS_SHOWN = 5
"""The card plus four numbered links: more would bury the list in the chat."""
QUERY_MAX_CHARS = 30
LAST_RESULTS_TTL_S = 30 * 60
_SEARCH_PREFIX = re.compile(r"^(?:搜索|查询|查找|搜|查|找)?(?:政策)?[：:\s]*")
_TAGS = re.compile(r"<[^>]+>")


def _today() -> date:
    return date.today()


def _last_results_key(openid: str) -> str:
    return f"policy:chat:last:{openid}"


def detail_url(ctx: Context, policy_id: int) -> str:
    return f"{ctx.settings.public_base_url.rstrip('/')}/h5/policies/{policy_id}"


def _plain(snippet_html: str) -> str:
    return html.unescape(_TAGS.sub("", snippet_html))


def _card(ctx: Context, policy: Policy, *, description: str, expired: bool = False) -> News:
    title = f"【已失效】{policy.title}" if expired else policy.title
    return News((Article(title=title, description=description[:120], url=detail_url(ctx, policy.id)),))


def _card_description(policy: Policy, *, today: date, extra: str = "") -> str:
    parts = [support_label(policy), application_state(policy, today=today).label]
    if policy.doc_number:
        parts.append(policy.doc_number)
    head = "｜".join(parts)
    return f"{head}\n{extra}" if extra else head


async def _remember(ctx: Context, policy_ids: list[int]) -> None:
    await ctx.redis.set(_last_results_key(ctx.openid), json.dumps(policy_ids), ex=LAST_RESULTS_TTL_S)


def _numbered(ctx: Context, rows: list[tuple[Policy, str]], *, start: int, header: str, footer: str) -> Text:
    lines = [header]
    for number, (policy, note) in enumerate(rows, start=start):
        suffix = f"（{note}）" if note else ""
        lines.append(f'{number}. <a href="{detail_url(ctx, policy.id)}">{html.escape(policy.title)}</a>{suffix}')
    lines.append(footer)
    return Text("\n".join(lines))


def clean_query(text: str) -> str:
    return _SEARCH_PREFIX.sub("", text.strip()).strip()


async def answer_search(ctx: Context, text: str):
    """A free-text message read as a policy search."""
    query = clean_query(text)
    if not query:
        return SEARCH_PROMPT
    if len(query) > QUERY_MAX_CHARS:
        return TOO_LONG
    if query.isdigit() and len(query) <= 2:
        return NUMBER_WITHOUT_LIST
    today = _today()
    result = await search_policies(
        query=query, limit=RESULTS_SHOWN, today=today, cache=SearchPageCache.public(ctx.resources)
    )
    services = await related_services_text(ctx, query)  # public services for the same words
    if not result.hits:
        if services:
            return f"没有找到与“{query}”相关的政策。\n\n{services}"
        hint = f"\n{result.suggestion}" if result.suggestion else ""
        return f"没有找到与“{query}”相关的政策。{hint}\n点击菜单「政策服务」→「为我推荐」可查看适合您企业的政策。"
    best, *rest = result.hits
    await _remember(ctx, [hit.policy.id for hit in result.hits])
    if rest:
        list_url = f"{ctx.settings.public_base_url.rstrip('/')}/h5/policies?q={quote(query)}"
        more = f'共找到{result.total}条，<a href="{list_url}">查看全部</a>' if result.total > len(result.hits) else ""
        footer = "回复数字查看该政策。" + (f"\n{more}" if more else "")
        rows = [(hit.policy, "已失效" if hit.expired else "") for hit in rest]
        ctx.followups.append(_numbered(ctx, rows, start=2, header="更多相关政策：", footer=footer))
    if services:
        ctx.followups.append(Text(services))
    description = _card_description(best.policy, today=today, extra=_plain(best.snippet_html))
    return _card(ctx, best.policy, description=description, expired=best.expired)


@router.click("policy_search")
async def policy_search_clicked(ctx: Context) -> str:
    return SEARCH_PROMPT


@router.keyword(r"^(?:搜索|查询|查找|搜|查)(?:政策)?[：:\s]*\S.*$|^政策[：:\s]+\S.*$", priority=5)
async def policy_search_keyword(ctx: Context):
    return await answer_search(ctx, ctx.text)


@router.keyword(r"^[1-9]$", priority=4)
async def open_listed_result(ctx: Context):
    """A number right after a search or recommendation opens that result; otherwise not ours."""
    stored = await ctx.redis.get(_last_results_key(ctx.openid))
    if not stored:
        return PASS
    ids = json.loads(stored)
    index = int(ctx.text.strip()) - 1
    if index >= len(ids):
        return f"列表中没有第{index + 1}条，请回复1到{len(ids)}之间的数字。"
    policy = await Policy.get_or_none(id=ids[index])
    if policy is None:
        return "该政策已下线。请重新搜索。"
    today = _today()
    state = application_state(policy, today=today)
    description = _card_description(policy, today=today, extra=policy.summary[:80])
    return _card(ctx, policy, description=description, expired=state.code in {"expired", "withdrawn"})


@router.click("policy_recommend")
async def policy_recommend_clicked(ctx: Context):
    user = await followers.ensure_user(follower=ctx.follower)
    today = _today()
    recommendations = await recommend_for_user(user=user, today=today, limit=RESULTS_SHOWN)
    if not recommendations.bound:
        return NEED_BINDING
    if not recommendations.items:
        return NOTHING_MATCHED
    best, *rest = recommendations.items
    await _remember(ctx, [item.policy.id for item in recommendations.items])
    if rest:
        rows = [(item.policy, support_label(item.policy)) for item in rest]
        footer = "回复数字查看该政策；回复“退订”可设置不想收到的政策推送。"
        ctx.followups.append(_numbered(ctx, rows, start=2, header="也适合您企业的政策：", footer=footer))
    reasons = "符合：" + "、".join(best.reasons) if best.reasons else ""
    description = _card_description(best.policy, today=today, extra=reasons)
    return _card(ctx, best.policy, description=description)
