"""What the public reads from the directory (mini-program, H5 pages, chat): published
entries only, in the editors' order (sort order, then the newest change)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from app.directory.errors import DirectoryNotFound
from app.directory.models import DirectoryEntry, DirectoryKind, DirectoryStatus, UtilityType
from app.directory.search import DirectoryFilters
from app.enterprise.reference import District

__all__ = ["PublicPage", "UtilityGuides", "districts_with", "list_public", "public_entry", "utility_guides"]

MAX_LIMIT = 100


@dataclass
class PublicPage:
    items: list[DirectoryEntry]
    total: int


@dataclass
class UtilityGuides:
    """The water, power and gas guides that apply to a district: its own, and the city-wide
    ones for a utility the district has none for."""

    district: District | None
    by_type: dict[UtilityType, list[DirectoryEntry]]


def _public(filters: DirectoryFilters):
    query = DirectoryEntry.filter(status=DirectoryStatus.published)
    if filters.kinds:
        query = query.filter(kind__in=[kind.value for kind in filters.kinds])
    if filters.category is not None:
        query = query.filter(category=filters.category)
    if filters.utility_type is not None:
        query = query.filter(utility_type=filters.utility_type)
    if filters.district is not None:
        query = query.filter(Q(district=filters.district) | Q(district__isnull=True))
    return query


async def list_public(*, filters: DirectoryFilters | None = None, limit: int = 20, offset: int = 0) -> PublicPage:
    """Published entries under `filters` (a district filter keeps city-wide entries too)."""
    query = _public(filters or DirectoryFilters())
    limit = max(1, min(limit, MAX_LIMIT))
    total = await query.count()
    items = await query.order_by("sort_order", "-updated_at", "-id").offset(max(0, offset)).limit(limit).prefetch_related(
        "organisation"
    )
    return PublicPage(items=list(items), total=total)


async def public_entry(*, entry_id: int) -> DirectoryEntry:
    """A published entry with its providing department; DirectoryNotFound otherwise."""
    entry = await DirectoryEntry.get_or_none(id=entry_id, status=DirectoryStatus.published).prefetch_related(
        "organisation"
    )
    if entry is None:
        raise DirectoryNotFound(entry_id)
    return entry


async def utility_guides(*, district: District | None) -> UtilityGuides:
    """Per utility, the guides of `district` (falling back to the city-wide ones when the
    district has none of its own); with no district, the city-wide guides."""
    found = await DirectoryEntry.filter(
        status=DirectoryStatus.published, kind=DirectoryKind.utility_guide
    ).order_by("sort_order", "-updated_at", "-id").prefetch_related("organisation")
    by_type: dict[UtilityType, list[DirectoryEntry]] = {}
    for utility in UtilityType:
        guides = [entry for entry in found if entry.utility_type == utility]
        local = [entry for entry in guides if district is not None and entry.district == district]
        by_type[utility] = local or [entry for entry in guides if entry.district is None]
    return UtilityGuides(district=district, by_type=by_type)


async def districts_with(*, kind: DirectoryKind) -> list[District]:
    """Districts having at least one published entry of `kind` (for a district picker)."""
    codes = await DirectoryEntry.filter(status=DirectoryStatus.published, kind=kind, district__isnull=False).distinct(
    ).values_list("district", flat=True)
    present = {str(getattr(code, "value", code)) for code in codes}
    return [district for district in District if district.value in present]
