"""The base of the domain services' errors (appeals, providers and engagements, activities, ...).

`message` is what the person who asked is told, in Chinese: the follower in the chat, the
mini-program user, staff in the admin, an API caller in the error body. `code` is stable
for programs; `field` names the input at fault so a form can show the message next to it;
`status` is the HTTP status a transport answers with.
"""

from __future__ import annotations

__all__ = ["DomainError"]


class DomainError(Exception):
    """A rule refused the request: invalid input, or a step not allowed in this state."""

    status = 400
    default_code = "refused"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field

    def __str__(self) -> str:
        return self.message
