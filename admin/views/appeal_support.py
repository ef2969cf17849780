"""What the appeal pages show besides the appeal itself: the queue's tabs, deadline badges,
the contact phone as the viewer may see it, the timeline, attachments with signed links,
the organisations a form offers, and the dispatch help (suggested organisations, likely
duplicates).

Nothing here decides a step: who may do what is `app.appeal.workflow` via
`app.appeal.access.staff_actor`, and every change goes through `app.appeal.service`.
This module only reads, for display, and every list of appeals is narrowed by
`app.appeal.access.staff_appeals`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from admin.paging import PER_PAGE, Page, paginate
from app.appeal.access import staff_appeals
from app.appeal.calendar import SHANGHAI
from app.appeal.categories import CATEGORIES
from app.appeal.deadlines import (
    LEVEL_LABELS,
    OverdueAppeal,
    overdue_appeals,
    pending_stages,
)
from app.appeal.deadlines import deadline_badge as shared_deadline_badge
from app.appeal.models import (
    Appeal,
    AppealAssignment,
    AppealAttachment,
    AppealChannel,
    AppealEvent,
    AppealStatus,
    ContactPreference,
)
from app.appeal.queries import STAGE_LABELS, event_details
from app.appeal.routing import suggest_organisations
from app.appeal.similarity import find_duplicates
from app.appeal.storage import signed_url
from app.appeal.workflow import OPEN_STATUSES, TRANSITIONS, Actor, Role
from app.config import Settings
from app.enterprise.reference import District
from app.identity.service import mask_phone
from app.organisation.models import Organisation, OrganisationKind
from app.policy.segment import ensure_ready as segmentation_ready
from app.staff.models import Staff
from app.staff.scope import can

__all__ = [
    "FLAG_LABELS",
    "LEVEL_LABELS",
    "TABS",
    "DeadlineBadge",
    "QueueFilters",
    "QueuePage",
    "Tab",
    "active_organisations",
    "assignments_of",
    "attachments_of",
    "category_label",
    "contact_phone_for",
    "content_checks",
    "deadline_badge",
    "deadlines_of",
    "default_tab",
    "dispatch_help",
    "latest_transfer_request",
    "masked_phone",
    "now_local",
    "queue",
    "tab_counts",
    "tabs_for",
    "timeline",
]

logger = logging.getLogger("qiyun.admin.appeals")

S = AppealStatus

FLAG_LABELS: dict[str, tuple[str, str]] = {
    "returned": ("已退回", "warn"),
    "reopened": ("重办", "warn"),
    "transfer_requested": ("申请转办", "warn"),
    "info_requested": ("待企业补充", "off"),
    "supplemented": ("企业已补充", "on"),
}
"""Appeal.flag -> (badge text, badge class): what awaits whom besides the status."""

EVENT_LABELS = {"submit": "提交诉求"} | {action: t.label for action, t in TRANSITIONS.items()}


# -- the queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    code: str
    label: str
    statuses: tuple[AppealStatus, ...] = ()
    flag: str = ""
    ordering: tuple[str, ...] = ("created_at", "id")
    dispatchers_only: bool = False
    """Intake tabs: a handler never holds appeals in these states, so they are not offered."""
    overdue: bool = False


TABS: tuple[Tab, ...] = (
    Tab("submitted", "待受理", (S.submitted,), dispatchers_only=True),
    Tab("held", "内容待审核", (S.held,), dispatchers_only=True),
    Tab("accepted", "待分派", (S.accepted,), dispatchers_only=True),
    Tab("handling", "办理中", (S.dispatched, S.in_progress), ordering=("resolve_due_at", "id")),
    Tab("replied", "待评价", (S.replied,), ordering=("-replied_at", "-id")),
    Tab("done", "已办结", (S.closed, S.declined), ordering=("-updated_at", "-id")),
    Tab("transfer", "转办申请", (S.dispatched, S.in_progress), flag="transfer_requested",
        ordering=("-updated_at", "-id")),
    Tab("overdue", "督办", overdue=True),
)
TABS_BY_CODE = {tab.code: tab for tab in TABS}


@dataclass(frozen=True)
class QueueFilters:
    category: str = ""
    district: District | None = None
    channel: AppealChannel | None = None
    q: str = ""

    def params(self) -> dict[str, str]:
        values = {"category": self.category, "district": self.district, "channel": self.channel, "q": self.q}
        return {name: getattr(value, "value", value) for name, value in values.items() if value}


def tabs_for(staff: Staff) -> list[Tab]:
    dispatcher = can(staff, "appeal.dispatch")
    return [tab for tab in TABS if dispatcher or not tab.dispatchers_only]


def default_tab(staff: Staff) -> Tab:
    return TABS_BY_CODE["submitted" if can(staff, "appeal.dispatch") else "handling"]


def _filtered(query: QuerySet[Appeal], filters: QueueFilters) -> QuerySet[Appeal]:
    if filters.category:
        query = query.filter(category=filters.category)
    if filters.district is not None:
        query = query.filter(district=filters.district)
    if filters.channel is not None:
        query = query.filter(channel=filters.channel)
    if filters.q:
        query = query.filter(Q(number__icontains=filters.q) | Q(title__icontains=filters.q))
    return query


def _matches(appeal: Appeal, filters: QueueFilters) -> bool:
    """`_filtered` for appeals already loaded (the supervision tab's rows)."""
    q = filters.q.lower()
    return (
        (not filters.category or appeal.category == filters.category)
        and (filters.district is None or appeal.district == filters.district)
        and (filters.channel is None or appeal.channel == filters.channel)
        and (not q or q in appeal.number.lower() or q in appeal.title.lower())
    )


def _tab_query(tab: Tab) -> QuerySet[Appeal]:
    query = Appeal.filter(status__in=list(tab.statuses))
    if tab.flag:
        query = query.filter(flag=tab.flag)
    return query


async def queue_query(*, staff: Staff, tab: Tab, filters: QueueFilters) -> QuerySet[Appeal]:
    """The appeals of a (non-supervision) tab with the filters, as `staff` may see them: what
    the queue pages and the queue's export both read."""
    return await staff_appeals(staff, _filtered(_tab_query(tab), filters))


async def overdue_rows(*, staff: Staff, filters: QueueFilters, now: datetime, settings: Settings) -> list[OverdueAppeal]:
    """The supervision tab: appeals in scope past a staff deadline (`app.appeal.deadlines`),
    most overdue first."""
    rows = await overdue_appeals(staff=staff, settings=settings, now=now, min_level=1)
    return [row for row in rows if _matches(row.appeal, filters)]


@dataclass(frozen=True)
class QueuePage:
    page: Page[Appeal]
    overdue: dict[int, OverdueAppeal]
    """For the supervision tab: each appeal's overdue stage, level and what was sent."""


async def queue(*, staff: Staff, tab: Tab, filters: QueueFilters, now: datetime, settings: Settings,
                number: int) -> QueuePage:
    """One page of one tab of the queue as `staff` may see it, filtered and ordered."""
    if not tab.overdue:
        scoped = await queue_query(staff=staff, tab=tab, filters=filters)
        page = await paginate(scoped.select_related("lead_organisation", "enterprise").order_by(*tab.ordering),
                              number=number)
        return QueuePage(page, {})
    rows = await overdue_rows(staff=staff, filters=filters, now=now, settings=settings)
    chosen = rows[(number - 1) * PER_PAGE: number * PER_PAGE]
    loaded = {a.id: a for a in await Appeal.filter(id__in=[r.appeal.id for r in chosen] or [-1]).select_related(
        "lead_organisation", "enterprise")}
    items = [loaded[r.appeal.id] for r in chosen if r.appeal.id in loaded]
    return QueuePage(Page(items=items, number=number, per_page=PER_PAGE, total=len(rows)),
                     {r.appeal.id: r for r in chosen})


async def tab_counts(*, staff: Staff, tabs: Sequence[Tab], filters: QueueFilters, now: datetime,
                     settings: Settings) -> dict[str, int]:
    counts = {}
    for tab in tabs:
        if tab.overdue:
            counts[tab.code] = len(await overdue_rows(staff=staff, filters=filters, now=now, settings=settings))
        else:
            counts[tab.code] = await (await queue_query(staff=staff, tab=tab, filters=filters)).count()
    return counts


# -- deadlines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineBadge:
    label: str
    """超期 or 即将到期"""
    kind: str
    """CSS: danger (red) or warn (amber)"""
    text: str
    """已超期2个工作日 / 剩余5小时"""


_BADGES = {"overdue": ("超期", "danger"), "due_soon": ("即将到期", "warn")}


def deadline_badge(appeal: Appeal, *, now: datetime, settings: Settings) -> DeadlineBadge | None:
    """超期 (red) once the nearest staff deadline has passed, 即将到期 (amber) within
    APPEAL_REMINDER_HOURS of it, None otherwise (`app.appeal.deadlines.deadline_badge`)."""
    state, text = shared_deadline_badge(appeal, now, settings=settings)
    if state not in _BADGES:
        return None
    label, kind = _BADGES[state]
    return DeadlineBadge(label, kind, text)


def deadlines_of(appeal: Appeal, *, now: datetime, settings: Settings) -> list[dict[str, Any]]:
    """Every deadline the appeal has; the badge goes on the one it is waiting on now."""
    pending = pending_stages(appeal)
    current = pending[0][0].stage.value if pending else ""
    badge = deadline_badge(appeal, now=now, settings=settings)
    rows = []
    for stage, due, done in (("accept", appeal.accept_due_at, appeal.accepted_at),
                             ("respond", appeal.respond_due_at, appeal.first_response_at),
                             ("resolve", appeal.resolve_due_at, appeal.replied_at),
                             ("confirm", appeal.confirm_due_at, appeal.closed_at)):
        if due is None:
            continue
        rows.append({"stage": STAGE_LABELS[stage], "due_at": due, "done_at": done,
                     "badge": badge if stage == current else None})
    return rows


# -- personal data ---------------------------------------------------------------------------


def contact_phone_for(staff: Staff, appeal: Appeal, actor: Actor | None) -> str:
    """The contact number as this viewer may see it: in full for roles that may see phone
    numbers (`follower.phone`, as for followers), and for the dispatcher or lead organisation
    when the enterprise asked to be phoned (they are the ones who must call back); masked
    (138****1234) otherwise, and always masked in lists (call with actor=None)."""
    phone = appeal.contact_phone or ""
    if can(staff, "follower.phone"):
        return phone
    responsible = actor is not None and bool(actor.roles & {Role.dispatcher, Role.lead})
    if responsible and ContactPreference(appeal.contact_preference) is ContactPreference.phone:
        return phone
    return mask_phone(phone)


def masked_phone(appeal: Appeal) -> str:
    return mask_phone(appeal.contact_phone or "")


# -- the detail page -------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownAttachment:
    attachment: AppealAttachment
    url: str
    is_image: bool
    withheld: bool
    """The content check has not cleared it (pending review or risky): shown to staff, marked."""


def _shown(attachment: AppealAttachment, settings: Settings) -> ShownAttachment:
    return ShownAttachment(
        attachment=attachment,
        url=signed_url(attachment.id, settings=settings),
        is_image=attachment.content_type.startswith("image/"),
        withheld=attachment.check_result in ("review", "risky"),
    )


async def attachments_of(appeal: Appeal, *, settings: Settings) -> tuple[list[ShownAttachment], dict[int, list[ShownAttachment]]]:
    """(the attachments filed with the appeal, the others by the event that added them)."""
    filed: list[ShownAttachment] = []
    by_event: dict[int, list[ShownAttachment]] = {}
    submit_ids = set(await AppealEvent.filter(appeal_id=appeal.id, action="submit").values_list("id", flat=True))
    for attachment in await AppealAttachment.filter(appeal_id=appeal.id).order_by("id"):
        shown = _shown(attachment, settings)
        if attachment.event_id is None or attachment.event_id in submit_ids:
            filed.append(shown)
        else:
            by_event.setdefault(attachment.event_id, []).append(shown)
    return filed, by_event


@dataclass(frozen=True)
class TimelineEntry:
    event: AppealEvent
    label: str
    who: str
    details: list[str]
    attachments: list[ShownAttachment]


def _who(event: AppealEvent) -> str:
    by = (event.payload or {}).get("by")
    if by:
        return str(by)
    if event.staff_id is not None and event.staff is not None:
        return event.staff.display_name
    if event.user_id is not None:
        return "企业"
    return "系统"


async def timeline(appeal: Appeal, *, attachments: dict[int, list[ShownAttachment]]) -> list[TimelineEntry]:
    """Every event, internal ones included (staff see them, marked 内部), oldest first."""
    events = await AppealEvent.filter(appeal_id=appeal.id).select_related("staff", "organisation").order_by(
        "created_at", "id"
    )
    return [
        TimelineEntry(event, EVENT_LABELS.get(event.action, event.action), _who(event), event_details(event, for_staff=True),
                      attachments.get(event.id, []))
        for event in events
    ]


async def assignments_of(appeal: Appeal) -> dict[str, Any]:
    rows = await AppealAssignment.filter(appeal_id=appeal.id).select_related("organisation").order_by("id")
    active = [row for row in rows if row.released_at is None]
    return {
        "lead": next((row for row in active if row.is_lead), None),
        "co": [row for row in active if not row.is_lead],
        "released": [row for row in rows if row.released_at is not None],
    }


async def content_checks(appeal: Appeal) -> list[Any]:
    """The content-check verdicts on the appeal's text and its attachments, oldest first."""
    try:
        from app.content_check.service import checks_for
    except ImportError:
        return []
    found = list(await checks_for(subject_type="appeal", subject_id=appeal.id))
    for attachment_id in await AppealAttachment.filter(appeal_id=appeal.id).values_list("id", flat=True):
        found += await checks_for(subject_type="appeal_attachment", subject_id=attachment_id)
    return found


async def latest_transfer_request(appeal: Appeal) -> AppealEvent | None:
    if appeal.flag != "transfer_requested":
        return None
    return await AppealEvent.filter(appeal_id=appeal.id, action="request_transfer").select_related("staff", "organisation").order_by("-id").first()


# -- organisations a form offers ----------------------------------------------------------------


async def active_organisations() -> list[Organisation]:
    """Every active organisation, the coordination office first, then city departments,
    districts and the rest (a select's options; the service checks what is chosen)."""
    order = {kind: index for index, kind in enumerate(OrganisationKind)}
    organisations = await Organisation.filter(is_active=True)
    return sorted(organisations, key=lambda org: (order.get(org.kind, 99), org.code))


# -- dispatch help -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestedOrganisation:
    organisation: Organisation
    reason: str
    source: str
    """规则 or 相似诉求"""


@dataclass(frozen=True)
class LikelyDuplicate:
    appeal: Appeal
    score: float


_SOURCES = {"rule": "规则", "similar": "相似诉求"}
DUPLICATE_POOL = 500
"""How many recent open appeals of the same category and district are compared."""


async def dispatch_help(appeal: Appeal, *, staff: Staff, want_suggestions: bool, want_duplicates: bool) -> dict[str, Any]:
    """Suggested organisations (`app.appeal.routing`) and likely duplicates among open appeals
    of the same category and district (`app.appeal.similarity`). Both only help the
    dispatcher decide, so a failure is logged and the page still opens without them."""
    found: dict[str, Any] = {"suggestions": [], "duplicates": [], "suggestions_failed": False,
                             "duplicates_failed": False}
    if want_suggestions or want_duplicates:
        await segmentation_ready()  # jieba loads in a thread, not on the event loop
    if want_suggestions:
        try:
            found["suggestions"] = await _suggestions(appeal)
        except Exception:
            logger.warning("routing suggestions failed for appeal %s", appeal.id, exc_info=True)
            found["suggestions_failed"] = True
    if want_duplicates:
        try:
            found["duplicates"] = await _duplicates(appeal, staff=staff)
        except Exception:
            logger.warning("duplicate search failed for appeal %s", appeal.id, exc_info=True)
            found["duplicates_failed"] = True
    return found


def _text(appeal: Appeal) -> str:
    return f"{appeal.title}\n{appeal.description}"


async def _suggestions(appeal: Appeal) -> list[SuggestedOrganisation]:
    district = appeal.district.value if appeal.district is not None else None
    found = await suggest_organisations(category=appeal.category, district=district, text=_text(appeal), limit=5)
    organisations = {org.id: org for org in await Organisation.filter(id__in=[s.organisation_id for s in found] or [-1])}
    return [
        SuggestedOrganisation(organisations[s.organisation_id], s.reason, _SOURCES.get(s.source, s.source))
        for s in found if s.organisation_id in organisations
    ]


async def _duplicates(appeal: Appeal, *, staff: Staff) -> list[LikelyDuplicate]:
    candidates = Appeal.filter(status__in=list(OPEN_STATUSES), category=appeal.category,
                               duplicate_of_id__isnull=True).exclude(id=appeal.id)
    if appeal.district is not None:
        candidates = candidates.filter(district=appeal.district)
    pool = {a.id: a for a in await (await staff_appeals(staff, candidates)).order_by("-created_at").limit(DUPLICATE_POOL)}
    if not pool:
        return []
    similar = find_duplicates(_text(appeal), [(key, _text(other)) for key, other in pool.items()])
    return [LikelyDuplicate(pool[key], score) for key, score in similar if key in pool]


def now_local() -> datetime:
    """Now, in Shanghai time: the same instant as UTC, but written with the offset the working
    calendar gives every deadline, so SQLite (which compares timestamps as text) agrees with
    PostgreSQL about which deadlines have passed."""
    return datetime.now(SHANGHAI)


def category_label(code: str) -> str:
    category = CATEGORIES.get(code)
    return category.label if category else code
