"""What an enterprise sees of its appeals: the read side shared by the mini-program, the H5
pages and the chat (and the file route every one of them links to).

Nothing here changes an appeal; `app.appeal.service` does that. These functions answer
"which appeals may this person follow, and what do they show":

* **Who may see what** is `app.appeal.access` (`user_appeals`, `enterprise_actor`): the
  person who filed an appeal and anyone bound to its enterprise. Anyone else is told the
  appeal does not exist (`AppealNotFound`), so ids cannot be probed.
* **The public timeline** is every event except internal ones (notes, transfer requests,
  content holds, supervision), each with who acted as the enterprise should read it: an
  organisation's name for staff, never a staff member's own name or role.
* **Attachments** are links signed for a limited time (`app.appeal.storage.signed_url`),
  because the mini-program's `<image>` and WeChat's media check fetch them without a
  session. Photos the content check refused are left out.
* **Buttons** come from the transition table (`app.appeal.workflow.available_actions`),
  so a page never offers a step the service would refuse.
* Phone numbers are shown masked: anyone bound to the enterprise may read the appeal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.appeal import storage
from app.appeal.access import enterprise_actor, user_appeals
from app.appeal.categories import CATEGORIES, deadlines_for
from app.appeal.errors import AppealError, AppealNotFound
from app.appeal.models import (
    Appeal,
    AppealAttachment,
    AppealChannel,
    AppealEvent,
    AppealStatus,
    CloseReason,
    ContactPreference,
    Satisfaction,
)
from app.appeal.workflow import OPEN_STATUSES, TERMINAL_STATUSES, TRANSITIONS, available_actions
from app.config import Settings
from app.content_check.models import ContentCheck
from app.identity.models import WeChatUser
from app.identity.service import mask_phone

__all__ = [
    "HIDDEN_CHECK_RESULTS",
    "MAX_PER_PAGE",
    "STATUS_FILTERS",
    "ActionView",
    "AppealDetail",
    "AppealPage",
    "AppealSummary",
    "AttachmentFile",
    "AttachmentView",
    "CategoryView",
    "TimelineEntry",
    "attachment_file",
    "attachments_to_check",
    "categories",
    "detail_for_user",
    "list_for_user",
    "summarise",
]

MAX_PER_PAGE = 100
STATUS_FILTERS: dict[str, frozenset[AppealStatus]] = {"open": OPEN_STATUSES, "closed": TERMINAL_STATUSES}
"""`status` filter of the lists: 进行中 (open) or 已结束 (closed: declined or closed)."""

HIDDEN_CHECK_RESULTS = frozenset({"risky", "rejected"})
"""Attachment check results that keep a photo off every page (the content check refused it)."""

ACTION_LABELS: dict[str, str] = {"submit": "提交诉求", **{action: t.label for action, t in TRANSITIONS.items()}}

# What the enterprise is waiting for, or is asked to do, besides the status.
_AWAITING: dict[str, str] = {
    "info_requested": "请补充材料",
    "supplemented": "已补充材料，等待处理",
    "reopened": "已申请重办，等待重新分派",
    "returned": "等待重新分派",
}


# -- categories ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryView:
    code: str
    label: str
    hint: str
    resolve_working_days: int
    """The time the handling organisation has to answer, from dispatch (working days)."""


def categories(*, settings: Settings) -> list[CategoryView]:
    """The categories an enterprise chooses from, in display order, with this deployment's
    resolution deadline (overrides in APPEAL_DEADLINES applied)."""
    return [
        CategoryView(c.code, c.label, c.hint, deadlines_for(c.code, settings).resolve) for c in CATEGORIES.values()
    ]


# -- the list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppealSummary:
    id: int
    number: str
    title: str
    category: str
    category_label: str
    status: AppealStatus
    status_label: str
    awaiting: str
    """What is pending on the enterprise's side or what it waits for, e.g. 请补充材料, 待您评价."""
    enterprise_name: str
    channel: AppealChannel
    created_at: datetime
    updated_at: datetime
    accept_due_at: datetime | None
    resolve_due_at: datetime | None
    confirm_due_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class AppealPage:
    items: list[AppealSummary]
    page: int
    per_page: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


async def list_for_user(
    *, user: WeChatUser, status: str | None = None, page: int = 1, per_page: int = 20
) -> AppealPage:
    """The appeals `user` may follow (filed by them or concerning an enterprise they are bound
    to), newest first, one page. `status` is None (all), "open" or "closed"; `page` counts
    from 1. Raises AppealError for an unknown filter (a transport's input check failed)."""
    queryset = user_appeals(user)
    if status:
        if status not in STATUS_FILTERS:
            raise AppealError("状态筛选只能是 open（进行中）或 closed（已结束）", code="invalid_status_filter", field="status")
        queryset = queryset.filter(status__in=[s.value for s in STATUS_FILTERS[status]])
    page = max(1, int(page))
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    total = await queryset.count()
    rows = await queryset.order_by("-id").offset((page - 1) * per_page).limit(per_page)
    return AppealPage([summarise(appeal) for appeal in rows], page, per_page, total)


def summarise(appeal: Appeal) -> AppealSummary:
    """An appeal as its list row (e.g. to answer a submission or a step with its new status)."""
    status = AppealStatus(appeal.status)
    category = CATEGORIES.get(appeal.category)
    return AppealSummary(
        id=appeal.id,
        number=appeal.number,
        title=appeal.title,
        category=appeal.category,
        category_label=category.label if category else appeal.category,
        status=status,
        status_label=status.label,
        awaiting=_awaiting(appeal),
        enterprise_name=appeal.enterprise_name,
        channel=AppealChannel(appeal.channel),
        created_at=appeal.created_at,
        updated_at=appeal.updated_at,
        accept_due_at=appeal.accept_due_at,
        resolve_due_at=appeal.resolve_due_at,
        confirm_due_at=appeal.confirm_due_at,
        closed_at=appeal.closed_at,
    )


def _awaiting(appeal: Appeal) -> str:
    status = AppealStatus(appeal.status)
    if status is AppealStatus.replied:
        return "待您确认并评价"
    if status in TERMINAL_STATUSES:
        return ""
    return _AWAITING.get(appeal.flag or "", "")


# -- one appeal -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentView:
    id: int
    filename: str
    content_type: str
    size: int
    url: str
    """Signed link to `/files/appeal/<id>`, valid for `storage`'s TTL (one hour)."""
    event_id: int | None
    is_image: bool


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    action: str
    label: str
    """The step in words (受理, 答复, 企业补充材料 ...)."""
    who: str
    """企业, the acting organisation's name, or the channel / system."""
    at: datetime
    text: str
    """The reason, reply, question or comment written with the step."""
    status: AppealStatus | None
    status_label: str
    """The status the step led to; empty for steps that do not change it."""
    details: list[str]
    """Further facts in words, e.g. 承办单位：市科委, 满意度：满意."""
    attachments: list[AttachmentView]


@dataclass(frozen=True)
class ActionView:
    action: str
    label: str
    note_required: bool
    note_label: str


@dataclass(frozen=True)
class AppealDetail:
    summary: AppealSummary
    description: str
    enterprise_id: int | None
    contact_name: str
    contact_phone_masked: str
    contact_preference: ContactPreference
    decline_reason: str
    lead_organisation: str
    """The organisation handling it now (empty before dispatch)."""
    resolved: bool | None
    satisfaction: Satisfaction | None
    satisfaction_comment: str
    close_reason: CloseReason | None
    reopen_count: int
    reopens_left: int
    timeline: list[TimelineEntry]
    attachments: list[AttachmentView]
    actions: list[ActionView]
    is_submitter: bool


async def detail_for_user(
    *, user: WeChatUser, appeal_id: int, settings: Settings, absolute_urls: bool = True
) -> AppealDetail:
    """One appeal as the enterprise sees it, or AppealNotFound if `user` may not follow it.

    `absolute_urls` makes attachment links absolute on PUBLIC_BASE_URL (the mini-program
    needs that; an H5 page on the same host may pass False)."""
    appeal = await Appeal.filter(id=appeal_id).select_related("lead_organisation").first()
    if appeal is None:
        raise AppealNotFound()
    actor = await enterprise_actor(user, appeal)  # AppealNotFound for anyone else

    events = (
        await AppealEvent.filter(appeal_id=appeal.id, internal=False)
        .select_related("staff__organisation", "organisation")
        .order_by("created_at", "id")
    )
    files = await AppealAttachment.filter(appeal_id=appeal.id).order_by("id")
    visible_files = [_attachment(a, settings, absolute_urls) for a in files if a.check_result not in HIDDEN_CHECK_RESULTS]
    by_event: dict[int | None, list[AttachmentView]] = defaultdict(list)
    for view in visible_files:
        by_event[view.event_id].append(view)

    reopens_left = max(0, settings.appeal_max_reopens - appeal.reopen_count)
    actions = [
        ActionView(t.action, t.label, t.note_required, t.note_label)
        for t in available_actions(status=AppealStatus(appeal.status), actor=actor)
        # Once reopens are used up an unresolved verdict closes the appeal (service.confirm):
        # offering 申请重办 then would promise what will not happen.
        if not (t.action == "reopen" and reopens_left == 0)
    ]
    return AppealDetail(
        summary=summarise(appeal),
        description=appeal.description,
        enterprise_id=appeal.enterprise_id,
        contact_name=appeal.contact_name,
        contact_phone_masked=mask_phone(appeal.contact_phone),
        contact_preference=ContactPreference(appeal.contact_preference),
        decline_reason=appeal.decline_reason,
        lead_organisation=appeal.lead_organisation.name if appeal.lead_organisation else "",
        resolved=appeal.resolved,
        satisfaction=Satisfaction(appeal.satisfaction) if appeal.satisfaction else None,
        satisfaction_comment=appeal.satisfaction_comment,
        close_reason=CloseReason(appeal.close_reason) if appeal.close_reason else None,
        reopen_count=appeal.reopen_count,
        reopens_left=reopens_left,
        timeline=[_entry(event, by_event.get(event.id, [])) for event in events],
        attachments=visible_files,
        actions=actions,
        is_submitter=appeal.submitter_id == user.id,
    )


def _attachment(attachment: AppealAttachment, settings: Settings, absolute: bool) -> AttachmentView:
    return AttachmentView(
        id=attachment.id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        url=storage.signed_url(attachment.id, settings=settings, absolute=absolute),
        event_id=attachment.event_id,
        is_image=attachment.content_type.startswith("image/"),
    )


def _who(event: AppealEvent) -> str:
    payload: dict[str, Any] = event.payload or {}
    if event.user_id is not None:
        return "企业"
    if event.staff_id is not None and event.staff is not None and event.staff.organisation is not None:
        # The organisation acts, not the person: staff names stay inside the government.
        return event.staff.organisation.name
    if event.organisation is not None and event.action not in ("dispatch", "redispatch", "escalate"):
        return event.organisation.name
    if event.action == "submit":
        return str(payload.get("by") or AppealChannel(payload.get("channel", "miniprogram")).label)
    return "系统"


STAGE_LABELS = {"accept": "受理", "respond": "响应", "resolve": "办结", "confirm": "评价"}


def event_details(event: AppealEvent, *, for_staff: bool = False) -> list[str]:
    """The facts a timeline entry shows under its text, read from the event's payload. Staff
    also see what only staff see (a transfer request's suggestion, supervision levels)."""
    payload: dict[str, Any] = event.payload or {}
    details: list[str] = []
    if event.action == "submit" and payload.get("channel"):
        try:
            details.append(f"提交渠道：{AppealChannel(payload['channel']).label}")
        except ValueError:
            pass
    if payload.get("lead"):
        details.append(f"承办单位：{payload['lead']}")
    if payload.get("co_handlers"):
        details.append(f"协办单位：{'、'.join(payload['co_handlers'])}")
    if "resolved" in payload:
        details.append("问题已解决" if payload["resolved"] else "问题未解决")
    if payload.get("satisfaction_label"):
        details.append(f"满意度：{payload['satisfaction_label']}")
    if payload.get("into"):
        details.append(f"并入诉求：{payload['into']}")
    if for_staff and payload.get("suggested"):
        details.append(f"建议转至：{payload['suggested']}")
    if for_staff and payload.get("stage") and "level" in payload:
        stage = STAGE_LABELS.get(str(payload["stage"]), str(payload["stage"]))
        details.append(f"{stage}期限，第 {payload['level']} 级")
    return details


def _entry(event: AppealEvent, attachments: list[AttachmentView]) -> TimelineEntry:
    to_status = AppealStatus(event.to_status) if event.to_status else None
    return TimelineEntry(
        id=event.id,
        action=event.action,
        label=ACTION_LABELS.get(event.action, event.action),
        who=_who(event),
        at=event.created_at,
        text=event.text,
        status=to_status,
        status_label=to_status.label if to_status else "",
        details=event_details(event),
        attachments=attachments,
    )


# -- the file behind a signed link -------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentFile:
    """Where an attachment's bytes are: a stored file, or a picture WeChat keeps (`redirect`)."""

    content_type: str
    filename: str
    path: Path | None = None
    redirect: str = ""
    size: int = 0


async def attachment_file(*, attachment_id: int, settings: Settings) -> AttachmentFile:
    """The bytes of attachment `attachment_id` for the signed-link route; AppealNotFound if the
    attachment or its file is gone. The caller has verified the signature: a valid link is
    the permission (it was issued to someone who could see the appeal, or to WeChat's check)."""
    attachment = await AppealAttachment.filter(id=attachment_id).first()
    if attachment is None:
        raise AppealNotFound("未找到该附件")
    key = attachment.storage_key
    if key.startswith("url:"):
        # A chat photo is kept by WeChat (its PicUrl); the link leads there.
        url = key[4:]
        if url.startswith(("https://", "http://")):
            return AttachmentFile(attachment.content_type, attachment.filename, redirect=url)
        raise AppealNotFound("未找到该附件")
    try:
        path = storage.open_file(key, settings=settings)
    except FileNotFoundError:
        raise AppealNotFound("未找到该附件") from None
    return AttachmentFile(attachment.content_type, attachment.filename, path=path, size=attachment.size)


# -- photos still to be checked -----------------------------------------------------------------


async def attachments_to_check(*, appeal_id: int) -> list[AppealAttachment]:
    """The appeal's uploaded files still waiting for their first content check (stored as
    `pending` by the service and not yet submitted to WeChat), oldest first."""
    pending = await AppealAttachment.filter(appeal_id=appeal_id, check_result="pending").order_by("id")
    if not pending:
        return []
    submitted = set(
        await ContentCheck.filter(
            subject_type="appeal_attachment", subject_id__in=[a.id for a in pending]
        ).values_list("subject_id", flat=True)
    )
    return [a for a in pending if a.id not in submitted and not a.storage_key.startswith(("url:", "wechat:"))]
