"""One page of a (scoped, filtered, ordered) query, for list pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

M = TypeVar("M", bound=Model)

PER_PAGE = 30
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(value: str | None) -> int:
    try:
        return min(max(1, int(value or 1)), MAX_PAGE)
    except ValueError:
        return 1


async def paginate(query: QuerySet[M], *, number: int, per_page: int = PER_PAGE) -> Page[M]:
    total = await query.count()
    items = list(await query.offset((number - 1) * per_page).limit(per_page))
    return Page(items=items, number=number, per_page=per_page, total=total)
