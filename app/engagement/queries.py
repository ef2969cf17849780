"""The read side of engagements: what the enterprise, the provider desk and staff see.

Views are plain dataclasses built here, so transports never query. Each list is scoped by
who asks: a person sees the engagements of the enterprises they are bound to (and those
they requested), a provider member those of their provider, staff (provider.manage) all,
with phone numbers masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from app.engagement.access import actor_for, engagement_not_found
from app.engagement.models import Engagement, EngagementEvent, EngagementStatus, ProviderRating
from app.engagement.workflow import OPEN_STATUSES, ROLE_LABELS, Actor, Role, Transition, available_actions
from app.identity.models import EnterpriseBinding, WeChatUser
from app.identity.service import mask_phone
from app.provider.access import require_member
from app.staff.models import Staff

__all__ = [
    "EngagementDetail",
    "EngagementSummary",
    "Page",
    "StaffFilters",
    "detail",
    "list_for_provider",
    "list_for_staff",
    "list_for_user",
    "unrated_for_user",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUS_FILTERS = {"open": OPEN_STATUSES, "closed": frozenset(EngagementStatus) - OPEN_STATUSES}


@dataclass(frozen=True)
class EngagementSummary:
    id: int
    status: EngagementStatus
    provider_id: int
    provider_name: str
    product_id: int
    product_name: str
    enterprise_id: int
    enterprise_name: str
    requested_at: datetime
    updated_at: datetime | None
    rated: bool
    confirm_due_at: datetime | None = None

    @property
    def status_label(self) -> str:
        return self.status.label


@dataclass(frozen=True)
class TimelineEntry:
    action: str
    label: str
    who: str
    at: datetime
    text: str


@dataclass(frozen=True)
class RatingView:
    overall: int
    dimensions: dict[str, int]
    comment: str
    comment_state: str
    counts: bool
    created_at: datetime
    excluded_reason: str = ""


@dataclass
class EngagementDetail:
    summary: EngagementSummary
    note: str
    delivery_note: str
    status_reason: str
    requester_phone: str
    """Masked."""
    timeline: list[TimelineEntry]
    actions: list[Transition]
    roles: frozenset[Role]
    rating: RatingView | None
    can_rate: bool
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    items: list[EngagementSummary]
    total: int
    has_next: bool


_ACTION_LABELS = {"request": "提交委托", "accept": "接受委托", "decline": "婉拒委托", "deliver": "交付服务",
                  "confirm": "确认完成", "reopen": "反馈未完成", "auto_complete": "逾期未确认，自动完成",
                  "cancel": "取消委托"}


def _summary(engagement: Engagement, rated: bool) -> EngagementSummary:
    return EngagementSummary(
        id=engagement.id, status=EngagementStatus(engagement.status), provider_id=engagement.provider_id,
        provider_name=engagement.provider.name, product_id=engagement.product_id, product_name=engagement.product.name,
        enterprise_id=engagement.enterprise_id, enterprise_name=engagement.enterprise.name,
        requested_at=engagement.requested_at, updated_at=engagement.updated_at, rated=rated,
        confirm_due_at=engagement.confirm_due_at,
    )


async def _page(query: Any, *, page: int, per_page: int) -> Page:
    total = await query.count()
    rows = await query.select_related("provider", "product", "enterprise").order_by("-id").offset(
        (page - 1) * per_page).limit(per_page + 1)
    rated = set(await ProviderRating.filter(engagement_id__in=[r.id for r in rows]).values_list("engagement_id", flat=True))
    items = [_summary(r, r.id in rated) for r in rows[:per_page]]
    return Page(items=items, total=total, has_next=len(rows) > per_page)


def _status_filter(query: Any, status: str | None) -> Any:
    if not status:
        return query
    if status in STATUS_FILTERS:
        return query.filter(status__in=list(STATUS_FILTERS[status]))
    return query.filter(status=EngagementStatus(status))


async def _enterprise_scope(user: WeChatUser) -> Q:
    enterprise_ids = await EnterpriseBinding.filter(user_id=user.id, revoked_at__isnull=True).values_list(
        "enterprise_id", flat=True)
    return Q(requested_by_id=user.id) | Q(enterprise_id__in=list(enterprise_ids) or [0])


async def list_for_user(*, user: WeChatUser, status: str | None = None, page: int = 1, per_page: int = 20) -> Page:
    """The engagements of the person's enterprises (and those they requested), newest first.
    `status`: open, closed or one status code."""
    query = _status_filter(Engagement.filter(await _enterprise_scope(user)), status)
    return await _page(query, page=page, per_page=per_page)


async def unrated_for_user(*, user: WeChatUser) -> list[EngagementSummary]:
    """Completed engagements of the person's enterprises nobody rated yet (the chat flow's choice)."""
    enterprise_ids = await EnterpriseBinding.filter(user_id=user.id, revoked_at__isnull=True).values_list(
        "enterprise_id", flat=True)
    rows = await Engagement.filter(enterprise_id__in=list(enterprise_ids) or [0], status=EngagementStatus.completed,
                                   rating__id__isnull=True).select_related("provider", "product", "enterprise").order_by(
        "-completed_at", "-id").limit(9)
    return [_summary(r, False) for r in rows]


async def list_for_provider(*, user: WeChatUser, provider_id: int, status: str | None = None, page: int = 1,
                            per_page: int = 20) -> Page:
    """The provider desk: the provider's engagements (members only), newest first."""
    await require_member(user=user, provider_id=provider_id)
    query = _status_filter(Engagement.filter(provider_id=provider_id), status)
    return await _page(query, page=page, per_page=per_page)


@dataclass
class StaffFilters:
    status: str = ""
    provider_id: int | None = None
    category: str = ""
    enterprise: str = ""
    """Name fragment or credit code."""
    date_from: date | None = None
    date_to: date | None = None

    def params(self) -> dict[str, str]:
        values = {"status": self.status, "provider_id": str(self.provider_id or ""), "category": self.category,
                  "enterprise": self.enterprise, "date_from": self.date_from.isoformat() if self.date_from else "",
                  "date_to": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in values.items() if v}


def staff_query(filters: StaffFilters) -> Any:
    """Every engagement (staff with provider.manage), filtered."""
    query = _status_filter(Engagement.all(), filters.status or None)
    if filters.provider_id:
        query = query.filter(provider_id=filters.provider_id)
    if filters.category:
        query = query.filter(Q(product__category=filters.category)
                             | Q(product__category__isnull=True, provider__category=filters.category))
    if filters.enterprise:
        term = filters.enterprise.strip()
        query = query.filter(Q(enterprise__name__icontains=term) | Q(enterprise__credit_code=term.upper()))
    if filters.date_from:
        query = query.filter(requested_at__gte=datetime.combine(filters.date_from, time.min, SHANGHAI))
    if filters.date_to:
        query = query.filter(requested_at__lte=datetime.combine(filters.date_to, time.max, SHANGHAI))
    return query


async def list_for_staff(*, filters: StaffFilters, page: int = 1, per_page: int = 30) -> Page:
    return await _page(staff_query(filters), page=page, per_page=per_page)


async def detail(*, engagement_id: int, user: WeChatUser | None = None, staff: Staff | None = None) -> EngagementDetail:
    """One engagement as the caller may see it: the timeline, the steps they may take,
    the rating. Not theirs: `engagement_not_found`."""
    engagement = await Engagement.filter(id=engagement_id).select_related(
        "provider", "product", "enterprise", "requested_by").first()
    if engagement is None:
        raise engagement_not_found()
    actor: Actor = await actor_for(engagement, user=user, staff=staff)
    events = await EngagementEvent.filter(engagement_id=engagement.id).order_by("id")
    rating = await ProviderRating.filter(engagement_id=engagement.id).first()
    timeline = [TimelineEntry(action=e.action, label=_ACTION_LABELS.get(e.action, e.action),
                              who=e.by or ROLE_LABELS.get(Role(e.role), ""), at=e.created_at, text=e.text) for e in events]
    rating_view = None
    if rating is not None:
        shown = rating.comment if (staff is not None or str(rating.comment_check.value) in ("passed", "approved", "none")
                                   or (user is not None and rating.rated_by_id == user.id)) else ""
        rating_view = RatingView(overall=rating.overall, dimensions=dict(rating.dimensions or {}), comment=shown,
                                 comment_state=rating.comment_check.label, counts=rating.counts,
                                 created_at=rating.created_at, excluded_reason=rating.excluded_reason)
    can_rate = (rating is None and Role.enterprise in actor.roles and Role.provider not in actor.roles
                and EngagementStatus(engagement.status) is EngagementStatus.completed
                and user is not None and await EnterpriseBinding.filter(
                    user_id=user.id, enterprise_id=engagement.enterprise_id, revoked_at__isnull=True).exists()
                and engagement.enterprise.credit_code != engagement.provider.credit_code)
    phone = engagement.requested_by.phone if engagement.requested_by else ""
    return EngagementDetail(
        summary=_summary(engagement, rating is not None), note=engagement.note, delivery_note=engagement.delivery_note,
        status_reason=engagement.status_reason, requester_phone=mask_phone(phone), timeline=timeline,
        actions=available_actions(status=engagement.status, actor=actor), roles=actor.roles, rating=rating_view,
        can_rate=can_rate,
    )
