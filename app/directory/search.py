"""Directory search: the policy search service's segmentation, synonyms and ranking, over
directory entries.

Texts and queries are cut by the policies' jieba tokenizer with the policy dictionary
(`app.policy.segment`), and a query's terms are widened by the same synonyms (人才公寓 also
finds 人才住房), so a follower's keyword means the same thing to policies and services.

The index is a plain table, `directory_search_term`: one row per distinct word of a
published entry with the best place it occurs (2 title, 1 summary or facets — kind,
category, utility type, district, providing department or platform — 0 elsewhere). The
query is the same SQL on SQLite and PostgreSQL: one index range per term group (a word and
its synonyms), grouped per entry. An entry matches when any group does; entries are ranked
like policies:
  1. coverage: how many groups match (用电 浦东 ranks Pudong's power guide first),
  2. title coverage: how many groups match in the title,
  3. head coverage: how many match in the title, summary or facets,
  4. recency: the newest change first.
A directory is thousands of entries, not millions, so exact per-word rows beat a
full-text engine on simplicity and cost (benchmarks/directory_search.py prints the times).

The index holds published entries only; `reindex_entry` runs in the transaction of every
create, edit, step and delete (`app.directory.service`), and `rebuild_index` redoes all,
e.g. after the dictionary changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from app.directory.models import (
    DirectoryCategory,
    DirectoryEntry,
    DirectoryKind,
    DirectorySearchTerm,
    DirectoryStatus,
    UtilityType,
)
from app.enterprise.reference import District
from app.policy import segment
from app.policy.highlight import Highlighter

__all__ = ["DirectoryFilters", "DirectoryHit", "DirectoryResult", "rebuild_index", "reindex_entry", "search_directory"]

CONNECTION = "default"
MAX_LIMIT = 50
WORD_MAX_CHARS = 64
SNIPPET_CHARS = 60
SNIPPET_LEAD = 15
TITLE, HEAD, BODY = 2, 1, 0


@dataclass
class DirectoryFilters:
    """Narrowing a search or a list. `district`: entries of that district and city-wide ones."""

    kinds: list[DirectoryKind] = field(default_factory=list)
    category: DirectoryCategory | None = None
    district: District | None = None
    utility_type: UtilityType | None = None


@dataclass
class DirectoryHit:
    entry: DirectoryEntry
    coverage: int
    title_html: str
    snippet_html: str


@dataclass
class DirectoryResult:
    hits: list[DirectoryHit]
    total: int
    query_terms: list[str]


# -- indexing ------------------------------------------------------------------------------------


def _words(parts: Sequence[tuple[int, str]]) -> dict[str, int]:
    """word -> best weight over the (weight, text) parts."""
    best: dict[str, int] = {}
    for weight, text in parts:
        for word in segment.segment(text):
            if len(word) <= WORD_MAX_CHARS and best.get(word, -1) < weight:
                best[word] = weight
    return best


def _parts(entry: DirectoryEntry) -> list[tuple[int, str]]:
    facets = [DirectoryKind(entry.kind).label]
    for value, enum in ((entry.category, DirectoryCategory), (entry.utility_type, UtilityType), (entry.district, District)):
        if value:
            facets.append(enum(value).label)
    organisation = entry.organisation if entry.organisation_id else None
    if organisation is not None:
        facets.extend(name for name in (organisation.name, organisation.short_name) if name)
    facets.append(entry.platform_name)
    return [
        (TITLE, entry.title),
        (HEAD, "\n".join([entry.summary, *facets])),
        (BODY, "\n".join([entry.body, entry.eligibility, entry.steps, entry.materials, entry.address])),
    ]


async def reindex_entry(*, entry_id: int) -> None:
    """Bring the entry's index rows up to date: its words while published, none otherwise
    (or once deleted). In the caller's transaction if there is one."""
    await segment.ensure_ready()
    async with in_transaction(CONNECTION):
        await DirectorySearchTerm.filter(entry_id=entry_id).delete()
        entry = await DirectoryEntry.get_or_none(id=entry_id).prefetch_related("organisation")
        if entry is None or DirectoryStatus(entry.status) is not DirectoryStatus.published:
            return
        words = await asyncio.to_thread(_words, _parts(entry))
        await DirectorySearchTerm.bulk_create(
            [DirectorySearchTerm(entry_id=entry_id, word=word, weight=weight) for word, weight in words.items()]
        )


async def rebuild_index() -> int:
    """Reindex every entry; returns how many are published (and so indexed)."""
    await segment.ensure_ready()
    ids = await DirectoryEntry.all().order_by("id").values_list("id", flat=True)
    for entry_id in ids:
        await reindex_entry(entry_id=entry_id)
    await DirectorySearchTerm.exclude(entry__status=DirectoryStatus.published).delete()
    return await DirectoryEntry.filter(status=DirectoryStatus.published).count()


# -- searching -----------------------------------------------------------------------------------


class _Params:
    """Numbered placeholders for the backend (`?` on SQLite, `$1` on PostgreSQL)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return "?" if self.dialect == "sqlite" else f"${len(self.values)}"


def _where(params: _Params, filters: DirectoryFilters) -> str:
    conditions = [f"e.status = {params(DirectoryStatus.published.value)}"]
    if filters.kinds:
        conditions.append(f"e.kind IN ({', '.join(params(kind.value) for kind in filters.kinds)})")
    if filters.category is not None:
        conditions.append(f"e.category = {params(filters.category.value)}")
    if filters.utility_type is not None:
        conditions.append(f"e.utility_type = {params(filters.utility_type.value)}")
    if filters.district is not None:
        conditions.append(f"(e.district IS NULL OR e.district = {params(filters.district.value)})")
    return " AND ".join(conditions)


def _ranked_sql(params: _Params, groups: Sequence[Sequence[str]], filters: DirectoryFilters, limit: int,
                offset: int) -> str:
    scans = []
    for group in groups:
        words = ", ".join(params(word) for word in dict.fromkeys(group))
        scans.append(
            f"SELECT entry_id, MAX(weight) AS weight FROM directory_search_term WHERE word IN ({words}) GROUP BY entry_id"
        )
    where = _where(params, filters)  # after the scans: SQLite's `?` are positional
    return (
        "SELECT e.id AS id, COUNT(*) AS coverage, "
        f"SUM(CASE WHEN g.weight >= {TITLE} THEN 1 ELSE 0 END) AS title_coverage, "
        f"SUM(CASE WHEN g.weight >= {HEAD} THEN 1 ELSE 0 END) AS head_coverage, COUNT(*) OVER () AS total "
        f"FROM ({' UNION ALL '.join(scans)}) g JOIN directory_entry e ON e.id = g.entry_id "
        f"WHERE {where} GROUP BY e.id, e.updated_at "
        "ORDER BY coverage DESC, title_coverage DESC, head_coverage DESC, e.updated_at DESC, e.id DESC "
        f"LIMIT {params(limit)} OFFSET {params(offset)}"
    )


async def search_directory(
    *, query: str, filters: DirectoryFilters | None = None, limit: int = 10, offset: int = 0
) -> DirectoryResult:
    """Published entries matching `query`, best first; `total` counts every match under the
    filters. A query of no searchable words (empty, or only stop words) finds nothing: lists
    are `app.directory.queries.list_public`'s job."""
    filters = filters or DirectoryFilters()
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    await segment.ensure_ready()
    terms = segment.analyse_query(query.strip()) if query and query.strip() else []
    groups = [[word for word in term.alternatives if len(word) <= WORD_MAX_CHARS] for term in terms]
    groups = [group for group in groups if group]
    if not groups:
        return DirectoryResult(hits=[], total=0, query_terms=[])
    client = connections.get(CONNECTION)
    params = _Params(client.capabilities.dialect)
    sql = _ranked_sql(params, groups, filters, limit, offset)
    _, rows = await client.execute_query(sql, params.values)
    total = int(rows[0]["total"]) if rows else 0
    if not rows and offset > 0:
        total = (await search_directory(query=query, filters=filters, limit=1, offset=0)).total
    entries = await DirectoryEntry.filter(
        id__in=[row["id"] for row in rows], status=DirectoryStatus.published
    ).prefetch_related("organisation")
    by_id = {entry.id: entry for entry in entries}
    mark = Highlighter([word for group in groups for word in group], snippet_chars=SNIPPET_CHARS, snippet_lead=SNIPPET_LEAD)
    hits = [
        DirectoryHit(entry=entry, coverage=int(row["coverage"]), title_html=mark(entry.title),
                     snippet_html=mark.snippet(entry.summary, entry.body, entry.eligibility, entry.steps))
        for row in rows
        if (entry := by_id.get(int(row["id"]))) is not None
    ]
    return DirectoryResult(hits=hits, total=total, query_terms=[term.term for term in terms])
