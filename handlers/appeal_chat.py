"""Appeals in chat: 我要反映 starts the filing flow, 我的诉求 lists the latest appeals.

Menu keys `appeal_new` / `appeal_mine` (handlers/menu.json) and the keywords below lead
to the same answers. The list links to the H5 pages, where the follower reads the whole
timeline, adds information and confirms a reply.
"""

from __future__ import annotations

import html
from datetime import datetime

from app.appeal.calendar import SHANGHAI
from app.appeal.models import AppealStatus
from app.appeal.queries import AppealSummary, detail_for_user, list_for_user
from app.identity import followers
from app.identity.models import WeChatUser
from handlers.context import Context
from handlers.flows.file_appeal import appeal_url, appeals_url, start_filing
from handlers.h5.appeals import due_of
from handlers.router import router

__all__ = ["NO_APPEALS", "my_appeals"]

RECENT = 5
TITLE_CHARS = 16
NO_APPEALS = (
    "您还没有反映过诉求。\n"
    "遇到政策兑现、办事审批、融资、用工等方面的问题，可以点击菜单「企业诉求」→「我要反映」，"
    "或直接回复“我要反映”，按提示填写即可。"
)


@router.click("appeal_new")
async def appeal_new_clicked(ctx: Context) -> str:
    return await start_filing(ctx)


@router.keyword(r"^(我要反映|反映问题|提诉求|诉求|我要提诉求|反映诉求)$", priority=10)
async def appeal_new_keyword(ctx: Context) -> str:
    return await start_filing(ctx)


@router.click("appeal_mine")
async def appeal_mine_clicked(ctx: Context) -> str:
    return await my_appeals(ctx)


@router.keyword(r"^(我的诉求|诉求进度|查询诉求|查看诉求|我的反映)$", priority=10)
async def appeal_mine_keyword(ctx: Context) -> str:
    return await my_appeals(ctx)


async def my_appeals(ctx: Context) -> str:
    """The follower's five latest appeals, with status and the deadline (or the verdict), and a link to all."""
    if ctx.follower.user_id is None:
        return NO_APPEALS
    user = await followers.ensure_user(follower=ctx.follower)
    found = await list_for_user(user=user, page=1, per_page=RECENT)
    if not found.items:
        return NO_APPEALS
    lines = ["您最近的诉求：" if found.has_next else "您的诉求："]
    for number, summary in enumerate(found.items, 1):
        lines.append(f"{number}. {await _line(ctx, user, summary)}")
    more = f"共{found.total}件，" if found.has_next else ""
    lines.append(f'{more}<a href="{html.escape(appeals_url(ctx))}">查看全部诉求</a>')
    return "\n".join(lines)


async def _line(ctx: Context, user: WeChatUser, summary: AppealSummary) -> str:
    title = summary.title if len(summary.title) <= TITLE_CHARS else summary.title[:TITLE_CHARS] + "…"
    link = f'<a href="{html.escape(appeal_url(ctx, summary.id))}">{summary.number}</a>'
    line = f"{link} {html.escape(title)}【{summary.status_label}】"
    due = due_of(summary)
    if due is not None:
        line += f"\n   {due.label}：{_date(due.at)}"
    elif summary.status is AppealStatus.closed:
        line += f"\n   {await _verdict(ctx, user, summary)}"
    if summary.awaiting:
        line += f"\n   {summary.awaiting}"
    return line


async def _verdict(ctx: Context, user: WeChatUser, summary: AppealSummary) -> str:
    """How a closed appeal ended: the enterprise's satisfaction, or why there is none."""
    detail = await detail_for_user(user=user, appeal_id=summary.id, settings=ctx.settings)
    if detail.satisfaction is not None:
        return f"评价：{detail.satisfaction.label}"
    return detail.close_reason.label if detail.close_reason else "已办结"


def _date(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日"
