"""Who wants to hear about a check's outcome, by subject type.

Content checks serve several domains (appeal texts and attachments, provider ratings,
survey answers). Each domain registers what to do when a verdict arrives or a reviewer
decides, so `app.content_check` never imports them:

    from app.content_check.service import on_verdict

    @on_verdict("appeal_attachment")
    async def hold_appeal(check: ContentCheck) -> None: ...

A module imported twice registers the same function twice; that is not a second callback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from app.content_check.models import ContentCheck
    from app.staff.models import Staff

__all__ = ["ReviewCallback", "SubjectRegistry", "VerdictCallback", "review_callbacks", "verdict_callbacks"]

VerdictCallback = Callable[["ContentCheck"], Awaitable[None]]
"""Called with the updated check when WeChat's asynchronous verdict (an image) is recorded."""
ReviewCallback = Callable[["ContentCheck", "Staff"], Awaitable[None]]
"""Called with the reviewed check (decision, note, reviewed_at set) and the reviewer."""

C = TypeVar("C", bound=Callable[..., Awaitable[None]])


class SubjectRegistry(Generic[C]):
    """subject_type -> callbacks, in registration order."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._by_subject: dict[str, list[C]] = {}

    def register(self, subject_type: str) -> Callable[[C], C]:
        if not subject_type:
            raise ValueError(f"{self.what} callbacks need a subject type")

        def add(callback: C) -> C:
            callbacks = self._by_subject.setdefault(subject_type, [])
            for index, existing in enumerate(callbacks):
                if _same(existing, callback):
                    callbacks[index] = callback
                    return callback
            callbacks.append(callback)
            return callback

        return add

    def unregister(self, callback: Callable[..., Any]) -> None:
        """Remove a callback wherever it is registered (tests add throwaway ones)."""
        for subject_type, callbacks in list(self._by_subject.items()):
            self._by_subject[subject_type] = [c for c in callbacks if c is not callback]

    def callbacks(self, subject_type: str) -> tuple[C, ...]:
        _load_subject_modules()
        return tuple(self._by_subject.get(subject_type, ()))


SUBJECT_MODULES: tuple[str, ...] = ("app.appeal.checks", "app.engagement.checks", "app.provider.checks")
"""Modules whose `@on_verdict` / `@on_review` callbacks register on import (add a domain's
module here), so every process that records a verdict or a review knows every callback."""


def _load_subject_modules() -> None:
    import importlib

    for name in SUBJECT_MODULES:
        importlib.import_module(name)


def _same(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    return a is b or (getattr(a, "__module__", None), getattr(a, "__qualname__", None)) == (
        getattr(b, "__module__", None),
        getattr(b, "__qualname__", None),
    )


verdict_callbacks: SubjectRegistry[VerdictCallback] = SubjectRegistry("verdict")
review_callbacks: SubjectRegistry[ReviewCallback] = SubjectRegistry("review")
