"""A provider's reputation: the Bayesian score, its raw average, dimensions, completion rate,
and the ratings staff should look at twice.

**Score** (what lists sort by), IMDb's Bayesian average with recency weighting:

    WR = v / (v + m) · R + m / (v + m) · C

* each counting rating (`ProviderRating.counts`) weighs w = 0.5 ** (age in days /
  PROVIDER_RATING_HALF_LIFE_DAYS): a rating a half-life old counts half;
* v = Σ w (the weighted number of ratings), R = Σ w·overall / Σ w (the weighted mean);
* m = PROVIDER_BAYES_M (default 10): how many ratings' worth of the prior a provider starts with;
* C = the mean of all counting ratings in the provider's category, or of all counting
  ratings when the category has fewer than PROVIDER_CATEGORY_MIN_RATINGS, or
  PROVIDER_PRIOR_MEAN when there are none at all.

A provider with no ratings scores C. The Bayesian average alone cannot stop three fresh
5-star ratings (≈ 4.77 when C ≈ 4.7) from edging past two hundred ratings averaging 4.7
(≈ 4.70): C near the top is exactly where it is weakest. So lists rank providers with at
least PROVIDER_MIN_RATINGS ratings (`ranked`) first, by score; the others follow, marked
评价较少 (as government.md §3 proposes: "do not rank publicly until count ≥ m").

**Completion rate** = completed / (completed + failed), the definition
`app.engagement.models` documents: *completed* is status `completed`; *failed* is a
request the provider declined, or work it cancelled itself (status `cancelled` with
`closed_by_role = "provider"`). Cancellations by the enterprise or by staff are nobody's
failure and are left out. None while nothing has ended.

**Outliers** (for staff, `rating_flags`): among counting ratings, an enterprise that gave
at least OUTLIER_SHARE of them (with at least OUTLIER_MIN_FROM_ONE), and a rating that
differs from the mean of the provider's other ratings by OUTLIER_DISTANCE stars or more.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Avg, Count

from app.config import Settings
from app.engagement.models import Engagement, EngagementStatus, ProviderRating
from app.provider.models import Provider, ServiceCategory

__all__ = [
    "DIMENSIONS",
    "OUTLIER_DISTANCE",
    "RatingFlag",
    "Reputation",
    "bayesian",
    "category_means",
    "compute",
    "rating_flags",
    "recency_weight",
]

DIMENSIONS = ("专业能力", "响应速度", "服务态度", "收费合理")
OUTLIER_SHARE = 0.3
OUTLIER_MIN_FROM_ONE = 3
OUTLIER_DISTANCE = 2.0
OUTLIER_MIN_RATINGS = 5


def bayesian(*, v: float, r: float, m: float, c: float) -> float:
    """WR = v/(v+m)·R + m/(v+m)·C (C alone when there is nothing to weigh)."""
    if v <= 0:
        return c
    return v / (v + m) * r + m / (v + m) * c


def recency_weight(age_days: float, *, half_life_days: float) -> float:
    return 0.5 ** (max(age_days, 0.0) / half_life_days)


@dataclass(frozen=True)
class Reputation:
    score: float
    raw_average: float | None
    weighted_average: float | None
    weight: float
    rating_count: int
    prior: float
    dimensions: dict[str, float]
    ranked: bool
    completed: int
    failed: int

    @property
    def completion_rate(self) -> float | None:
        ended = self.completed + self.failed
        return self.completed / ended if ended else None


async def category_means(*, settings: Settings) -> dict[str | None, float]:
    """C per category (key None: all ratings), from counting ratings, by the rule above."""
    rows = await (
        ProviderRating.filter(counts=True)
        .annotate(mean=Avg("overall"), n=Count("id"))
        .group_by("provider__category")
        .values("provider__category", "mean", "n")
    )
    total_n = sum(int(row["n"]) for row in rows)
    overall = (sum(float(row["mean"]) * int(row["n"]) for row in rows) / total_n) if total_n else settings.provider_prior_mean
    means: dict[str | None, float] = {None: overall}
    for row in rows:
        if int(row["n"]) >= settings.provider_category_min_ratings:
            means[str(row["provider__category"])] = float(row["mean"])
    return means


def _prior(category: ServiceCategory | str, means: dict[str | None, float]) -> float:
    return means.get(str(getattr(category, "value", category)), means[None])


async def compute(*, provider: Provider, settings: Settings, now: datetime,
                  means: dict[str | None, float] | None = None) -> Reputation:
    """The provider's reputation from its counting ratings and its engagements, now."""
    if means is None:
        means = await category_means(settings=settings)
    prior = _prior(provider.category, means)
    rows = await ProviderRating.filter(provider_id=provider.id, counts=True).values_list(
        "overall", "dimensions", "created_at"
    )
    weight = weighted = plain = 0.0
    dimension_totals: dict[str, list[float]] = defaultdict(list)
    half_life = float(settings.provider_rating_half_life_days)
    for overall, dimensions, created_at in rows:
        age = (now - created_at).total_seconds() / 86400 if created_at is not None else 0.0
        w = recency_weight(age, half_life_days=half_life)
        weight += w
        weighted += w * overall
        plain += overall
        for name, value in (dimensions or {}).items():
            if name in DIMENSIONS and isinstance(value, (int, float)) and 1 <= value <= 5:
                dimension_totals[name].append(float(value))
    count = len(rows)
    r = weighted / weight if weight else None
    score = bayesian(v=weight, r=r or 0.0, m=settings.provider_bayes_m, c=prior)
    completed = await Engagement.filter(provider_id=provider.id, status=EngagementStatus.completed).count()
    failed = await Engagement.filter(provider_id=provider.id).filter(
        Q(status=EngagementStatus.declined) | Q(status=EngagementStatus.cancelled, closed_by_role="provider")
    ).count()
    return Reputation(
        score=round(score, 4),
        raw_average=round(plain / count, 4) if count else None,
        weighted_average=round(r, 4) if r is not None else None,
        weight=round(weight, 4),
        rating_count=count,
        prior=round(prior, 4),
        dimensions={name: round(sum(v) / len(v), 2) for name in DIMENSIONS if (v := dimension_totals.get(name))},
        ranked=count >= settings.provider_min_ratings,
        completed=completed,
        failed=failed,
    )


@dataclass
class RatingFlag:
    """Why staff should look at a rating twice."""

    rating_id: int
    reasons: list[str] = field(default_factory=list)


def rating_flags(ratings: Iterable[Any]) -> dict[int, list[str]]:
    """rating id -> Chinese reasons, over the provider's counting ratings (objects with
    `id`, `overall`, `enterprise_id`, `counts`). Empty when there are too few to judge."""
    counting = [r for r in ratings if getattr(r, "counts", True)]
    if len(counting) < OUTLIER_MIN_RATINGS:
        return {}
    flags: dict[int, list[str]] = defaultdict(list)
    by_enterprise = Counter(r.enterprise_id for r in counting)
    total = len(counting)
    sum_all = sum(r.overall for r in counting)
    for rating in counting:
        from_one = by_enterprise[rating.enterprise_id]
        if from_one >= OUTLIER_MIN_FROM_ONE and from_one / total >= OUTLIER_SHARE:
            flags[rating.id].append(f"同一企业评价 {from_one} 次，占全部评价的 {from_one / total:.0%}")
        others_mean = (sum_all - rating.overall) / (total - 1)
        if abs(rating.overall - others_mean) >= OUTLIER_DISTANCE:
            flags[rating.id].append(f"{rating.overall} 星，与其他评价均值 {others_mean:.1f} 相差较大")
    return dict(flags)
