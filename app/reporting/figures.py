"""The period's headline figures: one function the dashboard and the quarterly report both read.

OWNER: dashboard helper. Contract (the report helper codes against these dataclasses):

    figures = await period_figures(scope=scope, period_start=..., period_end=..., settings=settings, now=None)

Every figure is for the period and the scope; `previous` figures are for
`app.reporting.periods.previous_period(start, end)`, computed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from app.appeal.measures import MeasureRow
from app.config import Settings
from app.reporting.delivery_summary import DeliveryFigures
from app.reporting.scope import ReportScope

__all__ = [
    "ActivityFigures",
    "FollowerFigures",
    "PeriodFigures",
    "PolicyFigures",
    "ProviderFigures",
    "SurveyFigures",
    "period_figures",
]


@dataclass(frozen=True)
class FollowerFigures:
    subscribed: int
    """Followers who followed in the period (city scope; 0 for a district or department)."""
    unsubscribed: int
    total_now: int
    bindings_new: int
    """Enterprise bindings made in the period (for a district: to enterprises in the district)."""
    bindings_total: int
    """Active bindings at the end of the period."""


@dataclass(frozen=True)
class PolicyFigures:
    published: int
    """Policies published in the period."""
    in_force: int
    """Policies in force at the end of the period."""
    campaigns: int
    """Push campaigns started in the period."""


@dataclass(frozen=True)
class ProviderFigures:
    active: int
    """Providers admitted and not suspended or removed, now."""
    ratings: int
    """Ratings given in the period."""
    average_rating: float | None
    """Mean rating given in the period (1–5), None without ratings."""
    warnings: int
    """Providers warned, suspended or removed for their ratings in the period."""
    engagements: int
    """Service requests (engagements) made in the period."""
    top: list[tuple[str, float | None, int]] = field(default_factory=list)
    """(provider name, score, ratings) of the best-rated providers, at most 10."""


@dataclass(frozen=True)
class ActivityFigures:
    held: int
    """Activities that took place in the period."""
    signups: int
    attended: int

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.signups if self.signups else None


@dataclass(frozen=True)
class SurveyFigures:
    survey_id: int
    title: str
    status: str
    closed_at: datetime | None
    sampled: int
    completed: int
    response_rate: float | None
    """AAPOR RR1 (app.survey.rates)."""
    overall_score: float | None
    """Weighted overall score 0–100 (app.survey.analysis), None when not computed."""
    dimensions: list[tuple[str, float | None]] = field(default_factory=list)
    """(dimension label, weighted score)."""


@dataclass(frozen=True)
class PeriodFigures:
    scope: ReportScope
    period_start: date
    period_end: date
    previous_start: date
    previous_end: date
    appeals: MeasureRow
    """The scope's total row for the period (app.reporting.appeal_summary)."""
    appeals_previous: MeasureRow
    deliveries: DeliveryFigures
    deliveries_previous: DeliveryFigures
    followers: FollowerFigures
    policies: PolicyFigures
    providers: ProviderFigures | None
    """None where the scope does not cover providers (they are the city's)."""
    activities: ActivityFigures
    surveys: list[SurveyFigures]
    """Surveys open in, or closed during, the period."""
    refreshed_at: datetime | None


async def period_figures(
    *, scope: ReportScope, period_start: date, period_end: date, settings: Settings, now: datetime | None = None
) -> PeriodFigures:
    raise NotImplementedError
