"""A campaign's states and the actions between them, in one table checked in one place.

    draft ──schedule──▶ scheduled ──start──▶ running ──complete──▶ completed
      └────────────start────────────────────▲  │ ▲
                                   pause ▼  │ resume
                                          paused
    any of draft / scheduled / running / paused ──cancel──▶ cancelled

`complete` is the workers' (nothing left to send); `pause` is also taken by a worker on
45009, the daily quota or a broken token/template, with the reason shown to staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.push.models import CampaignStatus

__all__ = ["ACTIONS", "TRANSITIONS", "CampaignStateError", "Transition", "transition_for"]


class CampaignStateError(ValueError):
    """The action is not possible in the campaign's current state (message in Chinese)."""


@dataclass(frozen=True)
class Transition:
    action: str
    source: CampaignStatus
    target: CampaignStatus


ACTIONS: dict[str, str] = {
    "schedule": "定时发送",
    "start": "立即发送",
    "pause": "暂停",
    "resume": "继续",
    "cancel": "取消",
    "complete": "完成",
}

_S = CampaignStatus
TRANSITIONS: dict[tuple[str, CampaignStatus], CampaignStatus] = {
    ("schedule", _S.draft): _S.scheduled,
    ("start", _S.draft): _S.running,
    ("start", _S.scheduled): _S.running,
    ("pause", _S.running): _S.paused,
    ("resume", _S.paused): _S.running,
    ("cancel", _S.draft): _S.cancelled,
    ("cancel", _S.scheduled): _S.cancelled,
    ("cancel", _S.running): _S.cancelled,
    ("cancel", _S.paused): _S.cancelled,
    ("complete", _S.running): _S.completed,
}


def transition_for(action: str, status: CampaignStatus | str) -> Transition:
    """The transition `action` takes from `status`, or CampaignStateError saying why not."""
    source = CampaignStatus(status)
    target = TRANSITIONS.get((action, source))
    if target is None:
        label = ACTIONS.get(action, action)
        raise CampaignStateError(f"活动当前状态为“{source.label}”，不能{label}")
    return Transition(action, source, target)


def allowed_actions(status: CampaignStatus | str) -> list[str]:
    """What staff may do next (for the campaign page's buttons); `complete` is the workers'."""
    source = CampaignStatus(status)
    return [action for (action, state) in TRANSITIONS if state is source and action != "complete"]
