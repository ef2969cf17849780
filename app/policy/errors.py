"""Errors of the policy services.

Messages are for staff (the admin is in Chinese) and say precisely what is wrong and, where
there is one, what to do instead; `field` names the `PolicyInput` field at fault so a form can
show the message next to it.
"""

from __future__ import annotations

from tortoise.exceptions import DoesNotExist


class PolicyError(Exception):
    """A rule refused the request: invalid input, an action not allowed in this state or by this person."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "policy_refused") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def __str__(self) -> str:
        return self.message


class PolicyPermissionError(PolicyError):
    """The person may not do this at all (role, scope, or the four-eyes rule)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="forbidden")


class PolicyNotFound(DoesNotExist):
    """No such policy, or not one the caller may see (the public sees published and expired ones only)."""

    code = "policy_not_found"

    def __init__(self, policy_id: int, message: str = "") -> None:
        super().__init__(message or f"政策不存在或未发布（#{policy_id}）")
        self.policy_id = policy_id
        self.message = "该政策不存在或已下线"
        """What an end user is told (the id is for logs and staff)."""
