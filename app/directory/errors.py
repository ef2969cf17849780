"""Errors of the directory services.

Staff read `message` in the admin (precise, Chinese, naming the field); the mini-program
renders the same error in its envelope by `code`, with `status` as the HTTP status.
"""

from __future__ import annotations

from app.errors import DomainError


class DirectoryError(DomainError):
    """A rule refused the request (invalid input, a step not allowed in this state)."""

    default_code = "directory_refused"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message, code=code, field=field)
        self.details: dict[str, object] = {"field": field} if field else {}
        self.retry_after: int | None = None


class DirectoryPermissionError(DirectoryError):
    status = 403

    def __init__(self, message: str = "您的角色无权维护公共服务目录") -> None:
        super().__init__(message, code="forbidden")


class DirectoryNotFound(DirectoryError):
    """No such entry, or not one the caller may see (the public sees published entries only)."""

    status = 404

    def __init__(self, entry_id: int | None = None, message: str = "该服务不存在或已下线") -> None:
        super().__init__(message, code="directory_entry_not_found")
        self.entry_id = entry_id


class DirectoryConflict(DirectoryError):
    """Someone else changed the entry's status in the meantime."""

    status = 409

    def __init__(self, message: str = "该条目刚被他人更改，请刷新后重试") -> None:
        super().__init__(message, code="directory_conflict")
