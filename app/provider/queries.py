"""The read side of providers: the public directory, one provider's public page, the
provider desk, and the admin's queue and profile.

Public means status `admitted` or `warned` (`app.provider.workflow.PUBLIC_STATUSES`) and,
for a product, `is_active` and text cleared by the content check (`PUBLIC_TEXT_STATES`:
a product held for review is hidden). A suspended, refused or pending provider does not exist for
the public: `public_provider` raises `ProviderNotFound`, which is also how the engagement
service refuses to engage it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Coalesce, Count

from app.engagement.models import CommentCheck, ProviderRating
from app.enterprise.models import Enterprise
from app.policy import segment
from app.provider.errors import ProviderNotFound
from app.provider.models import (
    ComplaintStatus,
    Provider,
    ProviderComplaint,
    ProviderEvent,
    ProviderProduct,
    ProviderStatus,
    ServiceCategory,
)
from app.provider.models import PUBLIC_TEXT_STATES
from app.provider.reputation import DIMENSIONS, rating_flags
from app.provider.workflow import PUBLIC_STATUSES, TRANSITIONS

__all__ = [
    "SORTS",
    "ProviderPage",
    "RatingView",
    "ReputationView",
    "applications",
    "events_of",
    "public_list",
    "public_product",
    "public_provider",
    "ratings_for_staff",
    "recent_ratings",
    "reputation_of",
]

SORTS = {"score": "综合评分", "ratings": "评价数", "newest": "最新入驻"}
KEYWORD_LIMIT = 30


async def public_provider(*, provider_id: int) -> Provider:
    """A provider the public may see and engage, or ProviderNotFound."""
    provider = await Provider.get_or_none(id=provider_id, status__in=list(PUBLIC_STATUSES))
    if provider is None:
        raise ProviderNotFound()
    return provider


async def public_product(*, product_id: int) -> ProviderProduct:
    """An active product of a public provider (`provider` loaded), or ProviderNotFound."""
    product = await ProviderProduct.get_or_none(
        id=product_id, is_active=True, text_check__in=list(PUBLIC_TEXT_STATES), provider__status__in=list(PUBLIC_STATUSES)
    ).select_related("provider")
    if product is None:
        raise ProviderNotFound("该服务产品不存在或已下架", code="product_not_found")
    return product


@dataclass(frozen=True)
class ReputationView:
    """What a list row or a page shows of a provider's reputation."""

    score: float | None
    rating_count: int
    raw_average: float | None
    few_ratings: bool
    """评价较少: fewer than PROVIDER_MIN_RATINGS ratings, listed after ranked providers."""
    dimensions: dict[str, float]
    completion_rate: float | None

    @property
    def score_text(self) -> str:
        return f"{self.score:.1f}" if self.score is not None and self.rating_count else "暂无评分"

    @property
    def completion_text(self) -> str:
        return f"{self.completion_rate:.0%}" if self.completion_rate is not None else "—"


def reputation_of(provider: Provider) -> ReputationView:
    return ReputationView(
        score=provider.score, rating_count=provider.rating_count, raw_average=provider.raw_average,
        few_ratings=not provider.ranked, completion_rate=provider.completion_rate,
        dimensions={name: (provider.dimension_averages or {}).get(name) for name in DIMENSIONS
                    if (provider.dimension_averages or {}).get(name) is not None},
    )


@dataclass(frozen=True)
class ProviderPage:
    items: list[Provider]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total


ORDERINGS: dict[str, tuple[str, ...]] = {
    "score": ("-ranked", "-sort_score", "-rating_count", "id"),
    "ratings": ("-rating_count", "-sort_score", "id"),
    "newest": ("-admitted_at", "-id"),
}
"""sort -> the database ordering (`sort_score` is the score with none as 0)."""


def _sort_key(sort: str, row: dict[str, Any]) -> tuple:
    """`ORDERINGS[sort]` in Python, for the keyword path (providers without an admission time last)."""
    score = row["score"] or 0.0
    if sort == "ratings":
        return (-row["rating_count"], -score, row["id"])
    if sort == "newest":
        admitted = row["admitted_at"]
        return (admitted is None, -admitted.timestamp() if admitted is not None else 0.0, -row["id"])
    return (not row["ranked"], -score, -row["rating_count"], row["id"])


async def _keyword_matches(query: Any, keyword: str, sort: str) -> list[int] | None:
    """Ids of the providers in `query` matching `keyword`, best first; None when the keyword has
    no searchable word (empty, or only stop words such as 有没有), which lists everyone.

    The keyword is analysed as policy and directory searches are (`app.policy.segment.
    analyse_query`): 专利申请 gives the groups 专利申请 / 专利 / 申请·申报, each a word and its
    synonyms. A provider matches when any group occurs in its name, description or active
    products' names; more groups first, then more groups in the name or a product name (what
    it offers, rather than what its description mentions in passing), then `sort`. The
    public list is a few hundred providers, so they are matched here rather than through an
    index: the same on SQLite and PostgreSQL, and never behind an edit."""
    await segment.ensure_ready()
    groups = [term.alternatives for term in segment.analyse_query(keyword)]
    if not groups:
        return None
    rows = await query.values("id", "name", "description", "ranked", "score", "rating_count", "admitted_at")
    products: dict[int, list[str]] = {}
    for provider_id, name in await ProviderProduct.filter(
        provider_id__in=[row["id"] for row in rows], is_active=True, text_check__in=list(PUBLIC_TEXT_STATES)
    ).values_list("provider_id", "name"):
        products.setdefault(provider_id, []).append(name)
    ranked = []
    for row in rows:
        head = segment.normalise("\n".join([row["name"], *products.get(row["id"], [])]))
        body = segment.normalise(row["description"] or "")
        in_head = sum(1 for group in groups if any(word in head for word in group))
        anywhere = sum(1 for group in groups if any(word in head or word in body for word in group))
        if anywhere:
            ranked.append(((-anywhere, -in_head, *_sort_key(sort, row)), row["id"]))
    ranked.sort()
    return [provider_id for _, provider_id in ranked]


async def public_list(*, category: str | None = None, keyword: str = "", sort: str = "score", offset: int = 0,
                      limit: int = 20) -> ProviderPage:
    """Public providers, by category and keyword (name, description, active products'
    names: see `_keyword_matches`), sorted by score (ranked providers first: see
    app.provider.reputation), by rating count or newest; with a keyword, the best matches
    come first and the sort orders equal matches."""
    sort = sort if sort in ORDERINGS else "score"
    query = Provider.filter(status__in=list(PUBLIC_STATUSES))
    if category:
        query = query.filter(category=ServiceCategory(category))
    matches = await _keyword_matches(query, keyword[:KEYWORD_LIMIT], sort) if keyword.strip() else None
    if matches is not None:
        page_ids = matches[offset:offset + limit]
        found = {p.id: p for p in await Provider.filter(id__in=page_ids).annotate(sort_score=Coalesce("score", 0.0))}
        items = [found[provider_id] for provider_id in page_ids if provider_id in found]
        return ProviderPage(items=items, total=len(matches), offset=offset, limit=limit)
    total = await query.count()
    items = await query.annotate(sort_score=Coalesce("score", 0.0)).order_by(*ORDERINGS[sort]).offset(offset).limit(limit)
    return ProviderPage(items=list(items), total=total, offset=offset, limit=limit)


async def public_products(*, provider_id: int) -> list[ProviderProduct]:
    return list(await ProviderProduct.filter(
        provider_id=provider_id, is_active=True, text_check__in=list(PUBLIC_TEXT_STATES)
    ).order_by("-government_purchased", "id"))


@dataclass(frozen=True)
class RatingView:
    rating: Any
    enterprise_name: str
    comment: str
    """Shown only when the rating counts (its comment passed the content check)."""
    flags: list[str] = field(default_factory=list)
    excluded_reason: str = ""


def _comment_visible(rating: Any) -> bool:
    """A comment is public once WeChat's check passed it or a reviewer approved it."""
    return bool(rating.counts) and str(getattr(rating.comment_check, "value", rating.comment_check)) in (
        CommentCheck.passed.value, CommentCheck.approved.value)


def _mask_enterprise(name: str) -> str:
    """Public pages name the rating enterprise only by its first characters."""
    if len(name) <= 4:
        return name[:1] + "**"
    return name[:4] + "**" + name[-2:]


async def recent_ratings(*, provider_id: int, limit: int = 10) -> list[RatingView]:
    """The latest counting ratings, for the public page (enterprise names masked)."""
    ratings = await ProviderRating.filter(provider_id=provider_id, counts=True).order_by("-created_at", "-id").limit(limit)
    names = await _enterprise_names({r.enterprise_id for r in ratings})
    return [RatingView(rating=r, enterprise_name=_mask_enterprise(names.get(r.enterprise_id, "")),
                       comment=r.comment if _comment_visible(r) else "") for r in ratings]


async def _enterprise_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(await Enterprise.filter(id__in=list(ids)).values_list("id", "name"))


async def ratings_for_staff(*, provider_id: int, limit: int = 200) -> list[RatingView]:
    """Every rating of the provider for staff, newest first, outliers flagged, excluded ones
    with the reason staff gave."""
    ratings = await ProviderRating.filter(provider_id=provider_id).order_by("-created_at", "-id")
    flags = rating_flags(ratings)
    names = await _enterprise_names({r.enterprise_id for r in ratings})
    views = [RatingView(rating=r, enterprise_name=names.get(r.enterprise_id, ""), comment=r.comment,
                        flags=flags.get(r.id, []), excluded_reason=r.excluded_reason) for r in ratings]
    views.sort(key=lambda v: (not v.flags, 0))  # flagged first, otherwise newest first (stable)
    return views[:limit]


EVENT_LABELS: dict[str, str] = {
    "apply": "提交入驻申请", "register": "工作人员登记入驻", "edit_profile": "修改机构资料", "member_join": "成员加入",
    "invite_code": "重新生成邀请码", "product_publish": "发布服务产品", "product_edit": "修改服务产品",
    "product_withdraw": "下架服务产品", "text_approved": "内容人工审核通过", "text_refused": "内容审核未通过", "complaint": "收到投诉", "complaint_upheld": "投诉经核实属实",
    "complaint_dismissed": "投诉不成立", "exclude_rating": "评价不计入评分",
    **{action: t.label for action, t in TRANSITIONS.items()},
}
"""event action -> how the timeline names it."""


def event_label(action: str) -> str:
    return EVENT_LABELS.get(action, action)


async def events_of(*, provider_id: int, limit: int = 200) -> list[ProviderEvent]:
    return list(await ProviderEvent.filter(provider_id=provider_id).order_by("-id").limit(limit))


async def applications(*, status: ProviderStatus | None = None, category: str = "", keyword: str = "") -> Any:
    """The admin's provider list query (paginated by the caller)."""
    query = Provider.all()
    if status is not None:
        query = query.filter(status=status)
    if category:
        query = query.filter(category=ServiceCategory(category))
    if keyword:
        query = query.filter(Q(name__icontains=keyword) | Q(credit_code__icontains=keyword.upper()))
    return query.order_by("-submitted_at", "-id")


async def status_counts() -> dict[str, int]:
    counts = {status.value: 0 for status in ProviderStatus}
    for row in await Provider.annotate(n=Count("id")).group_by("status").values("status", "n"):
        counts[str(getattr(row["status"], "value", row["status"]))] = int(row["n"])
    return counts


async def complaints_of(*, provider_id: int) -> list[ProviderComplaint]:
    return list(await ProviderComplaint.filter(provider_id=provider_id).select_related("enterprise").order_by(
        "status", "-id"))


async def open_complaint_count() -> int:
    return await ProviderComplaint.filter(status=ComplaintStatus.open).count()


async def staff_provider(*, provider_id: int) -> Provider | None:
    """Any provider, whatever its status, for the service manager's profile page."""
    return await Provider.get_or_none(id=provider_id).select_related("applicant", "registered_by")


async def provider_choices() -> list[tuple[int, str]]:
    """(id, name) of every provider, by name: the admin's filter menus."""
    return await Provider.all().order_by("name").values_list("id", "name")
