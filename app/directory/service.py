"""Maintaining the public service directory: create, edit, publish, unpublish, archive, delete.

Every write is one transaction that also writes its audit entry and brings the entry's
search index up to date (`app.directory.search.reindex_entry`), so the public lists, the
search and the history never disagree. Status steps are conditional updates on the old
status (`app.directory.workflow` says which are allowed): two editors clicking at once make
one step; the other gets `DirectoryConflict`.

Only staff with `directory.manage` (service managers, the city administrator: city-wide
roles) maintain the directory; the scope kind "directory" is therefore not owned by an
organisation (an entry's `organisation` is the providing department, not its maintainer).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.directory.errors import DirectoryConflict, DirectoryError, DirectoryNotFound, DirectoryPermissionError
from app.directory.models import DirectoryCategory, DirectoryEntry, DirectoryKind, DirectoryStatus
from app.directory.search import reindex_entry
from app.directory.validation import EntryInput, check_input
from app.directory.workflow import DELETABLE, check, get_transition
from app.enterprise.reference import District
from app.organisation.models import Organisation
from app.staff.models import Staff
from app.staff.scope import can, register_scope, scope_queryset

__all__ = [
    "MANAGE",
    "create_entry",
    "delete_entry",
    "entry_input_of",
    "get_entry",
    "list_entries",
    "transition_entry",
    "update_entry",
]

MANAGE = "directory.manage"
SCOPE_KIND = "directory"
register_scope(SCOPE_KIND, None)

audit.ACTION_LABELS.update(
    {
        "directory.create": "新建公共服务条目",
        "directory.update": "修改公共服务条目",
        "directory.publish": "发布公共服务条目",
        "directory.unpublish": "撤回公共服务条目",
        "directory.archive": "归档公共服务条目",
        "directory.restore": "恢复公共服务条目",
        "directory.delete": "删除公共服务条目",
    }
)

_COLUMNS = tuple(name for name in EntryInput.model_fields)


def _require(staff: Staff | None) -> None:
    if staff is not None and not can(staff, MANAGE):
        raise DirectoryPermissionError()


async def _check_organisation(data: EntryInput) -> None:
    if data.organisation_id is not None and not await Organisation.filter(id=data.organisation_id).exists():
        raise DirectoryError(f"提供部门不存在：#{data.organisation_id}", field="organisation_id")


def _columns(data: EntryInput) -> dict[str, Any]:
    return {name: getattr(data, name) for name in _COLUMNS}


async def create_entry(
    *, staff: Staff | None, data: EntryInput, publish: bool = False, ip: str = ""
) -> DirectoryEntry:
    """A new entry, as a draft (or published at once when `publish`). `staff` None is the
    system (demo data): recorded as such in the audit log."""
    _require(staff)
    data = check_input(data)
    await _check_organisation(data)
    now = datetime.now(timezone.utc)
    async with in_transaction():
        entry = await DirectoryEntry.create(
            **_columns(data),
            status=DirectoryStatus.published if publish else DirectoryStatus.draft,
            published_at=now if publish else None,
            updated_by_id=staff.id if staff is not None else None,
        )
        await _audit(staff, "directory.create", entry, {"title": entry.title, "kind": data.kind.value,
                                                        "published": publish}, ip=ip)
        await reindex_entry(entry_id=entry.id)
    return entry


async def update_entry(*, staff: Staff, entry_id: int, data: EntryInput, ip: str = "") -> DirectoryEntry:
    """Replace the editable fields of an entry in any status (see `workflow` for why
    published entries are edited in place); the index follows."""
    _require(staff)
    data = check_input(data)
    await _check_organisation(data)
    async with in_transaction():
        entry = await _scoped(staff, entry_id)
        before = entry_input_of(entry)
        changed = [name for name in _COLUMNS if getattr(before, name) != getattr(data, name)]
        await DirectoryEntry.filter(id=entry.id).update(
            **_columns(data), updated_by_id=staff.id, updated_at=datetime.now(timezone.utc)
        )
        await _audit(staff, "directory.update", entry, {"title": data.title, "changed": changed}, ip=ip)
        await reindex_entry(entry_id=entry.id)
    return await DirectoryEntry.get(id=entry.id)


async def transition_entry(*, staff: Staff | None, entry_id: int, action: str, ip: str = "") -> DirectoryEntry:
    """Take one step (`publish`, `unpublish`, `archive`, `restore`); refused with a clear
    message when the entry is not in a status the step starts from, or changed meanwhile."""
    _require(staff)
    transition = get_transition(action)
    async with in_transaction():
        entry = await (_scoped(staff, entry_id) if staff is not None else _any(entry_id))
        status = DirectoryStatus(entry.status)
        check(transition, status)
        now = datetime.now(timezone.utc)
        changes: dict[str, Any] = {"status": transition.target, "updated_at": now}
        if staff is not None:
            changes["updated_by_id"] = staff.id
        if transition.target is DirectoryStatus.published:
            changes["published_at"] = now
        if not await DirectoryEntry.filter(id=entry.id, status=status).update(**changes):
            raise DirectoryConflict()
        await _audit(staff, f"directory.{action}", entry,
                     {"title": entry.title, "from": status.value, "to": transition.target.value}, ip=ip)
        await reindex_entry(entry_id=entry.id)
    return await DirectoryEntry.get(id=entry.id)


async def delete_entry(*, staff: Staff, entry_id: int, ip: str = "") -> None:
    """Delete a draft or archived entry for good (its index rows go with it)."""
    _require(staff)
    async with in_transaction():
        entry = await _scoped(staff, entry_id)
        status = DirectoryStatus(entry.status)
        if status not in DELETABLE:
            raise DirectoryError("已发布的条目不能直接删除：请先撤回或归档", code="wrong_state")
        if not await DirectoryEntry.filter(id=entry.id, status=status).delete():
            raise DirectoryConflict()
        await _audit(staff, "directory.delete", entry, {"title": entry.title, "kind": entry.kind.value}, ip=ip)
        await reindex_entry(entry_id=entry.id)


# -- reading (staff) ---------------------------------------------------------------------------


def entry_input_of(entry: DirectoryEntry) -> EntryInput:
    """The editable fields of a stored entry (to fill the editor)."""
    return EntryInput(**{name: getattr(entry, name) for name in _COLUMNS})


async def get_entry(*, staff: Staff, entry_id: int) -> DirectoryEntry:
    """Any entry in `staff`'s scope, whatever its status, with its department and editor loaded."""
    _require(staff)
    entry = await _scoped(staff, entry_id)
    await entry.fetch_related("organisation", "updated_by")
    return entry


async def list_entries(
    *,
    staff: Staff,
    kind: DirectoryKind | None = None,
    status: DirectoryStatus | None = None,
    category: DirectoryCategory | None = None,
    district: District | None = None,
    keyword: str = "",
) -> QuerySet[DirectoryEntry]:
    """Entries for the editor's list, filtered, in the public order (sort order, newest change)."""
    _require(staff)
    query = DirectoryEntry.all()
    if kind is not None:
        query = query.filter(kind=kind)
    if status is not None:
        query = query.filter(status=status)
    if category is not None:
        query = query.filter(category=category)
    if district is not None:
        query = query.filter(district=district)
    keyword = keyword.strip()
    if keyword:
        query = query.filter(Q(title__icontains=keyword) | Q(platform_name__icontains=keyword))
    query = await scope_queryset(staff, query, SCOPE_KIND)
    return query.order_by("kind", "sort_order", "-updated_at", "-id").select_related("organisation", "updated_by")


# -- helpers -----------------------------------------------------------------------------------


async def _scoped(staff: Staff, entry_id: int) -> DirectoryEntry:
    query = await scope_queryset(staff, DirectoryEntry.filter(id=entry_id), SCOPE_KIND)
    entry = await query.first()
    if entry is None:
        raise DirectoryNotFound(entry_id, f"公共服务条目不存在（#{entry_id}）")
    return entry


async def _any(entry_id: int) -> DirectoryEntry:
    entry = await DirectoryEntry.get_or_none(id=entry_id)
    if entry is None:
        raise DirectoryNotFound(entry_id, f"公共服务条目不存在（#{entry_id}）")
    return entry


async def _audit(staff: Staff | None, action: str, entry: DirectoryEntry, detail: dict[str, Any], *, ip: str) -> None:
    await audit.record(staff=staff, action=action, target_type="directory", target_id=entry.id, detail=detail,
                       username="system", ip=ip)
