"""One page of a (scoped, filtered, ordered) query, for list pages."""

from __future__ import annotations

from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from app.paging import Page

__all__ = ["MAX_PAGE", "PER_PAGE", "Page", "page_number", "paginate"]

M = TypeVar("M", bound=Model)

PER_PAGE = 30
MAX_PAGE = 10_000


def page_number(value: str | None) -> int:
    try:
        return min(max(1, int(value or 1)), MAX_PAGE)
    except ValueError:
        return 1


async def paginate(query: QuerySet[M], *, number: int, per_page: int = PER_PAGE) -> Page[M]:
    total = await query.count()
    items = list(await query.offset((number - 1) * per_page).limit(per_page))
    return Page(items=items, number=number, per_page=per_page, total=total)
