"""Signing up for an activity in chat: the schedule → one activity → 报名 → the attendee's name.

Opened by the menu 活动排片 (`handlers.activity_chat`). The list of upcoming activities is
taken when the flow starts (kept with the answers, so the numbers the follower sees stay
the numbers they reply), each reply is checked against the live activity, and the sign-up
itself is `app.activity.service.sign_up` — the same rules as the mini-program: capacity,
the waiting list, one sign-up per person, the deadline. The closing message links to the
ticket page (QR code) or says the place in the queue.
"""

from __future__ import annotations

import html
import unicodedata
from typing import Any

from app.activity import queries
from app.activity import service as activity_service
from app.activity.errors import ActivityError
from app.activity.models import SignupChannel, SignupStatus
from app.activity.tickets import ticket_path
from app.conversation import Abort, Choice, Flow, FlowContext, Invalid, Step, flow
from app.identity import followers
from handlers.context import Context
from handlers.conversation import start_flow

__all__ = ["FLOW", "ActivitySignupFlow", "start_activity_list", "ticket_url"]

FLOW = "activity_signup"
LISTED = 8
NAME_LIMIT = 20
NOTHING_UPCOMING = "近期暂无可报名的活动。新活动发布后会在「活动排片」中列出，欢迎关注。"


def ticket_url(ctx: Context, code: str) -> str:
    return f"{ctx.settings.public_base_url.rstrip('/')}{ticket_path(code)}"


def _list_prompt(answers: Any) -> str:
    lines = ["近期活动（排片表）："]
    for number, item in enumerate(answers.get("_list", []), 1):
        lines.append(f"{number}. {item['line']}")
    lines.append("回复序号查看活动详情。")
    return "\n".join(lines)


async def _pick(text: str, answers: Any) -> dict[str, Any]:
    listed = answers.get("_list", [])
    number = unicodedata.normalize("NFKC", text).strip()
    if not number.isdigit() or not 1 <= int(number) <= len(listed):
        raise Invalid(f"请回复列表中的序号（1-{len(listed)}）。")
    activity_id = listed[int(number) - 1]["id"]
    try:
        activity = await activity_service.get_activity(activity_id=activity_id)
    except ActivityError:
        raise Invalid("该活动已下线，请选择其他活动。") from None
    view = queries.activity_view(activity, now=activity_service.now_local())
    places = f"剩余名额{view.places_left}个" if view.places_left else f"名额已满（候补{view.waitlist}人），报名将进入候补"
    detail = [
        f"【{view.kind_label}】{activity.title}",
        f"时间：{view.when}",
        f"地点：{activity.place}",
        f"主办：{view.organiser}",
    ]
    if activity.audience:
        detail.append(f"面向：{activity.audience}")
    if activity.description:
        detail.append(activity.description[:150])
    if not view.signup_open:
        raise Invalid(f"{activity.title}：{view.closed_reason}。请选择其他活动。")
    detail.append(places)
    return {"id": activity.id, "title": activity.title, "detail": "\n".join(detail)}


def _detail_prompt(answers: Any) -> str:
    chosen = answers.get("activity") or {}
    return f"{chosen.get('detail', '')}\n\n回复“报名”报名参加；回复“返回”看其他活动。"


def _check_name(text: str, answers: Any) -> str:
    name = unicodedata.normalize("NFKC", text).strip()
    if not name or len(name) > NAME_LIMIT or any(char.isdigit() for char in name):
        raise Invalid("请回复参会人的姓名（用于签到核对）。")
    return name


@flow(FLOW)
class ActivitySignupFlow(Flow):
    title = "活动报名"
    steps = (
        Step("activity", _list_prompt, validate=_pick, max_attempts=5),
        Step("action", _detail_prompt, choices=(Choice("signup", "报名", aliases=("我要报名", "报名参加", "参加")),)),
        Step("name", "请回复参会人姓名：", validate=_check_name, max_attempts=5),
    )

    def describe(self, step: Step, value: Any) -> str:
        if step.key == "activity" and isinstance(value, dict):
            return str(value.get("title", ""))
        return super().describe(step, value)

    async def complete(self, answers: dict[str, Any], ctx: FlowContext) -> str:
        handler_ctx: Context = ctx.deps
        user = await followers.ensure_user(follower=handler_ctx.follower)
        try:
            result = await activity_service.sign_up(
                activity_id=int(answers["activity"]["id"]), user=user, channel=SignupChannel.chat,
                contact_name=answers["name"],
            )
        except ActivityError as refused:
            raise Abort(f"报名未成功：{refused.message}") from None
        signup = result.signup
        text = f"「{answers['activity']['title']}」{queries.signup_message(signup, created=result.created)}"
        if SignupStatus(signup.status) in (SignupStatus.confirmed, SignupStatus.checked_in):
            link = html.escape(ticket_url(handler_ctx, signup.ticket_code))
            text += f'\n<a href="{link}">查看电子票（入场二维码）</a>'
        return text


async def start_activity_list(ctx: Context) -> str:
    """The upcoming activities as a numbered list, opening the sign-up flow."""
    items, _ = await queries.upcoming(now=activity_service.now_local(), limit=LISTED)
    if not items:
        return NOTHING_UPCOMING
    listed = []
    for activity in items:
        view = queries.activity_view(activity, now=activity_service.now_local())
        state = f"余{view.places_left}" if view.places_left else "可候补"
        listed.append({"id": activity.id, "line": f"{view.when} {activity.title}（{view.kind_label}，{state}）"})
    return await start_flow(ctx, FLOW, prefill={"_list": listed})
