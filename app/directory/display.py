"""How an entry reads to the public, the same in the mini-program, the H5 pages and the chat."""

from __future__ import annotations

from app.directory.models import DirectoryCategory, DirectoryEntry, DirectoryKind, UtilityType
from app.enterprise.reference import District

__all__ = ["category_label", "district_label", "kind_label", "lines", "provider_name", "utility_label"]


def _label(enum: type, value: object) -> str:
    if value is None or value == "":
        return ""
    return enum(getattr(value, "value", value)).label


def kind_label(entry: DirectoryEntry) -> str:
    return _label(DirectoryKind, entry.kind)


def category_label(entry: DirectoryEntry) -> str:
    return _label(DirectoryCategory, entry.category)


def utility_label(entry: DirectoryEntry) -> str:
    return _label(UtilityType, entry.utility_type)


def district_label(entry: DirectoryEntry) -> str:
    """The district's name, or 全市 for a city-wide entry."""
    return _label(District, entry.district) or "全市"


def provider_name(entry: DirectoryEntry) -> str:
    """Who provides it: the department (its `organisation` must be loaded) and/or the platform."""
    organisation = entry.organisation if entry.organisation_id else None
    names = [organisation.name] if organisation is not None else []
    if entry.platform_name and entry.platform_name not in names:
        names.append(entry.platform_name)
    return "，".join(names)


def lines(text: str) -> list[str]:
    """A multi-line field (steps, materials) as its non-empty lines."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def badge(entry: DirectoryEntry) -> str:
    """A short label for lists: the category, utility type or kind."""
    return category_label(entry) or (f"{utility_label(entry)}接入" if entry.utility_type else "") or kind_label(entry)
