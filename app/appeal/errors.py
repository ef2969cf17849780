"""Errors of the appeal services.

`message` is what the person who asked is told, in Chinese: the enterprise in the chat or
the mini-program, staff in the admin, an API caller in the error body. `code` is stable for
programs; `field` names the input at fault so a form can show the message next to it.
"""

from __future__ import annotations

from app.errors import DomainError


class AppealError(DomainError):
    """A rule refused the request: invalid input, or a step not allowed in this state."""

    default_code = "appeal_refused"


class AppealPermissionError(AppealError):
    """The person may not take this step on this appeal (role, organisation or ownership)."""

    status = 403

    def __init__(self, message: str) -> None:
        super().__init__(message, code="forbidden")


class AppealNotFound(AppealError):
    """No such appeal, or not one the caller may see (its existence is not disclosed)."""

    status = 404

    def __init__(self, message: str = "未找到该诉求") -> None:
        super().__init__(message, code="appeal_not_found")


class AppealConflict(AppealError):
    """Someone else changed the appeal between reading it and this step; reload and retry."""

    status = 409

    def __init__(self, message: str = "该诉求刚刚已被他人处理，请刷新后重试") -> None:
        super().__init__(message, code="appeal_conflict")
