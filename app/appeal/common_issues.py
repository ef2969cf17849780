"""共性问题: what many enterprises are asking about in a period, found in the appeals' own words.

The appeals received in the period (filed in it; held and declined ones left out — content
under review and what was never accepted say nothing about how the city serves enterprises)
that the viewer may see (`app.appeal.access.staff_appeals`) are clustered by text similarity
(`app.appeal.similarity.cluster`: jieba words weighted by TF-IDF, cosine ≥ `threshold` (0.3),
single linkage). Each cluster of at least `min_size` appeals is one common issue, shown with
its hot words, the organisations it fell to (attributed as in `app.appeal.measures`), its
categories and a few example appeals; the period's own hot words come with it.

Merged duplicates are kept: that several enterprises raised the same matter is exactly what
this view is for. Only the most recent `max_appeals` of a period are clustered (the result
says when it was cut), which keeps the page fast however long the chosen period.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.appeal.access import staff_appeals
from app.appeal.calendar import SHANGHAI
from app.appeal.categories import CATEGORIES
from app.appeal.measures import UNASSIGNED_LABEL, attributed_organisations
from app.appeal.models import Appeal, AppealStatus
from app.appeal.similarity import cluster, hot_words
from app.organisation.models import Organisation
from app.policy import segment
from app.staff.models import Staff

__all__ = ["CommonIssue", "CommonIssues", "IssueExample", "common_issues"]

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
    scope_staff: Staff | None,
    threshold: float = DEFAULT_THRESHOLD,
    min_size: int = DEFAULT_MIN_SIZE,
    limit: int = 20,
    examples: int = 3,
    hot_word_limit: int = 20,
    max_appeals: int = MAX_APPEALS,
) -> CommonIssues:
    """The period's common issues, largest first (at most `limit`), for what `scope_staff` may
    see (None: every appeal)."""
    start = datetime.combine(period_start, time.min, tzinfo=SHANGHAI)
    end = datetime.combine(period_end + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    query = Appeal.filter(created_at__gte=start, created_at__lt=end).exclude(
        status__in=(AppealStatus.held, AppealStatus.declined)
    )
    if scope_staff is not None:
        query = await staff_appeals(scope_staff, query)
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


def _newest(keys: tuple[int, ...], rows: list[dict]) -> list[int]:
    position = {row["id"]: index for index, row in enumerate(rows)}
    return sorted(keys, key=lambda key: position[key], reverse=True)


def _analyse(documents, *, threshold: float, min_size: int, hot_word_limit: int):
    """CPU work, run in a thread: the clusters and the period's hot words."""
    return (
        cluster(documents, threshold=threshold, min_size=min_size),
        hot_words((text for _, text in documents), limit=hot_word_limit),
    )
