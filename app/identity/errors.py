"""Errors raised by the identity services, carrying a stable code and a Chinese message.

Services hold the rules but know nothing about HTTP or WeChat chat replies; each
transport (the mini-program API, the official-account chat flow) turns the `code`
into its own shape — a JSON error envelope with a status, or a chat reply — and
shows `message` to the person as it is. `details` carries structured facts a client
may act on (e.g. `remaining_attempts`); `retry_after` is seconds until a lock lifts.
"""

from __future__ import annotations

from typing import Any


class IdentityError(Exception):
    """Base class: a rule refused the request. `message` is for end users (Chinese)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.details = dict(details or {})
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class SignInError(IdentityError):
    """Sign-in or phone verification through WeChat failed (bad code, WeChat down ...)."""


class BindingError(IdentityError):
    """Binding a person to an enterprise was refused (bad credit code, wrong name, locked ...)."""


class AccessDenied(IdentityError):
    """The person may not read or act on this object (not theirs, not bound to the enterprise)."""
