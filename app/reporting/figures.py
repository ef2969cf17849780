"""The period's headline figures: one function the dashboard and the quarterly report both read.

Use (the dashboard and the quarterly report both read it):

    figures = await period_figures(scope=scope, period_start=..., period_end=..., settings=settings, now=None,
                                   with_scores=True)

Every figure is for the period and the scope; `previous` figures are for
`app.reporting.periods.previous_period(start, end)`, computed the same way. A period is whole
Shanghai calendar days, both included (as in `app.appeal.measures`).

**What each scope sees** (why: a figure is shown only where the scope answers for it):

* *Appeals*: the scope's total row of `app.reporting.appeal_summary.summary_measures` (the
  summary tables; `overdue_now` is live), for the period and the period before.
* *Deliveries*: `app.reporting.delivery_summary.delivery_figures` (a district: deliveries to
  followers bound to enterprises in the district; a department: its staff's campaigns).
* *Followers*: new and lost followers and the total are the city's (a follower has no
  district), so 0 for a district or department. *Bindings*: the city all of them; a district
  those to enterprises registered in it; a department none.
* *Policies*: the city all; a district or department the policies its organisations issue
  (`Policy.organisation`). Push campaigns started in the period: the city all; otherwise
  those created by staff of the scope's organisations.
* *Providers*: the city only (None elsewhere): providers are admitted and judged city-wide.
* *Activities*: the city all; otherwise those its organisations organise.
* *Surveys*: the city every survey open in, or closed during, the period with its whole
  sample; a district the same surveys over the sampled enterprises registered in the
  district (response rates only, no scores: the weights are not designed per district); a
  department none.

**Cost.** Every figure is an aggregate query (COUNT / AVG, or one GROUP BY) over indexed or
small tables, never rows loaded into Python — except the survey scores, which
`app.survey.analysis.dimension_table` computes from the responses (seconds on a large
survey): pass `with_scores=False` (the dashboard does) to leave them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from app.activity.models import Activity, ActivitySignup, ActivityStatus, SignupStatus
from app.appeal.calendar import SHANGHAI
from app.appeal.errors import AppealError
from app.appeal.measures import GroupBy, MeasureRow
from app.config import Settings
from app.db import db_time
from app.engagement.models import Engagement, ProviderRating
from app.identity.models import EnterpriseBinding, Follower
from app.policy.models import Policy, PolicyStatus
from app.provider.models import Provider, ProviderEvent
from app.provider.workflow import PUBLIC_STATUSES
from app.push.models import PushCampaign
from app.reporting.appeal_summary import summary_measures
from app.reporting.delivery_summary import DeliveryFigures, delivery_figures
from app.reporting.periods import previous_period
from app.reporting.scope import ReportScope
from app.survey.models import Survey, SurveySample, SurveyStatus
from app.survey.rates import Counts, RateRow

__all__ = [
    "ActivityFigures",
    "ContextFigures",
    "FollowerFigures",
    "PeriodFigures",
    "PolicyFigures",
    "ProviderFigures",
    "SurveyFigures",
    "context_figures",
    "period_figures",
    "period_bounds",
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

    @property
    def net_growth(self) -> int:
        return self.subscribed - self.unsubscribed


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
    """Activities that took place in the period (published or finished, started by now)."""
    signups: int
    """Confirmed sign-ups to those activities (waiting list and cancelled left out)."""
    attended: int
    """Of those, checked in."""

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


@dataclass(frozen=True)
class ContextFigures:
    """The figures of a period that do not come from the summary tables: followers, policies,
    providers, activities and surveys. A report's comparison with the previous period needs only
    these (the previous period's appeals and deliveries are already in `PeriodFigures`)."""

    followers: FollowerFigures
    policies: PolicyFigures
    providers: ProviderFigures | None
    activities: ActivityFigures
    surveys: list[SurveyFigures]


async def context_figures(
    *, scope: ReportScope, period_start: date, period_end: date, now: datetime, with_scores: bool = True
) -> ContextFigures:
    """Followers, policies, providers (city scope only), activities and surveys of the period."""
    window = period_bounds(period_start, period_end)
    return ContextFigures(
        followers=await follower_figures(scope=scope, window=window),
        policies=await policy_figures(scope=scope, window=window, period_end=period_end),
        providers=await provider_figures(scope=scope, window=window) if scope.is_city else None,
        activities=await activity_figures(scope=scope, window=window, now=now),
        surveys=await survey_figures(scope=scope, window=window, with_scores=with_scores),
    )


async def period_figures(
    *, scope: ReportScope, period_start: date, period_end: date, settings: Settings, now: datetime | None = None,
    with_scores: bool = True,
) -> PeriodFigures:
    """The headline figures of `scope` for `period_start`..`period_end` (see the module
    docstring for what each scope sees). `with_scores=False` leaves the survey scores out
    (they are computed from the responses, the one costly figure)."""
    if period_start > period_end:
        raise AppealError("开始日期不能晚于结束日期", code="invalid_period", field="start")
    now = now or datetime.now(timezone.utc)
    previous_start, previous_end = previous_period(period_start, period_end)
    table = await summary_measures(period_start=period_start, period_end=period_end, group_by=GroupBy.total,
                                   scope=scope, settings=settings, now=now)
    before = await summary_measures(period_start=previous_start, period_end=previous_end, group_by=GroupBy.total,
                                    scope=scope, settings=settings, now=now, overdue=False)
    deliveries = await delivery_figures(period_start=period_start, period_end=period_end, scope=scope)
    deliveries_previous = await delivery_figures(period_start=previous_start, period_end=previous_end, scope=scope)
    context = await context_figures(scope=scope, period_start=period_start, period_end=period_end, now=now,
                                    with_scores=with_scores)
    return PeriodFigures(
        scope=scope, period_start=period_start, period_end=period_end,
        previous_start=previous_start, previous_end=previous_end,
        appeals=table.total, appeals_previous=before.total,
        deliveries=deliveries, deliveries_previous=deliveries_previous,
        followers=context.followers,
        policies=context.policies,
        providers=context.providers,
        activities=context.activities,
        surveys=context.surveys,
        refreshed_at=table.refreshed_at,
    )


Window = tuple[datetime, datetime]
"""[start, end) of a period as instants in the database's zone (SQLite compares text)."""


def period_bounds(period_start: date, period_end: date) -> Window:
    """The first instant of the period and the first instant after it, Shanghai time."""
    start = datetime.combine(period_start, time.min, tzinfo=SHANGHAI)
    end = datetime.combine(period_end + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    return db_time(start), db_time(end)


def _within(column: str, window: Window) -> dict[str, datetime]:
    return {f"{column}__gte": window[0], f"{column}__lt": window[1]}


def _ids(scope: ReportScope) -> list[int]:
    return sorted(scope.organisation_ids or ()) or [-1]


async def follower_figures(*, scope: ReportScope, window: Window) -> FollowerFigures:
    """Followers gained and lost (city only) and enterprise bindings (city, or a district's enterprises)."""
    subscribed = unsubscribed = total_now = 0
    if scope.is_city:
        subscribed = await Follower.filter(**_within("subscribed_at", window)).count()
        unsubscribed = await Follower.filter(**_within("unsubscribed_at", window)).count()
        total_now = await Follower.filter(subscribed=True).count()
    bindings_new = bindings_total = 0
    if scope.is_city or scope.is_district:
        bindings = EnterpriseBinding.all()
        if scope.is_district:
            bindings = bindings.filter(enterprise__district=scope.district)
        bindings_new = await bindings.filter(**_within("created_at", window)).count()
        bindings_total = await bindings.filter(
            Q(revoked_at__isnull=True) | Q(revoked_at__gte=window[1]), created_at__lt=window[1]).count()
    return FollowerFigures(subscribed=subscribed, unsubscribed=unsubscribed, total_now=total_now,
                           bindings_new=bindings_new, bindings_total=bindings_total)


_ISSUED = (PolicyStatus.published, PolicyStatus.expired, PolicyStatus.withdrawn)
"""A policy in one of these states was published (a withdrawn or expired one still was, on its date)."""


async def policy_figures(*, scope: ReportScope, window: Window, period_end: date) -> PolicyFigures:
    """Policies published in the period, in force on its last day, and push campaigns started in it."""
    policies = Policy.all()
    campaigns = PushCampaign.filter(**_within("started_at", window))
    if not scope.is_city:
        policies = policies.filter(organisation_id__in=_ids(scope))
        campaigns = campaigns.filter(created_by__organisation_id__in=_ids(scope))
    start = (window[0].astimezone(SHANGHAI)).date()
    published = await policies.filter(status__in=_ISSUED, publish_date__gte=start, publish_date__lte=period_end).count()
    in_force = await policies.filter(
        Q(expiry_date__isnull=True) | Q(expiry_date__gte=period_end),
        Q(effective_date__isnull=True) | Q(effective_date__lte=period_end),
        status__in=(PolicyStatus.published, PolicyStatus.expired), publish_date__lte=period_end,
    ).count()
    return PolicyFigures(published=published, in_force=in_force, campaigns=await campaigns.count())


async def provider_figures(*, scope: ReportScope, window: Window) -> ProviderFigures:
    """The city's providers: how many serve now, the ratings and warnings of the period, the best rated."""
    active = await Provider.filter(status__in=sorted(PUBLIC_STATUSES, key=str)).count()
    [rated] = await (ProviderRating.filter(counts=True, **_within("created_at", window))
                     .annotate(n=Count("id"), total=Sum("overall")).values("n", "total")) or [{"n": 0, "total": None}]
    ratings = int(rated["n"] or 0)
    warned = await (ProviderEvent.filter(action__in=("warn", "suspend"), **_within("created_at", window))
                    .distinct().values_list("provider_id", flat=True))
    engagements = await Engagement.filter(**_within("requested_at", window)).count()
    top = await (Provider.filter(status__in=sorted(PUBLIC_STATUSES, key=str), rating_count__gt=0)
                 .order_by("-ranked", "-score", "id").limit(10).values_list("name", "score", "rating_count"))
    return ProviderFigures(
        active=active, ratings=ratings,
        average_rating=float(rated["total"]) / ratings if ratings else None,  # (AVG would come back as the column's int)
        warnings=len(set(warned)), engagements=engagements,
        top=[(name, float(score) if score is not None else None, int(count)) for name, score, count in top],
    )


_HELD = (ActivityStatus.published, ActivityStatus.finished)
_SIGNED_UP = (SignupStatus.confirmed, SignupStatus.checked_in)


async def activity_figures(*, scope: ReportScope, window: Window, now: datetime) -> ActivityFigures:
    """Activities that took place in the period (started by now), their confirmed sign-ups and check-ins."""
    end = min(window[1], db_time(now))
    held = Activity.filter(status__in=_HELD, starts_at__gte=window[0], starts_at__lt=end)
    signups = ActivitySignup.filter(activity__status__in=_HELD, activity__starts_at__gte=window[0],
                                    activity__starts_at__lt=end, status__in=_SIGNED_UP)
    if not scope.is_city:
        held = held.filter(organiser_id__in=_ids(scope))
        signups = signups.filter(activity__organiser_id__in=_ids(scope))
    return ActivityFigures(held=await held.count(), signups=await signups.count(),
                           attended=await signups.filter(status=SignupStatus.checked_in).count())


async def survey_figures(*, scope: ReportScope, window: Window, with_scores: bool) -> list[SurveyFigures]:
    """Surveys open at any time in the period (opened before its end, not closed before its start)."""
    if scope.is_department:
        return []
    surveys = await (Survey.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=window[0]),
                                   status__in=(SurveyStatus.open, SurveyStatus.closed), opened_at__lt=window[1])
                     .order_by("opened_at", "id"))
    found = []
    for survey in surveys:  # a handful a year
        samples = SurveySample.filter(survey_id=survey.id)
        if scope.is_district:
            samples = samples.filter(enterprise__district=scope.district)
        counts = Counts()
        for disposition, n in await samples.annotate(n=Count("id")).group_by("disposition").values_list(
                "disposition", "n"):
            one = Counts()
            one.add(disposition)
            for name in ("I", "P", "R", "NC", "O", "UH", "NE", "pending"):
                setattr(counts, name, getattr(counts, name) + getattr(one, name) * int(n))
        e = float(survey.eligibility_rate) if survey.eligibility_rate is not None else 1.0
        overall, dimensions = None, []
        if with_scores and scope.is_city:
            overall, dimensions = await _scores(survey.id)
        found.append(SurveyFigures(
            survey_id=survey.id, title=survey.title, status=SurveyStatus(survey.status).value,
            closed_at=survey.closed_at, sampled=counts.total, completed=counts.I,
            response_rate=RateRow("", "", counts, e).rr1, overall_score=overall, dimensions=dimensions,
        ))
    return found


async def _scores(survey_id: int) -> tuple[float | None, list[tuple[str, float | None]]]:
    from app.survey import definition as defs
    from app.survey.analysis import dimension_table

    _, rows, overall = await dimension_table(survey_id=survey_id)
    return overall, [(defs.DIMENSIONS.get(key, key), weighted) for key, (_, _, weighted) in rows.items()]
