"""An entry's life as one transition table: draft → published ⇄ draft, archived ⇄ draft.

```
  create ─▶ draft ──publish──▶ published
             ▲  │ ◀─unpublish──┘  │
     restore │  └──archive─┐      │ archive
             │             ▼      ▼
             └────────── archived
```

Decisions, and why:

* **Published entries are editable in place.** A directory entry is reference information
  (a phone line moved, a link changed), not a legal text: staff fix it without taking it
  off line, and the search index follows every edit. Each edit is in the audit log.
* **Archive, not delete, for what was public.** An archived entry leaves every public list
  and the search index but keeps its history; only drafts and archived entries may be
  deleted for good (a published one is unpublished or archived first), so nothing the
  public may have bookmarked vanishes by a slip.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.directory.errors import DirectoryError
from app.directory.models import DirectoryStatus

__all__ = ["DELETABLE", "TRANSITIONS", "Transition", "available_transitions", "get_transition"]

S = DirectoryStatus


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[DirectoryStatus]
    target: DirectoryStatus


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("publish", "发布", frozenset({S.draft}), S.published),
        Transition("unpublish", "撤回为草稿", frozenset({S.published}), S.draft),
        Transition("archive", "归档", frozenset({S.draft, S.published}), S.archived),
        Transition("restore", "恢复为草稿", frozenset({S.archived}), S.draft),
    )
}

DELETABLE = frozenset({S.draft, S.archived})
"""Statuses an entry may be deleted in (see the module docstring)."""


def get_transition(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise DirectoryError(f"未知的操作：{action}", code="unknown_action") from None


def check(transition: Transition, status: DirectoryStatus) -> None:
    """Raise unless `transition` may be taken from `status`."""
    if status not in transition.sources:
        raise DirectoryError(f"该条目当前为「{status.label}」，不能{transition.label}", code="wrong_state")


def available_transitions(status: DirectoryStatus) -> list[Transition]:
    """The steps offered for an entry in `status` (the admin's buttons), in table order."""
    return [transition for transition in TRANSITIONS.values() if status in transition.sources]
