"""The public service directory in the mini-program: the catalogue, lists by kind, category
and district, search (the policies' search service), one entry, entrances, parks and utility
guides by district.

Lists and search page by offset inside an opaque cursor, like the policy search: results
are ordered by rank or by the editors' order, not by a key.
"""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from app.directory import queries
from app.directory.errors import DirectoryError
from app.directory.models import DirectoryCategory, DirectoryKind, UtilityType
from app.directory.search import DirectoryFilters, search_directory
from app.enterprise.reference import District
from miniprogram_api.auth import authenticated
from miniprogram_api.blueprint import bp
from miniprogram_api.directory_schemas import (
    DirectoryCatalogueOut,
    DirectoryEntryOut,
    DirectoryEntrySummaryOut,
    DirectoryItemsOut,
    DirectoryListQuery,
    DirectoryPageOut,
    DirectorySearchQuery,
    DistrictQuery,
    OptionOut,
    UtilityGroupOut,
    UtilityGuidesOut,
)
from miniprogram_api.errors import ERRORS, ApiError, ErrorInfo, register_domain_error
from miniprogram_api.pagination import decode_cursor, encode_cursor
from miniprogram_api.responses import ok
from miniprogram_api.spec import describe
from miniprogram_api.validation import validate_query

ERRORS.update({"directory_entry_not_found": ErrorInfo(404, "该服务不存在或已下线")})
register_domain_error(DirectoryError)

TAGS = ["公共服务"]
MAX_OFFSET = 1000
MAX_ITEMS = 100


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    value = decode_cursor(cursor)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_OFFSET:
        raise ApiError("invalid_cursor")
    return value


def _next(offset: int, shown: int, total: int) -> str | None:
    following = offset + shown
    return encode_cursor(following) if following < total and following <= MAX_OFFSET else None


def _filters(query: DirectoryListQuery) -> DirectoryFilters:
    return DirectoryFilters(
        kinds=[query.kind] if query.kind else [], category=query.category, district=query.district,
        utility_type=query.utility_type,
    )


def _options(enum) -> list[OptionOut]:
    return [OptionOut(code=member.value, label=member.label) for member in enum]


@bp.get("/directory/catalogue")
@describe("公共服务目录的类型、服务类别、接入类型和区（用于筛选）", response=DirectoryCatalogueOut, tags=TAGS)
@authenticated
async def directory_catalogue(request: Request) -> HTTPResponse:
    return ok(DirectoryCatalogueOut(kinds=_options(DirectoryKind), categories=_options(DirectoryCategory),
                                    utility_types=_options(UtilityType), districts=_options(District)))


@bp.get("/directory/entries")
@describe("公共服务目录：按类型、类别、区、接入类型列出（分页）", response=DirectoryPageOut, tags=TAGS)
@authenticated
@validate_query(DirectoryListQuery)
async def directory_entries(request: Request, query: DirectoryListQuery) -> HTTPResponse:
    offset = _offset(query.cursor)
    page = await queries.list_public(filters=_filters(query), limit=query.limit, offset=offset)
    items = [DirectoryEntrySummaryOut.build(entry) for entry in page.items]
    return ok(DirectoryPageOut(items=items, total=page.total, next_cursor=_next(offset, len(items), page.total)))


@bp.get("/directory/search")
@describe("搜索公共服务（与政策搜索相同的分词、同义词和排序）", response=DirectoryPageOut, tags=TAGS)
@authenticated
@validate_query(DirectorySearchQuery)
async def directory_search(request: Request, query: DirectorySearchQuery) -> HTTPResponse:
    offset = _offset(query.cursor)
    result = await search_directory(query=query.q, filters=_filters(query), limit=query.limit, offset=offset)
    items = [
        DirectoryEntrySummaryOut.build(hit.entry, title_html=hit.title_html, snippet_html=hit.snippet_html)
        for hit in result.hits
    ]
    return ok(DirectoryPageOut(items=items, total=result.total, next_cursor=_next(offset, len(items), result.total)))


@bp.get("/directory/entries/<entry_id:int>")
@describe("公共服务详情：服务对象、办理流程、材料、时限、链接或小程序页面", response=DirectoryEntryOut, tags=TAGS,
          errors=["directory_entry_not_found"])
@authenticated
async def directory_entry(request: Request, entry_id: int) -> HTTPResponse:
    return ok(DirectoryEntryOut.detail(await queries.public_entry(entry_id=entry_id)))


@bp.get("/directory/entrances")
@describe("一站式入口（如科技创新券、人才公寓申请）", response=DirectoryItemsOut, tags=TAGS)
@authenticated
@validate_query(DistrictQuery)
async def directory_entrances(request: Request, query: DistrictQuery) -> HTTPResponse:
    page = await queries.list_public(
        filters=DirectoryFilters(kinds=[DirectoryKind.entrance], district=query.district), limit=MAX_ITEMS
    )
    return ok(DirectoryItemsOut(items=[DirectoryEntrySummaryOut.build(entry) for entry in page.items]))


@bp.get("/directory/parks")
@describe("园区信息（可按区筛选）", response=DirectoryItemsOut, tags=TAGS)
@authenticated
@validate_query(DistrictQuery)
async def directory_parks(request: Request, query: DistrictQuery) -> HTTPResponse:
    page = await queries.list_public(
        filters=DirectoryFilters(kinds=[DirectoryKind.park], district=query.district), limit=MAX_ITEMS
    )
    return ok(DirectoryItemsOut(items=[DirectoryEntrySummaryOut.build(entry) for entry in page.items]))


@bp.get("/directory/utility-guides")
@describe("水电气接入指南：某区的用水、用电、用气办理指南（该区没有时为全市通用指南）", response=UtilityGuidesOut,
          tags=TAGS)
@authenticated
@validate_query(DistrictQuery)
async def directory_utility_guides(request: Request, query: DistrictQuery) -> HTTPResponse:
    guides = await queries.utility_guides(district=query.district)
    return ok(
        UtilityGuidesOut(
            district=query.district.value if query.district else None,
            district_label=query.district.label if query.district else "全市",
            groups=[
                UtilityGroupOut(utility_type=utility.value, utility_label=utility.label,
                                items=[DirectoryEntryOut.detail(entry) for entry in entries])
                for utility, entries in guides.by_type.items()
            ],
        )
    )
