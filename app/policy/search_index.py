"""The policy search index, natively on each backend: its DDL, its writes and the ranked query.

Both backends index the same thing: the jieba-segmented words of a policy (`segment.segment`)
joined by spaces, in three parts weighted title > summary > body (the summary part also carries
the document number, the issuing organisations and the support type's label), plus the few
policy attributes search filters and ranks by ("facets": status, support type, dates, target
districts), copied on every reindex so a search never reads the wide `policy` rows.

- SQLite: an FTS5 table `policy_search` (rowid = policy id; columns title, summary, body;
  unicode61 tokenizer, which splits on the spaces, a run of Chinese characters being one
  token) and a narrow table `policy_search_facet`, whose foreign key drops the facets of a
  deleted policy (and so its FTS row from every result).
- PostgreSQL: one side table `policy_search` with the facets, `document` (tsvector, 'simple'
  configuration, setweight A/B/C for title/summary/body, GIN index) for matching and `head`
  (title A, summary B) for ranking. `document` keeps no planner statistics: with them a word
  found in most policies makes PostgreSQL scan and decompress every document instead of
  reading the GIN posting lists, which is ten times slower.

Matching and ranking (the same on both): a query is a list of term groups (a word and its
synonyms); a policy matches if any word occurs anywhere (OR). Policies are ordered by
  1. live before expired (status expired, or past the expiry date),
  2. coverage: how many groups they match (研发补贴 ranks policies about both first),
  3. title coverage: how many groups match in the title (a policy called 研发费用补贴 before
     one about 研发机构 whose summary mentions 资助: bm25 alone favours short titles),
  4. score: relevance of the title and summary (bm25 with column weights on SQLite,
     ts_rank over `head` on PostgreSQL; 0 when the words are only in the body) times a
     freshness factor of the publish date,
  5. publish date, newest first (what orders body-only matches).
Relevance is computed only for policies whose title or summary match, so a word found in
most bodies costs a scan of its posting list, not a ranking of every policy.

The migration creating the index copies the DDL constants below literally (migrations must
not change when this module does): change them only together with a new migration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from tortoise.backends.base.client import BaseDBAsyncClient

    from app.policy.search import SearchFilters

# -- DDL (copied literally into app/migrations/0006_policy_search.py) --------------------------

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS policy_search USING fts5(title, summary, body, tokenize = 'unicode61')",
    "CREATE TABLE IF NOT EXISTS policy_search_facet ("
    "policy_id INTEGER NOT NULL PRIMARY KEY REFERENCES policy (id) ON DELETE CASCADE, "
    "status VARCHAR(16) NOT NULL, support_type VARCHAR(24) NOT NULL, "
    "publish_date DATE, expiry_date DATE, apply_start DATE, apply_end DATE, "
    "districts TEXT NOT NULL DEFAULT '')",
)
SQLITE_DROP = ("DROP TABLE IF EXISTS policy_search_facet", "DROP TABLE IF EXISTS policy_search")

POSTGRES_CREATE = (
    "CREATE TABLE IF NOT EXISTS policy_search ("
    "policy_id INT NOT NULL PRIMARY KEY REFERENCES policy (id) ON DELETE CASCADE, "
    "status VARCHAR(16) NOT NULL, support_type VARCHAR(24) NOT NULL, "
    "publish_date DATE, expiry_date DATE, apply_start DATE, apply_end DATE, "
    "districts TEXT[] NOT NULL DEFAULT '{}', "
    "head TSVECTOR NOT NULL, document TSVECTOR NOT NULL)",
    "CREATE INDEX IF NOT EXISTS policy_search_document_gin ON policy_search USING GIN (document)",
    "ALTER TABLE policy_search ALTER COLUMN document SET STATISTICS 0",
)
POSTGRES_DROP = ("DROP TABLE IF EXISTS policy_search",)

# -- ranking ----------------------------------------------------------------------------------

#: bm25 weights of the FTS5 columns title, summary, body (body matches are not ranked).
SQLITE_COLUMN_WEIGHTS = (10.0, 4.0, 0.0)
#: ts_rank weights in PostgreSQL's order {D, C, B, A}: summary is B, title A.
POSTGRES_WEIGHTS = "{0.0, 0.0, 0.4, 1.0}"
#: The score is relevance times 0.5 + 0.5 / (1 + age / FRESHNESS_DAYS): 1 when just published,
#: 0.75 after FRESHNESS_DAYS, tending to 0.5; a policy without a publish date counts as old.
FRESHNESS_DAYS = 365
UNDATED = "2000-01-01"
SEARCHABLE_STATUSES = ("published", "expired")


@dataclass(frozen=True)
class IndexedDocument:
    """What the index holds for a policy: its segmented words per part (space-joined) and facets."""

    policy_id: int
    title: str
    summary: str
    body: str
    status: str
    support_type: str
    publish_date: date | None = None
    expiry_date: date | None = None
    apply_start: date | None = None
    apply_end: date | None = None
    districts: tuple[str, ...] = ()

    @property
    def search_text(self) -> str:
        return " ".join(part for part in (self.title, self.summary, self.body) if part)


@dataclass(frozen=True)
class RankedPolicy:
    policy_id: int
    score: float
    expired: bool


@dataclass(frozen=True)
class IndexPage:
    rows: list[RankedPolicy]
    total: int


class _Params:
    """Collects query parameters, writing numbered placeholders (`?1` for SQLite, `$1` for
    PostgreSQL) so the SQL text may use them in any order."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"{self.prefix}{len(self.values)}"


class SearchIndex:
    """The operations search needs; one subclass per backend. Every method takes the client
    to use, so the caller's transaction (if any) is the one written in. In the SQL, `f` is the
    facets of a policy."""

    placeholder = "?"
    facets = ""  # the facet table, aliased f

    async def upsert(self, client: BaseDBAsyncClient, documents: Sequence[IndexedDocument]) -> None:
        raise NotImplementedError

    async def delete(self, client: BaseDBAsyncClient, policy_id: int) -> None:
        raise NotImplementedError

    async def delete_orphans(self, client: BaseDBAsyncClient) -> None:
        """Drop entries whose policy no longer exists."""

    async def store_search_text(self, client: BaseDBAsyncClient, documents: Sequence[IndexedDocument]) -> None:
        """Keep `policy.search_text` (the segmented words, for inspection and exports) in step."""
        if documents:
            p = self.placeholder
            await client.execute_many(
                f"UPDATE policy SET search_text = {p}1 WHERE id = {p}2",
                [[document.search_text, document.policy_id] for document in documents],
            )

    async def search(
        self,
        client: BaseDBAsyncClient,
        *,
        groups: Sequence[Sequence[str]],
        filters: SearchFilters,
        today: date,
        limit: int,
        offset: int,
    ) -> IndexPage:
        """One page of matching searchable policies, best first, and how many match in all.
        No groups: every searchable policy, newest first."""
        params = _Params(self.placeholder)
        if groups:
            sql = self._ranked(params, groups, filters, today)
        else:
            sql = (
                f"SELECT f.policy_id AS policy_id, 0.0 AS score, {self._expired(params, today)} AS expired, "
                f"COUNT(*) OVER () AS total FROM {self.facets} f WHERE {self._where(params, filters, today)} "
                "ORDER BY expired, f.publish_date DESC NULLS LAST, f.policy_id DESC"
            )
        sql += f" LIMIT {params(limit)} OFFSET {params(offset)}"
        _, rows = await client.execute_query(sql, params.values)
        if not rows and offset > 0:  # past the end: the window count needs a row to ride on
            first = await self.search(client, groups=groups, filters=filters, today=today, limit=1, offset=0)
            return IndexPage(rows=[], total=first.total)
        return IndexPage(
            rows=[RankedPolicy(int(row["policy_id"]), float(row["score"] or 0.0), bool(row["expired"])) for row in rows],
            total=int(rows[0]["total"]) if rows else 0,
        )

    # -- backend-specific pieces --------------------------------------------------------------

    def _ranked(self, params: _Params, groups: Sequence[Sequence[str]], filters: SearchFilters, today: date) -> str:
        """The SELECT (without LIMIT) of policy_id, score, expired and total for matching policies,
        in rank order."""
        raise NotImplementedError

    _ORDER = (
        "ORDER BY expired, coverage DESC, title_coverage DESC, score DESC, publish_date DESC NULLS LAST, policy_id DESC"
    )

    def _date(self, params: _Params, value: date) -> str:
        raise NotImplementedError

    def _age_days(self, params: _Params, today: date, published: str) -> str:
        raise NotImplementedError

    def _district(self, params: _Params, district: str) -> str:
        raise NotImplementedError

    # -- shared SQL -----------------------------------------------------------------------------

    def _expired(self, params: _Params, today: date) -> str:
        return f"(f.status = 'expired' OR (f.expiry_date IS NOT NULL AND f.expiry_date < {self._date(params, today)}))"

    def _freshness(self, params: _Params, today: date, published: str) -> str:
        return f"(0.5 + 0.5 / (1.0 + {self._age_days(params, today, published)} / {FRESHNESS_DAYS}.0))"

    def _where(self, params: _Params, filters: SearchFilters, today: date) -> str:
        statuses = ", ".join(f"'{status}'" for status in SEARCHABLE_STATUSES)
        conditions = [f"f.status IN ({statuses})"]
        if filters.support_types:
            members = ", ".join(params(str(getattr(kind, "value", kind))) for kind in filters.support_types)
            conditions.append(f"f.support_type IN ({members})")
        if filters.district is not None:
            conditions.append(self._district(params, str(getattr(filters.district, "value", filters.district))))
        if filters.organisation_id is not None:
            conditions.append(
                "EXISTS (SELECT 1 FROM policy_issuer i WHERE i.policy_id = f.policy_id "
                f"AND i.organisation_id = {params(int(filters.organisation_id))})"
            )
        if filters.open_now:
            # Open-ended on a missing side; no window at all means accepted all year (常年受理).
            conditions.append(f"(f.apply_start IS NULL OR f.apply_start <= {self._date(params, today)})")
            conditions.append(f"(f.apply_end IS NULL OR f.apply_end >= {self._date(params, today)})")
        if filters.open_now or not filters.include_expired:
            conditions.append(f"NOT {self._expired(params, today)}")
        return " AND ".join(conditions)


class SqliteSearchIndex(SearchIndex):
    placeholder = "?"
    facets = "policy_search_facet"

    async def upsert(self, client: BaseDBAsyncClient, documents: Sequence[IndexedDocument]) -> None:
        if not documents:
            return
        await client.execute_many("DELETE FROM policy_search WHERE rowid = ?", [[doc.policy_id] for doc in documents])
        await client.execute_many(
            "INSERT INTO policy_search (rowid, title, summary, body) VALUES (?, ?, ?, ?)",
            [[doc.policy_id, doc.title, doc.summary, doc.body] for doc in documents],
        )
        await client.execute_many(
            "INSERT OR REPLACE INTO policy_search_facet (policy_id, status, support_type, publish_date, "
            "expiry_date, apply_start, apply_end, districts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    doc.policy_id, doc.status, doc.support_type, *map(_iso, (doc.publish_date, doc.expiry_date,
                    doc.apply_start, doc.apply_end)), "".join(f",{code}," for code in doc.districts),
                ]
                for doc in documents
            ],
        )

    async def delete(self, client: BaseDBAsyncClient, policy_id: int) -> None:
        await client.execute_query("DELETE FROM policy_search_facet WHERE policy_id = ?", [policy_id])
        await client.execute_query("DELETE FROM policy_search WHERE rowid = ?", [policy_id])

    async def delete_orphans(self, client: BaseDBAsyncClient) -> None:
        await client.execute_query("DELETE FROM policy_search_facet WHERE policy_id NOT IN (SELECT id FROM policy)")
        await client.execute_query(
            "DELETE FROM policy_search WHERE rowid NOT IN (SELECT policy_id FROM policy_search_facet)"
        )

    def _date(self, params: _Params, value: date) -> str:
        return params(value.isoformat())

    def _age_days(self, params: _Params, today: date, published: str) -> str:
        return f"MAX(0, julianday({self._date(params, today)}) - julianday(COALESCE({published}, '{UNDATED}')))"

    def _district(self, params: _Params, district: str) -> str:
        return f"(f.districts = '' OR instr(f.districts, {params(f',{district},')}) > 0)"

    def _ranked(self, params: _Params, groups: Sequence[Sequence[str]], filters: SearchFilters, today: date) -> str:
        # One cheap posting-list scan per group (its row count is the coverage), plus one scan
        # of the title and summary columns computing bm25 for the rows matching there; then the
        # facets. MATERIALIZED keeps SQLite from flattening the scans into the join, where bm25
        # is refused.
        scans = []
        for group in groups:
            scans.append(
                f"SELECT rowid AS policy_id, 1 AS hit, 0 AS title_hit, 0.0 AS relevance "
                f"FROM policy_search WHERE policy_search MATCH {params(_fts5_any(group))}"
            )
            scans.append(
                f"SELECT rowid, 0, 1, 0.0 FROM policy_search "
                f"WHERE policy_search MATCH {params('title : (' + _fts5_any(group) + ')')}"
            )
        weights = ", ".join(str(weight) for weight in SQLITE_COLUMN_WEIGHTS)
        every = [word for group in groups for word in group]
        scans.append(
            f"SELECT rowid, 0, 0, -bm25(policy_search, {weights}) FROM policy_search "
            f"WHERE policy_search MATCH {params('{title summary} : (' + _fts5_any(every) + ')')}"
        )
        return (
            f"WITH hits AS MATERIALIZED ({' UNION ALL '.join(scans)}), "
            "matched AS (SELECT policy_id, SUM(hit) AS coverage, SUM(title_hit) AS title_coverage, "
            "SUM(relevance) AS relevance FROM hits GROUP BY policy_id) "
            f"SELECT f.policy_id AS policy_id, m.coverage AS coverage, m.title_coverage AS title_coverage, "
            f"m.relevance * {self._freshness(params, today, 'f.publish_date')} AS score, "
            f"{self._expired(params, today)} AS expired, f.publish_date AS publish_date, COUNT(*) OVER () AS total "
            f"FROM matched m JOIN policy_search_facet f ON f.policy_id = m.policy_id "
            f"WHERE {self._where(params, filters, today)} {self._ORDER}"
        )


class PostgresSearchIndex(SearchIndex):
    placeholder = "$"
    facets = "policy_search"

    async def upsert(self, client: BaseDBAsyncClient, documents: Sequence[IndexedDocument]) -> None:
        if not documents:
            return
        head = "setweight(to_tsvector('simple', $2), 'A') || setweight(to_tsvector('simple', $3), 'B')"
        await client.execute_many(
            "INSERT INTO policy_search (policy_id, head, document, status, support_type, publish_date, "
            "expiry_date, apply_start, apply_end, districts) "
            f"VALUES ($1, {head}, {head} || setweight(to_tsvector('simple', $4), 'C'), "
            "$5, $6, $7, $8, $9, $10, $11) "
            "ON CONFLICT (policy_id) DO UPDATE SET head = EXCLUDED.head, document = EXCLUDED.document, "
            "status = EXCLUDED.status, support_type = EXCLUDED.support_type, "
            "publish_date = EXCLUDED.publish_date, expiry_date = EXCLUDED.expiry_date, "
            "apply_start = EXCLUDED.apply_start, apply_end = EXCLUDED.apply_end, districts = EXCLUDED.districts",
            [
                [
                    doc.policy_id, doc.title, doc.summary, doc.body, doc.status, doc.support_type,
                    doc.publish_date, doc.expiry_date, doc.apply_start, doc.apply_end, list(doc.districts),
                ]
                for doc in documents
            ],
        )

    async def delete(self, client: BaseDBAsyncClient, policy_id: int) -> None:
        await client.execute_query("DELETE FROM policy_search WHERE policy_id = $1", [policy_id])

    async def delete_orphans(self, client: BaseDBAsyncClient) -> None:
        return None  # the foreign key cascades

    def _date(self, params: _Params, value: date) -> str:
        return f"{params(value)}::date"

    def _age_days(self, params: _Params, today: date, published: str) -> str:
        return f"GREATEST({self._date(params, today)} - COALESCE({published}, DATE '{UNDATED}'), 0)"

    def _district(self, params: _Params, district: str) -> str:
        return f"(cardinality(f.districts) = 0 OR f.districts @> ARRAY[{params(district)}::text])"

    def _ranked(self, params: _Params, groups: Sequence[Sequence[str]], filters: SearchFilters, today: date) -> str:
        # One GIN bitmap scan per group, filtered by the facets in the same heap pass; the number
        # of scans a policy appears in is its coverage. Only `head` (small and stored inline) is
        # ranked, and only where it matches: `document` is never read row by row (decompressing
        # it is what makes a naive plan slow). ts_rank rather than ts_rank_cd: cover density
        # costs four times as much per row and over a title and summary ranks alike.
        where = self._where(params, filters, today)
        scans = []
        for group in groups:
            query = f"to_tsquery('simple', {params(_tsquery_any(group))})"
            in_title = f"to_tsquery('simple', {params(_tsquery_any(group, weight='A'))})"
            scans.append(
                f"SELECT f.policy_id, CASE WHEN f.head @@ {query} "
                f"THEN ts_rank('{POSTGRES_WEIGHTS}'::float4[], f.head, {query}) ELSE 0 END AS relevance, "
                f"CASE WHEN f.head @@ {in_title} THEN 1 ELSE 0 END AS title_hit, "
                f"{self._expired(params, today)} AS expired, f.publish_date "
                f"FROM policy_search f WHERE f.document @@ {query} AND {where}"
            )
        return (
            "SELECT policy_id, coverage, title_coverage, "
            f"relevance * {self._freshness(params, today, 'publish_date')} AS score, expired, COUNT(*) OVER () AS total "
            "FROM (SELECT policy_id, COUNT(*) AS coverage, SUM(title_hit) AS title_coverage, "
            "SUM(relevance) AS relevance, BOOL_OR(expired) AS expired, "
            f"MAX(publish_date) AS publish_date FROM ({' UNION ALL '.join(scans)}) AS hits GROUP BY policy_id) AS matched "
            f"{self._ORDER}"
        )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _fts5_any(words: Sequence[str]) -> str:
    """An FTS5 query matching any of `words` (segmented words are letters, digits and CJK only,
    so quoting them is enough)."""
    return " OR ".join(f'"{word}"' for word in dict.fromkeys(words))


def _tsquery_any(words: Sequence[str], *, weight: str = "") -> str:
    """A tsquery matching any of `words`; with `weight` ('A' = title), only words of that weight."""
    suffix = f":{weight}" if weight else ""
    return " | ".join(f"'{word}'{suffix}" for word in dict.fromkeys(words))


_INDEXES: dict[str, SearchIndex] = {"sqlite": SqliteSearchIndex(), "postgres": PostgresSearchIndex()}


def index_for(client: BaseDBAsyncClient) -> SearchIndex:
    """The index implementation for the client's backend."""
    dialect = client.capabilities.dialect
    try:
        return _INDEXES[dialect]
    except KeyError:
        raise RuntimeError(f"policy search supports SQLite and PostgreSQL, not {dialect}") from None
