"""Policy search (政策搜索): one service for the chat, the mini-program and the admin.

A query is cut into terms by jieba with the policy dictionary (`segment`), each term widened
by its synonyms (研发补贴 also finds 研发费用资助). Matching and ranking happen natively in the
database (`search_index`: FTS5 on SQLite, tsvector + GIN on PostgreSQL): any term matches,
policies matching more terms rank first, then relevance (title over summary over body) times
freshness; expired policies are flagged and come after live ones. Only published and expired
policies are ever found. Hits carry HTML-escaped snippets with the matched words in `<em>`.

The index is kept current by `reindex_policy`, which the policy service calls inside the
transaction of every create, update and transition; `rebuild_index` (`qiyun reindex-policies`)
rebuilds it, e.g. after the dictionary changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from difflib import SequenceMatcher
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.transactions import in_transaction

from app.db import TIMEZONE
from app.enterprise.reference import District
from app.policy import segment
from app.policy.highlight import Highlighter
from app.policy.models import Policy, PolicyStatus, SupportType
from app.policy.search_cache import SearchPageCache, page_key
from app.policy.search_index import IndexedDocument, IndexPage, index_for

MAX_LIMIT = 50
#: Characters of context in a snippet, and how many of them precede the first match.
SNIPPET_CHARS = 80
SNIPPET_LEAD = 20
#: Shown when nothing matches and nothing closer can be suggested.
POPULAR_QUERIES = ("研发补贴", "专精特新", "贷款贴息")
REBUILD_BATCH = 500
CONNECTION = "default"


@dataclass
class SearchFilters:
    """Narrowing a search. `district`: policies targeting that district or no district at all;
    `organisation_id`: issued (also jointly) by that organisation; `open_now`: live and today
    inside the application window (a missing bound is open-ended, no window means all year)."""

    support_types: list[SupportType] = field(default_factory=list)
    district: District | None = None
    organisation_id: int | None = None
    open_now: bool = False
    include_expired: bool = True

    @property
    def narrows(self) -> bool:
        return bool(
            self.support_types or self.district or self.organisation_id is not None or self.open_now
            or not self.include_expired
        )


@dataclass
class SearchHit:
    policy: Policy
    score: float
    snippet_html: str
    title_html: str
    expired: bool


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int
    query_terms: list[str]
    suggestion: str | None


def _today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


async def search_policies(
    *,
    query: str,
    filters: SearchFilters | None = None,
    limit: int = 10,
    offset: int = 0,
    today: date | None = None,
    cache: SearchPageCache | None = None,
) -> SearchResult:
    """Published and expired policies matching `query`, best first (an empty query, or one of
    only stop words such as 有什么政策, lists the newest). `total` counts every match under the
    filters; `suggestion` says what to try when nothing matched. With `cache`, the ranked page
    may come from a search made up to its TTL ago (public searches; see `search_cache`); the
    policies shown are always read as they are now."""
    filters = filters or SearchFilters()
    today = today or _today()
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    await segment.ensure_ready()
    terms = segment.analyse_query(query.strip()) if query else []
    groups = [term.alternatives for term in terms]
    client = connections.get(CONNECTION)
    index = index_for(client)

    async def rank() -> IndexPage:
        return await index.search(client, groups=groups, filters=filters, today=today, limit=limit, offset=offset)

    if cache is None:
        page = await rank()
    else:
        key = page_key(
            backend=client.capabilities.dialect, groups=groups, filters=filters, today=today, limit=limit, offset=offset
        )
        page = await cache.page(key, rank)

    # The page is read from `policy` itself, so a hit always shows (and is judged by) the
    # policy as it is now, even if its index entry were behind.
    policies = await Policy.filter(
        id__in=[row.policy_id for row in page.rows], status__in=[PolicyStatus.published, PolicyStatus.expired]
    )
    by_id = {policy.id: policy for policy in policies}
    mark = Highlighter([word for group in groups for word in group], snippet_chars=SNIPPET_CHARS, snippet_lead=SNIPPET_LEAD)
    hits = [
        SearchHit(
            policy=policy,
            score=row.score,
            snippet_html=mark.snippet(policy.summary, policy.body),
            title_html=mark(policy.title),
            expired=_is_expired(policy, today=today),
        )
        for row in page.rows
        if (policy := by_id.get(row.policy_id)) is not None
    ]
    suggestion = None
    if page.total == 0 and query.strip():
        suggestion = await _suggestion(query=query.strip(), groups=groups, filters=filters, today=today)
    return SearchResult(hits=hits, total=page.total, query_terms=[term.term for term in terms], suggestion=suggestion)


def _is_expired(policy: Policy, *, today: date) -> bool:
    return policy.status == PolicyStatus.expired or (policy.expiry_date is not None and policy.expiry_date < today)



# -- suggestion ----------------------------------------------------------------------------------


async def _suggestion(*, query: str, groups: Sequence[Sequence[str]], filters: SearchFilters, today: date) -> str:
    """What to try when nothing matched: without the filters, a support type that sounds like
    the query, or popular searches."""
    client = connections.get(CONNECTION)
    if groups and filters.narrows:
        unfiltered = await index_for(client).search(
            client, groups=groups, filters=SearchFilters(), today=today, limit=1, offset=0
        )
        if unfiltered.total:
            return f"去掉筛选条件可找到{unfiltered.total}条相关政策"
    label = await _closest_support_type(query)
    if label:
        return f"试试按支持方式“{label}”查看"
    return "试试：" + "、".join(POPULAR_QUERIES)


async def _closest_support_type(query: str) -> str | None:
    """The label of the support type most like `query` (税惠 -> 税收优惠) among those with
    published policies, if any is alike enough. (A query sharing a word with a label has
    matched already: every policy's index entry carries its support type's label.)"""
    scored = []
    for kind in SupportType:
        if kind is SupportType.other:
            continue
        similarity = SequenceMatcher(None, query, kind.label).ratio()
        if similarity >= 0.5:
            scored.append((similarity, kind))
    for _, kind in sorted(scored, key=lambda pair: pair[0], reverse=True):
        if await Policy.filter(status=PolicyStatus.published, support_type=kind).exists():
            return kind.label
    return None


# -- indexing ------------------------------------------------------------------------------------


def _document(policy: Policy, issuers: Sequence[str]) -> IndexedDocument:
    """What is indexed for a policy: title; summary with document number, issuers and support
    type; body; and the facets search filters and ranks by."""
    summary_parts = [policy.summary, policy.doc_number, *issuers, SupportType(policy.support_type).label]
    districts = (policy.targeting or {}).get("districts") or []
    return IndexedDocument(
        policy_id=policy.id,
        title=" ".join(segment.segment(policy.title)),
        summary=" ".join(segment.segment("\n".join(part for part in summary_parts if part))),
        body=" ".join(segment.segment(policy.body)),
        status=str(getattr(policy.status, "value", policy.status)),
        support_type=str(getattr(policy.support_type, "value", policy.support_type)),
        publish_date=policy.publish_date,
        expiry_date=policy.expiry_date,
        apply_start=policy.apply_start,
        apply_end=policy.apply_end,
        districts=tuple(str(code) for code in districts),
    )


def _documents(pairs: Sequence[tuple[Policy, list[str]]]) -> list[IndexedDocument]:
    return [_document(policy, issuers) for policy, issuers in pairs]


def _issuer_names(policy: Policy) -> list[str]:
    names: list[str] = []
    for organisation in policy.issuing_organisations:
        names.extend(name for name in (organisation.name, organisation.short_name) if name)
    return names


async def reindex_policy(*, policy_id: int) -> None:
    """Bring the policy's index entry (and `Policy.search_text`) up to date, or drop it if the
    policy is gone. Runs in the caller's transaction if there is one (a savepoint), so an edit
    and its index entry commit or roll back together."""
    await segment.ensure_ready()
    async with in_transaction(CONNECTION) as client:
        index = index_for(client)
        policy = await Policy.get_or_none(id=policy_id).prefetch_related("issuing_organisations")
        if policy is None:
            await index.delete(client, policy_id)
            return
        document = await asyncio.to_thread(_document, policy, _issuer_names(policy))  # a long body takes a while
        await index.upsert(client, [document])
        await index.store_search_text(client, [document])


async def rebuild_index(*, progress: Callable[[int, int], object] | None = None) -> int:
    """Reindex every policy; returns how many. Entries are replaced batch by batch (searches
    keep working meanwhile) and entries of deleted policies removed at the end."""
    await segment.ensure_ready()
    total = await Policy.all().count()
    done, last_id = 0, 0
    while True:
        batch = (
            await Policy.filter(id__gt=last_id).order_by("id").limit(REBUILD_BATCH).prefetch_related("issuing_organisations")
        )
        if not batch:
            break
        last_id = batch[-1].id
        documents = await asyncio.to_thread(_documents, [(policy, _issuer_names(policy)) for policy in batch])
        async with in_transaction(CONNECTION) as client:
            index = index_for(client)
            await index.upsert(client, documents)
            await index.store_search_text(client, documents)
        done += len(batch)
        if progress:
            progress(done, total)
    async with in_transaction(CONNECTION) as client:
        await index_for(client).delete_orphans(client)
    return done

