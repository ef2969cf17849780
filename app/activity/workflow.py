"""An activity's lifecycle as one transition table.

```
 create ─▶ draft ──publish──▶ published ──finish──▶ finished
             │                  │
             └──cancel──────────┴──cancel──▶ cancelled   (a reason is required: it is
                                                          told to everyone signed up)
```

Sign-ups open only while `published` (and before the deadline and the start); a cancelled
or finished activity takes no sign-ups and no check-ins. Editing is allowed in `draft`
and `published` (capacity rules in `app.activity.service.update_activity`).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.activity.errors import ActivityError
from app.activity.models import ActivityStatus

__all__ = ["EDITABLE", "TRANSITIONS", "Transition", "check", "get_transition", "steps_from"]

S = ActivityStatus


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[ActivityStatus]
    target: ActivityStatus
    label: str
    reason_required: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("publish", frozenset({S.draft}), S.published, "发布"),
        Transition("finish", frozenset({S.published}), S.finished, "结束"),
        Transition("cancel", frozenset({S.draft, S.published}), S.cancelled, "取消活动", reason_required=True),
    )
}
"""action -> transition: the only place that says which lifecycle step is legal."""

EDITABLE = frozenset({S.draft, S.published})


def get_transition(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise ActivityError(f"未知的活动操作「{action}」", code="unknown_action", field="action") from None


def check(transition: Transition, *, status: ActivityStatus, reason: str = "") -> None:
    """Raise ActivityError unless `transition` may be taken from `status` (with its reason)."""
    status = ActivityStatus(status)
    if status not in transition.sources:
        allowed = "、".join(s.label for s in ActivityStatus if s in transition.sources)
        raise ActivityError(
            f"活动当前为「{status.label}」，不能{transition.label}（只有「{allowed}」的活动可以{transition.label}）",
            code="wrong_state",
        )
    if transition.reason_required and not reason.strip():
        raise ActivityError(f"请填写{transition.label}的原因（会告知已报名的人）", code="reason_required", field="reason")


def steps_from(status: ActivityStatus) -> list[Transition]:
    """The steps possible now (the buttons a page shows), in table order."""
    return [t for t in TRANSITIONS.values() if ActivityStatus(status) in t.sources]
