"""Reading submitted form fields: text, whole numbers, checkboxes, multi-selects.

Routes only read and pass on what was typed; what is *acceptable* is decided by the
services, which answer with messages staff can read.
"""

from __future__ import annotations

from sanic import Request

MAX_FIELD = 20_000


def text(request: Request, name: str, default: str = "") -> str:
    """The field as typed, without NUL characters (no keyboard types one; PostgreSQL cannot
    store one in text, so it would be a 500 there)."""
    value = (request.form or {}).get(name, default)
    return str(value if value is not None else default)[:MAX_FIELD].replace("\x00", "")


def number(request: Request, name: str, default: int | None = None) -> int | None:
    raw = text(request, name).strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        return default


def checked(request: Request, name: str) -> bool:
    return text(request, name) in ("on", "1", "true", "yes")


def numbers(request: Request, name: str) -> list[int]:
    values = (request.form or {}).getlist(name) or []
    found = []
    for value in values:
        try:
            found.append(int(value))
        except (TypeError, ValueError):
            continue
    return found


def query(request: Request, name: str, default: str = "") -> str:
    return str(request.args.get(name, default) or default)[:200].replace("\x00", "")


def query_number(request: Request, name: str) -> int | None:
    raw = query(request, name).strip()
    return int(raw) if raw.isdigit() else None
