"""H5 pages for professional services opened from the chat: the public directory
(`/h5/providers`, by category and keyword, sorted by score, rating count or newest) and a
provider's page (`/h5/providers/<id>`) with its reputation, products and recent ratings.

Public pages: anyone in WeChat may read them. Each product carries an engage form that
POSTs to `/h5/engagements` (`handlers.h5.engagements`) with `product_id` and the CSRF
token; a visitor who has not signed in is offered the WeChat sign-in first.
"""

from __future__ import annotations

from urllib.parse import quote

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.provider import queries
from app.provider.errors import ProviderNotFound
from app.provider.models import ServiceCategory
from app.provider.products import price_text
from app.provider.reputation import DIMENSIONS
from handlers.h5.csrf import CSRF_FIELD, csrf_token
from handlers.h5.pages import message_page, render_page

__all__ = ["provider_detail", "provider_list", "register"]

PAGE_SIZE = 20


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 250))
    except ValueError:
        return 1


async def provider_list(request: Request) -> HTTPResponse:
    keyword = (request.args.get("q") or "").strip()[:queries.KEYWORD_LIMIT]
    category = request.args.get("category") or ""
    category = category if category in ServiceCategory.labels() else ""
    sort = request.args.get("sort") or "score"
    sort = sort if sort in queries.SORTS else "score"
    page = _page_number(request.args.get("page"))
    found = await queries.public_list(category=category or None, keyword=keyword, sort=sort,
                                      offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    rows = [{"provider": p, "reputation": queries.reputation_of(p)} for p in found.items]
    return render_page("provider_list.html", title="专业服务", rows=rows, total=found.total, keyword=keyword,
                       category=category, categories=ServiceCategory.labels(), sort=sort, sorts=queries.SORTS,
                       page=page, has_next=found.has_next)


async def provider_detail(request: Request, provider_id: int) -> HTTPResponse:
    try:
        provider = await queries.public_provider(provider_id=provider_id)
    except ProviderNotFound:
        return message_page(title="服务机构不存在", message="该服务机构不存在或暂停服务。", status=404)
    here = f"/h5/providers/{provider.id}"
    return render_page(
        "provider_detail.html", title=provider.name, provider=provider, reputation=queries.reputation_of(provider),
        dimensions=DIMENSIONS, products=await queries.public_products(provider_id=provider.id), price_text=price_text,
        ratings=await queries.recent_ratings(provider_id=provider.id), csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(request), sign_in=f"/h5/oauth/start?next={quote(here, safe='')}",
    )


def register(bp: Blueprint) -> None:
    """Adds this module's pages to the H5 blueprint (called once by `handlers.routes`)."""
    bp.add_route(provider_list, "/h5/providers", methods=["GET"], name="h5_provider_list")
    bp.add_route(provider_detail, "/h5/providers/<provider_id:int>", methods=["GET"], name="h5_provider_detail")
