"""H5 appeal pages: my appeals, one appeal with its timeline, 补充材料 and 确认并评价.

Opened from chat (我的诉求, the link after filing) and from the template messages that
tell the enterprise about progress. Signed in through the H5 OAuth session (a visitor
without one is sent through WeChat's sign-in and back). What a person may see and do
comes from `app.appeal.queries` (the enterprise's read side, shared with the mini-program)
and `app.appeal.service`: an appeal they may not follow is a 404 page, and a step the
service refuses is shown on the page in its words. POSTs carry the session's CSRF token
(`handlers.h5.csrf`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse, redirect

from app.appeal import service as appeal_service
from app.appeal.calendar import SHANGHAI
from app.appeal.errors import AppealError, AppealNotFound
from app.appeal.models import AppealStatus, Satisfaction
from app.appeal.queries import (
    STATUS_FILTERS,
    AppealDetail,
    AppealSummary,
    TimelineEntry,
    detail_for_user,
    list_for_user,
)
from app.identity.models import WeChatUser
from handlers.h5.csrf import CSRF_FIELD, csrf_token, refuse_forgery
from handlers.h5.pages import message_page, render_page
from handlers.h5.session import visitor

__all__ = ["Due", "appeal_confirm", "appeal_detail", "appeal_list", "appeal_supplement", "due_of"]

PAGE_SIZE = 20
SUPPLEMENT_LIMIT = 2000
COMMENT_LIMIT = 1000
DONE_NOTICES = {
    "supplement": "补充材料已提交，承办单位会一并处理。",
    "confirm": "感谢您的确认和评价，本诉求已办结。",
    "reopen": "已收到您的反馈，诉求将重新分派办理。",
}
STATUS_TABS = (("", "全部"), ("open", "进行中"), ("closed", "已结束"))
_NOT_FOUND = {"title": "诉求不存在", "message": "该诉求不存在，或您无权查看。", "status": 404}


@dataclass(frozen=True)
class Due:
    """The deadline that matters now (受理 / 办结 / 评价), as one line."""

    label: str
    at: datetime


def due_of(summary: AppealSummary) -> Due | None:
    """Which of an appeal's deadlines the enterprise is waiting on or must meet now."""
    status = summary.status
    if status in (AppealStatus.submitted, AppealStatus.held) and summary.accept_due_at:
        return Due("受理时限", summary.accept_due_at)
    if status in (AppealStatus.dispatched, AppealStatus.in_progress) and summary.resolve_due_at:
        return Due("办结时限", summary.resolve_due_at)
    if status is AppealStatus.replied and summary.confirm_due_at:
        return Due("确认评价截止", summary.confirm_due_at)
    return None


async def _visitor(request: Request) -> WeChatUser | None | HTTPResponse:
    """The signed-in person; a redirect to sign in; None for a follower we know no person of
    (nothing filed yet, so nothing to show)."""
    return await visitor(request, create_person=False)


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 500))
    except ValueError:
        return 1


def _time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


async def appeal_list(request: Request) -> HTTPResponse:
    user = await _visitor(request)
    if isinstance(user, HTTPResponse):
        return user
    page = _page_number(request.args.get("page"))
    status = request.args.get("status") or ""
    if status not in STATUS_FILTERS:
        status = ""
    items: list[AppealSummary] = []
    total, has_next = 0, False
    if user is not None:
        found = await list_for_user(user=user, status=status or None, page=page, per_page=PAGE_SIZE)
        items, total, has_next = found.items, found.total, found.has_next
    return render_page(
        "appeal_list.html", title="我的诉求", items=items, total=total, page=page, has_next=has_next,
        status_filter=status, tabs=STATUS_TABS, due_of=due_of, time=_time,
    )


async def appeal_detail(request: Request, appeal_id: int) -> HTTPResponse:
    user = await _visitor(request)
    if isinstance(user, HTTPResponse):
        return user
    if user is None:
        return message_page(**_NOT_FOUND)
    try:
        detail = await _detail(request, user, appeal_id)
    except AppealNotFound:
        return message_page(**_NOT_FOUND)
    notice = DONE_NOTICES.get(request.args.get("done") or "", "")
    return _render_detail(request, detail, notice=notice)


async def appeal_supplement(request: Request, appeal_id: int) -> HTTPResponse:
    refused = _refuse_forgery(request)
    if refused is not None:
        return refused
    user = await _visitor(request)
    if isinstance(user, HTTPResponse) or user is None:
        return message_page(**_NOT_FOUND)
    form = request.form or {}
    text = (form.get("text") or "").strip()
    try:
        if len(text) > SUPPLEMENT_LIMIT:
            raise AppealError(f"补充内容不能超过 {SUPPLEMENT_LIMIT} 字", code="note_too_long", field="note")
        await appeal_service.supplement(appeal_id=appeal_id, user=user, text=text, settings=_settings(request))
    except AppealNotFound:
        return message_page(**_NOT_FOUND)
    except AppealError as error:
        detail = await _detail(request, user, appeal_id)
        return _render_detail(request, detail, errors={"supplement": error.message}, values={"text": text},
                              status=error.status)
    return redirect(f"/h5/appeals/{appeal_id}?done=supplement", status=303)


async def appeal_confirm(request: Request, appeal_id: int) -> HTTPResponse:
    refused = _refuse_forgery(request)
    if refused is not None:
        return refused
    user = await _visitor(request)
    if isinstance(user, HTTPResponse) or user is None:
        return message_page(**_NOT_FOUND)
    form = request.form or {}
    values = {
        "resolved": form.get("resolved") or "",
        "satisfaction": form.get("satisfaction") or "",
        "comment": (form.get("comment") or "").strip(),
    }
    try:
        if values["resolved"] not in ("yes", "no"):
            raise AppealError("请选择问题是否已经解决", code="resolved_required", field="resolved")
        if not values["satisfaction"]:
            raise AppealError("请选择满意度", code="invalid_satisfaction", field="satisfaction")
        if len(values["comment"]) > COMMENT_LIMIT:
            raise AppealError(f"评价内容不能超过 {COMMENT_LIMIT} 字", code="note_too_long", field="comment")
        appeal = await appeal_service.confirm(
            appeal_id=appeal_id,
            user=user,
            resolved=values["resolved"] == "yes",
            satisfaction=values["satisfaction"],
            comment=values["comment"],
            settings=_settings(request),
        )
    except AppealNotFound:
        return message_page(**_NOT_FOUND)
    except AppealError as error:
        detail = await _detail(request, user, appeal_id)
        return _render_detail(request, detail, errors={"confirm": error.message}, values=values, status=error.status)
    done = "confirm" if AppealStatus(appeal.status) is AppealStatus.closed else "reopen"
    return redirect(f"/h5/appeals/{appeal_id}?done={done}", status=303)


def _settings(request: Request) -> Any:
    return request.app.ctx.resources.settings


async def _detail(request: Request, user: WeChatUser, appeal_id: int) -> AppealDetail:
    return await detail_for_user(user=user, appeal_id=appeal_id, settings=_settings(request), absolute_urls=False)


def _refuse_forgery(request: Request) -> HTTPResponse | None:
    return refuse_forgery(request, message="页面已过期或来源不明，请返回诉求页面刷新后再提交。")


def _render_detail(
    request: Request,
    detail: AppealDetail,
    *,
    notice: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTTPResponse:
    actions = {action.action for action in detail.actions}
    return render_page(
        "appeal_detail.html",
        title="诉求详情",
        status=status,
        detail=detail,
        summary=detail.summary,
        due=due_of(detail.summary),
        time=_time,
        can_supplement="supplement" in actions,
        can_confirm="confirm" in actions,
        info_question=_open_question(detail),
        satisfaction_levels=list(Satisfaction),
        notice=notice,
        errors=errors or {},
        values=values or {},
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(request),
    )


def _open_question(detail: AppealDetail) -> TimelineEntry | None:
    """The handlers' last request for information, unless the enterprise has answered since."""
    for entry in reversed(detail.timeline):
        if entry.action == "supplement":
            return None
        if entry.action == "request_info":
            return entry
    return None
