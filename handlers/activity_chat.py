"""Official-account chat for activities: the schedule menu, sign-up and check-in scans.

* Menu 活动排片 (`activity_list`) and the keywords below open the sign-up flow
  (`handlers.flows.activity_signup`): the numbered schedule, one activity, 报名, the name.
* 我的活动 lists the follower's sign-ups with their ticket links.
* Scanning an activity's WeChat QR code at the door (scene `activity:<id>`, SCAN or
  subscribe with `qrscene_activity:<id>`) checks the follower's confirmed sign-up in, once,
  and answers with the result (`app.activity.checkin`).
"""

from __future__ import annotations

import html
from typing import Any

from app.activity import queries
from app.activity.checkin import check_in_follower
from app.identity import followers
from handlers.context import Context
from handlers.flows.activity_signup import start_activity_list, ticket_url
from handlers.router import router

__all__ = ["my_activities"]

NO_SIGNUPS = "您还没有报名活动。点击菜单「活动排片」或回复“活动”查看近期活动。"


@router.click("activity_list")
async def activity_list_clicked(ctx: Context) -> str:
    return await start_activity_list(ctx)


@router.keyword(r"^(活动|活动排片|近期活动|活动报名|排片表|报名活动)$", priority=10)
async def activity_list_keyword(ctx: Context) -> str:
    return await start_activity_list(ctx)


@router.keyword(r"^(我的活动|我的报名|活动门票|电子票)$", priority=10)
async def my_activities_keyword(ctx: Context) -> str:
    return await my_activities(ctx)


async def my_activities(ctx: Context) -> str:
    """The follower's sign-ups (not cancelled), with ticket links for confirmed ones."""
    if ctx.follower.user_id is None:
        return NO_SIGNUPS
    user = await followers.ensure_user(follower=ctx.follower)
    views = await queries.my_signups(user=user, limit=10)
    if not views:
        return NO_SIGNUPS
    lines = ["您报名的活动："]
    for number, view in enumerate(views, 1):
        line = f"{number}. {queries.when_text(view.activity)} {html.escape(view.activity.title)}【{view.status_label}"
        if view.signup.waitlist_position:
            line += f" 第{view.signup.waitlist_position}位"
        line += "】"
        if view.ticket_visible:
            line += f'\n   <a href="{html.escape(ticket_url(ctx, view.signup.ticket_code))}">电子票</a>'
        lines.append(line)
    return "\n".join(lines)


@router.scene("activity:")
async def activity_checkin_scan(ctx: Context, value: str) -> Any:
    """A follower scanned an activity's check-in QR code at the door."""
    if not value.strip().isdigit():
        return "无法识别该活动二维码，请向现场工作人员确认。"
    user = await followers.ensure_user(follower=ctx.follower)
    result = await check_in_follower(activity_id=int(value), user=user)
    return result.message
