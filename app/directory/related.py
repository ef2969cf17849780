"""The "相关公共服务" next to policy search results (chat and mini-program): a few directory
entries for the same keywords, so a follower searching 人才公寓 also finds the application
entrance, and one searching 用电 the connection guide."""

from __future__ import annotations

from app.directory.search import DirectoryFilters, DirectoryHit, search_directory
from app.enterprise.reference import District

__all__ = ["related_services"]


async def related_services(*, query: str, district: District | None = None, limit: int = 3) -> list[DirectoryHit]:
    """At most `limit` published entries matching `query` best (none for an empty query or
    `limit` 0); with `district`, that district's entries and city-wide ones. Beside policies
    only entries covering at least half of the query's terms are shown: one shared word of a
    long query (研发 of 研发费用加计扣除) is not "related"."""
    if limit <= 0 or not query.strip():
        return []
    result = await search_directory(query=query, filters=DirectoryFilters(district=district), limit=limit)
    needed = (len(result.query_terms) + 1) // 2
    return [hit for hit in result.hits if hit.coverage >= needed]
