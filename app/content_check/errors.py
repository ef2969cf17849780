"""Errors of the content-check services.

`message` is what the person who asked is told, in Chinese (staff in the admin, an API
caller in the error body); `code` is stable for programs; `status` is the HTTP status a
transport should answer with.
"""

from __future__ import annotations

__all__ = ["AlreadyReviewed", "CheckNotFound", "ContentCheckError", "NotReviewable", "ReviewRefused"]


class ContentCheckError(Exception):
    """A content-check rule refused the request."""

    status = 400

    def __init__(self, message: str, *, code: str = "content_check_refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


class CheckNotFound(ContentCheckError):
    status = 404

    def __init__(self, message: str = "未找到该内容检测记录") -> None:
        super().__init__(message, code="content_check_not_found")


class AlreadyReviewed(ContentCheckError):
    """A check is reviewed once; a second decision would overwrite who decided and why."""

    status = 409

    def __init__(self, message: str = "该内容已经复核过，不能重复复核") -> None:
        super().__init__(message, code="content_check_already_reviewed")


class NotReviewable(ContentCheckError):
    """The check has no verdict that a human needs to look at (passed, or still running)."""

    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message, code="content_check_not_reviewable")


class ReviewRefused(ContentCheckError):
    """The review itself is incomplete (no reason given) or the reviewer may not act."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message, code="content_check_review_refused")
        self.status = status
