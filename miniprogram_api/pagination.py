"""Cursor pagination: `?cursor=&limit=` -> `{"items": [...], "next_cursor": "..." | null}`.

Keyset pagination on a unique, ordered key (the id by default, newest first): a page is
"the next `limit` rows after the last one seen", so pages stay consistent while rows are
added and deep pages cost the same as the first. The cursor is opaque to the client
(base64 of the last key); a cursor that does not decode is 400 `invalid_cursor`.

Services own the query (which rows the person may see); the route hands that queryset
to `paginate` and renders the page:

    page = await paginate(service.active_bindings(user=user), query)
    return ok(PageResponse[BindingOut](items=[...], next_cursor=page.next_cursor))
"""

from __future__ import annotations

import base64
import binascii
import json as jsonlib
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from tortoise.queryset import QuerySet

from miniprogram_api.errors import ApiError

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Page",
    "PageQuery",
    "PageResponse",
    "decode_cursor",
    "encode_cursor",
    "paginate",
]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

T = TypeVar("T")


class PageQuery(BaseModel):
    """The query parameters of every list endpoint."""

    model_config = ConfigDict(extra="ignore")

    cursor: str | None = Field(
        default=None, title="分页游标", description="上一页返回的 next_cursor；第一页不传", max_length=200
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, title="每页条数", description="1-100，默认 20")


class PageResponse(BaseModel, Generic[T]):
    """The body of every list endpoint."""

    items: list[T]
    next_cursor: str | None = Field(description="下一页的游标；为 null 表示没有更多了")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(value: Any) -> str:
    raw = jsonlib.dumps({"k": value}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = jsonlib.loads(base64.urlsafe_b64decode(padded.encode()))
        return data["k"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ApiError("invalid_cursor") from None


async def paginate(
    queryset: QuerySet[Any],
    query: PageQuery,
    *,
    key: str = "id",
    descending: bool = True,
) -> Page[Any]:
    """One page of `queryset`, ordered by `key` (unique), after `query.cursor`."""
    queryset = queryset.order_by(f"-{key}" if descending else key)
    if query.cursor:
        after = decode_cursor(query.cursor)
        if not isinstance(after, (int, str)) or isinstance(after, bool):
            raise ApiError("invalid_cursor")
        queryset = queryset.filter(**{f"{key}__lt" if descending else f"{key}__gt": after})
    rows = list(await queryset.limit(query.limit + 1))
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor(getattr(rows[-1], key))
    return Page(items=rows, next_cursor=next_cursor)
