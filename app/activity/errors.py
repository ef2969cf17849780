"""Errors of the activity services.

`message` is what the person who asked is told, in Chinese (the follower in the chat, the
mini-program user, staff in the admin); `code` is stable for programs; `field` names the
input at fault so a form can show the message next to it.
"""

from __future__ import annotations

from app.errors import DomainError


class ActivityError(DomainError):
    """A rule refused the request: invalid input, or a step not allowed now."""

    default_code = "activity_refused"


class ActivityNotFound(ActivityError):
    """No such activity, or not one the caller may see (drafts are staff-only)."""

    status = 404

    def __init__(self, message: str = "未找到该活动") -> None:
        super().__init__(message, code="activity_not_found")


class SignupNotFound(ActivityError):
    """No such sign-up or ticket, or not the caller's."""

    status = 404

    def __init__(self, message: str = "未找到该报名记录") -> None:
        super().__init__(message, code="signup_not_found")
