"""共性问题: what many enterprises are asking about in a period, found in the appeals' own words.

The appeals received in the period (filed in it; held and declined ones left out — content
under review and what was never accepted say nothing about how the city serves enterprises)
that the viewer may see (`app.appeal.access.staff_appeals`) — or, for a report made without a
viewer (the quarterly report, the schedule), that a `ReportScope` covers
(`app.reporting.scope.appeal_scope_q`: led by its organisations, or owned by them when the
scope includes a district's intake) — are clustered by text similarity
(`app.appeal.similarity.cluster`: jieba words weighted by TF-IDF, cosine ≥ `threshold` (0.3),
single linkage). Each cluster of at least `min_size` appeals is one common issue, shown with
its hot words, the organisations it fell to (attributed as in `app.appeal.measures`), its
categories and a few example appeals; the period's own hot words come with it.

Merged duplicates are kept: that several enterprises raised the same matter is exactly what
this view is for. Only the most recent `max_appeals` of a period are clustered (the result
says when it was cut), which bounds the work however long the chosen period — but not
to interactive speed: measured on SQLite on a shared 2-CPU machine, a district's quarter
(~340 appeals) takes 0.1–0.6 s, while a city quarter cut to 5,000 takes 30–60 s, ~7 s of it
segmenting the texts and the rest the exact all-pairs similarity, which grows with the square
of the largest topics' sizes (0.5–1.4 million similar pairs on synthetic text; 2,000 appeals:
~8 s, 3,000: ~16 s). So pages read `cached_common_issues`: kept in Redis for a while, and
kept warm for the city's current month and quarter by `app.reporting.jobs.warm_common_issues`.

The two scopes differ only where a department co-handles an appeal led elsewhere: the
viewer's list shows it (they work on it), a report scope counts it for its lead only.
"""

from __future__ import annotations

import asyncio
import hashlib
import pickle
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from app.appeal.access import staff_appeals
from app.appeal.calendar import SHANGHAI
from app.appeal.categories import CATEGORIES
from app.appeal.measures import UNASSIGNED_LABEL, attributed_organisations
from app.appeal.models import Appeal, AppealStatus
from app.appeal.similarity import cluster, hot_words
from app.organisation.models import Organisation
from app.policy import segment
from app.reporting.scope import ReportScope, appeal_scope_q
from app.staff.models import Staff

__all__ = ["CACHE_SECONDS", "CommonIssue", "CommonIssues", "IssueExample", "cached_common_issues", "common_issues"]

DEFAULT_THRESHOLD = 0.3
"""Lower than duplicate detection's: a common issue is the same topic in different words, not a rewording."""
DEFAULT_MIN_SIZE = 3
MAX_APPEALS = 5000


@dataclass(frozen=True)
class IssueExample:
    id: int
    number: str
    title: str


@dataclass(frozen=True)
class CommonIssue:
    size: int
    hot_words: tuple[str, ...]
    organisations: tuple[tuple[int | None, str, int], ...]
    """(organisation id, short name, appeals) most appeals first; id None: not yet dispatched."""
    categories: tuple[tuple[str, str, int], ...]
    """(category code, label, appeals) most appeals first."""
    examples: tuple[IssueExample, ...]
    """The most recent few, newest first."""
    appeal_ids: tuple[int, ...]


@dataclass(frozen=True)
class CommonIssues:
    period_start: date
    period_end: date
    considered: int
    """How many appeals were clustered."""
    truncated: bool
    """More appeals were received than `max_appeals`: only the most recent were clustered."""
    issues: tuple[CommonIssue, ...]
    hot_words: tuple[str, ...]
    """The whole period's hot words."""


async def common_issues(
    *,
    period_start: date,
    period_end: date,
    scope_staff: Staff | None = None,
    scope: ReportScope | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    min_size: int = DEFAULT_MIN_SIZE,
    limit: int = 20,
    examples: int = 3,
    hot_word_limit: int = 20,
    max_appeals: int = MAX_APPEALS,
) -> CommonIssues:
    """The period's common issues, largest first (at most `limit`), for what `scope_staff` may
    see, or what `scope` covers (a report has no viewer); neither: every appeal. Giving both
    is a mistake (which one would win?) and raises ValueError."""
    if scope_staff is not None and scope is not None:
        raise ValueError("common_issues: pass scope_staff or scope, not both")
    start = datetime.combine(period_start, time.min, tzinfo=SHANGHAI)
    end = datetime.combine(period_end + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    query = Appeal.filter(created_at__gte=start, created_at__lt=end).exclude(
        status__in=(AppealStatus.held, AppealStatus.declined)
    )
    if scope_staff is not None:
        query = await staff_appeals(scope_staff, query)
    elif scope is not None:
        query = query.filter(appeal_scope_q(scope))
    rows = await query.order_by("-created_at", "-id").limit(max_appeals + 1).values(
        "id", "number", "title", "description", "category"
    )
    truncated = len(rows) > max_appeals
    rows = list(reversed(rows[:max_appeals]))  # oldest first: the corpus order clusters keep
    if not rows:
        return CommonIssues(period_start, period_end, 0, False, (), ())
    documents = [(row["id"], f"{row['title']}\n{row['description']}") for row in rows]
    await segment.ensure_ready()
    clusters, period_words = await asyncio.to_thread(
        _analyse, documents, threshold=threshold, min_size=min_size, hot_word_limit=hot_word_limit
    )
    clusters = clusters[:limit]
    by_id = {row["id"]: row for row in rows}
    attributed = await attributed_organisations([key for found in clusters for key in found.keys])
    names = {
        org["id"]: org["short_name"] or org["name"]
        for org in await Organisation.filter(id__in=[i for i in set(attributed.values()) if i] or [-1]).values(
            "id", "name", "short_name"
        )
    }
    issues = []
    for found in clusters:
        organisations = Counter(attributed.get(key) for key in found.keys)
        categories = Counter(by_id[key]["category"] for key in found.keys)
        issues.append(
            CommonIssue(
                size=found.size,
                hot_words=tuple(found.hot_words),
                organisations=tuple(
                    (org_id, names.get(org_id, UNASSIGNED_LABEL) if org_id else UNASSIGNED_LABEL, count)
                    for org_id, count in organisations.most_common()
                ),
                categories=tuple(
                    (code, CATEGORIES[code].label if code in CATEGORIES else code, count)
                    for code, count in categories.most_common()
                ),
                examples=tuple(
                    IssueExample(key, by_id[key]["number"], by_id[key]["title"])
                    for key in _newest(found.keys, rows)[:examples]
                ),
                appeal_ids=tuple(found.keys),
            )
        )
    return CommonIssues(period_start, period_end, len(rows), truncated, tuple(issues), tuple(period_words))


CACHE_SECONDS = 20 * 60
"""How long a scope's common issues are kept in Redis (the pages say when they were analysed)."""


async def cached_common_issues(
    *, redis: Any, scope: ReportScope, period_start: date, period_end: date, refresh: bool = False,
    **options: Any,
) -> tuple[CommonIssues, datetime]:
    """`common_issues(scope=...)`, kept in Redis for `CACHE_SECONDS`, and when it was analysed.

    Clustering a large city's quarter takes tens of seconds of CPU (every pair of similar
    appeals in a big topic is compared), which no page should wait for on each view: the first
    view (or `app.reporting.jobs.warm_common_issues`, which keeps the city's current month and
    quarter warm) pays, later views and every other worker read the stored result.
    `refresh` recomputes whatever is stored. The value is a pickle of our own dataclasses,
    written and read only by this function, in the platform's own Redis."""
    key = _cache_key(scope, period_start, period_end, options)
    if not refresh:
        stored = await redis.get(key)
        if stored is not None:
            try:
                found, analysed_at = pickle.loads(stored)
                return found, analysed_at
            except Exception:  # an older shape after an upgrade: recompute
                pass
    found = await common_issues(period_start=period_start, period_end=period_end, scope=scope, **options)
    analysed_at = datetime.now(timezone.utc)
    await redis.set(key, pickle.dumps((found, analysed_at)), ex=CACHE_SECONDS)
    return found, analysed_at


def _cache_key(scope: ReportScope, period_start: date, period_end: date, options: dict[str, Any]) -> str:
    organisations = "city" if scope.organisation_ids is None else ",".join(map(str, sorted(scope.organisation_ids)))
    identity = f"{organisations}|{int(scope.includes_intake)}|{period_start}|{period_end}|{sorted(options.items())}"
    return "qiyun:common-issues:v1:" + hashlib.sha256(identity.encode()).hexdigest()[:32]


def _newest(keys: tuple[int, ...], rows: list[dict]) -> list[int]:
    position = {row["id"]: index for index, row in enumerate(rows)}
    return sorted(keys, key=lambda key: position[key], reverse=True)


def _analyse(documents, *, threshold: float, min_size: int, hot_word_limit: int):
    """CPU work, run in a thread: the clusters and the period's hot words."""
    return (
        cluster(documents, threshold=threshold, min_size=min_size),
        hot_words((text for _, text in documents), limit=hot_word_limit),
    )
