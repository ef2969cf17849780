"""H5 pages of the public service directory (公共服务), opened from the account's menu and
from the chat's "相关公共服务" links: the list with the four kinds as tabs, a search box and a
district filter; utility connection guides grouped by water, power and gas for a district;
and one entry with its link button or mini-program hint. Public pages: no sign-in."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.directory import display, queries
from app.directory.errors import DirectoryNotFound
from app.directory.models import DirectoryCategory, DirectoryKind, UtilityType
from app.directory.search import DirectoryFilters, search_directory
from app.enterprise.reference import District
from handlers.h5.pages import message_page, render_page

__all__ = ["register", "service_detail", "service_list"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 20
QUERY_MAX_CHARS = 50


def register(bp: Blueprint) -> None:
    """Adds this module's pages to the H5 blueprint (called once by `handlers.routes`)."""
    bp.add_route(service_list, "/h5/services", methods=["GET"], name="h5_service_list")
    bp.add_route(service_detail, "/h5/services/<entry_id:int>", methods=["GET"], name="h5_service_detail")


def _choice(enum, raw: str | None):
    try:
        return enum(raw) if raw else None
    except ValueError:
        return None


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 50))
    except ValueError:
        return 1


def _row(entry, *, title_html: str | None = None, snippet_html: str = "") -> dict:
    return {
        "entry": entry,
        "title_html": title_html,
        "snippet_html": snippet_html,
        "badge": display.badge(entry),
        "district": display.district_label(entry),
        "provider": display.provider_name(entry),
    }


async def service_list(request: Request) -> HTTPResponse:
    query = (request.args.get("q") or "").strip()[:QUERY_MAX_CHARS]
    kind = _choice(DirectoryKind, request.args.get("kind"))
    category = _choice(DirectoryCategory, request.args.get("category"))
    district = _choice(District, request.args.get("district"))
    page = _page_number(request.args.get("page"))
    if kind is None and not query:
        kind = DirectoryKind.resource  # the first tab
    context: dict = {
        "query": query, "kind": kind, "category": category, "district": district, "page": page,
        "kinds": list(DirectoryKind), "categories": list(DirectoryCategory), "districts": list(District),
        "rows": [], "total": 0, "has_next": False, "guides": None,
    }
    filters = DirectoryFilters(kinds=[kind] if kind else [], category=category, district=district)
    if query:
        result = await search_directory(query=query, filters=filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        context["rows"] = [_row(hit.entry, title_html=hit.title_html, snippet_html=hit.snippet_html) for hit in result.hits]
        context["total"] = result.total
    elif kind is DirectoryKind.utility_guide:
        guides = await queries.utility_guides(district=district)
        context["guides"] = [
            {"utility": utility, "rows": [_row(entry) for entry in guides.by_type[utility]]} for utility in UtilityType
        ]
    else:
        listed = await queries.list_public(filters=filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        context["rows"] = [_row(entry) for entry in listed.items]
        context["total"] = listed.total
    context["has_next"] = page * PAGE_SIZE < context["total"]
    return render_page("service_list.html", title="公共服务", **context)


async def service_detail(request: Request, entry_id: int) -> HTTPResponse:
    try:
        entry = await queries.public_entry(entry_id=entry_id)
    except DirectoryNotFound:
        return message_page(title="服务不存在", message="该服务不存在或已下线。", status=404)
    return render_page(
        "service_detail.html",
        title=display.kind_label(entry),
        entry=entry,
        badge=display.badge(entry),
        district=display.district_label(entry),
        provider=display.provider_name(entry),
        steps=display.lines(entry.steps),
        materials=display.lines(entry.materials),
        paragraphs=display.lines(entry.body),
        updated=entry.updated_at.astimezone(SHANGHAI).date(),
    )
