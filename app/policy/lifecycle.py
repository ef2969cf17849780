"""A policy's lifecycle: the one table of who may move a policy from which state to which.

```
            submit               approve
   draft ──────────▶ in_review ──────────▶ published ──withdraw──▶ withdrawn
     ▲                  │                      │                       │
     └──── reject ──────┘                      └──expire──▶ expired    │
     └──────────────────────── revise ─────────────────────────────────┘
```

Decisions, and why:

* **Who.** Every staff action needs the `policy.edit` permission (`app.staff.scope`: city
  administrators and policy editors) and the policy in the person's scope (checked by the
  service). `expire` may also be taken by the system (the daily job, no staff).
* **Four eyes on publishing.** The person who approves must not be the person who submitted
  (the latest `submit` step), so every published policy was read by two people; a city
  administrator may approve their own submission, since someone must be able to publish when
  no second reviewer exists, and that role answers for the whole platform anyway.
* **Sending back is harmless.** `reject` (in review → draft) needs a reason but no second
  person: the submitter may take back their own submission to fix it.
* **Reasons.** `reject` and `withdraw` need a note (the reason the editor or the public is
  told); other steps may carry one.
* **Edits only in draft.** A policy in review is what the reviewer is reading, and a published
  one is what enterprises have read and been pushed, so neither changes underneath them. To
  correct a published policy: withdraw it (with the reason), `revise` it back to draft, edit,
  and submit it for review again; its id, favourites and history are kept. Expired policies
  stay as they were (a new policy is entered for a new round).
* **Expiry is by date.** A published policy past its expiry date is expired by the daily job
  (`app.policy.service.expire_due_policies`); until the job runs it is already treated as not
  pushable (`is_pushable`) and not matched. Staff may expire a policy early (e.g. its money
  has run out).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.policy.errors import PolicyError, PolicyPermissionError
from app.policy.models import PolicyStatus
from app.staff.models import Staff, StaffRole
from app.staff.scope import can

__all__ = [
    "ACTION_ALIASES",
    "EDITABLE_STATUSES",
    "PUBLIC_STATUSES",
    "TRANSITIONS",
    "Transition",
    "authorise",
    "available_transitions",
    "get_transition",
]

EDIT_PERMISSION = "policy.edit"


@dataclass(frozen=True)
class Transition:
    action: str
    source: PolicyStatus
    target: PolicyStatus
    label: str
    """What the step is called, in Chinese (buttons, messages, the audit log)."""
    system: bool = False
    """Whether the system may take the step without a staff member."""
    note_required: bool = False
    note_label: str = "说明"
    four_eyes: bool = False
    """The approver must not be the submitter (unless a city administrator)."""


TRANSITIONS: dict[str, Transition] = {
    transition.action: transition
    for transition in (
        Transition("submit", PolicyStatus.draft, PolicyStatus.in_review, "提交审核"),
        Transition("approve", PolicyStatus.in_review, PolicyStatus.published, "审核通过并发布", four_eyes=True),
        Transition("reject", PolicyStatus.in_review, PolicyStatus.draft, "退回修改", note_required=True, note_label="退回原因"),
        Transition("withdraw", PolicyStatus.published, PolicyStatus.withdrawn, "撤回", note_required=True, note_label="撤回原因"),
        Transition("expire", PolicyStatus.published, PolicyStatus.expired, "标记为已过期", system=True),
        Transition("revise", PolicyStatus.withdrawn, PolicyStatus.draft, "重新编辑"),
    )
}
"""action -> transition; each action has exactly one source state."""

ACTION_ALIASES: dict[str, str] = {"publish": "approve"}

EDITABLE_STATUSES = frozenset({PolicyStatus.draft})
"""Only drafts are edited (see the module docstring)."""

PUBLIC_STATUSES = frozenset({PolicyStatus.published, PolicyStatus.expired})
"""What enterprises may see: expired policies stay visible, marked as expired."""


def get_transition(action: str) -> Transition:
    """The transition named `action` (or an alias such as "publish"); PolicyError if there is none."""
    name = ACTION_ALIASES.get(action, action)
    try:
        return TRANSITIONS[name]
    except KeyError:
        known = "、".join(TRANSITIONS)
        raise PolicyError(f"未知的政策操作「{action}」（可用：{known}）", field="action") from None


def authorise(
    transition: Transition,
    *,
    status: PolicyStatus,
    staff: Staff | None,
    submitter_id: int | None,
    note: str = "",
    check_note: bool = True,
) -> None:
    """Raise PolicyError unless `staff` (None: the system) may take `transition` from `status`.

    `submitter_id` is the staff id of the latest submission (for the four-eyes rule)."""
    status = PolicyStatus(status)
    if status is not transition.source:
        raise PolicyError(
            f"政策当前状态为「{status.label}」，不能{transition.label}"
            f"（只有「{transition.source.label}」的政策可以{transition.label}）",
            code="wrong_state",
        )
    if staff is None:
        if not transition.system:
            raise PolicyPermissionError(f"「{transition.label}」必须由工作人员操作")
    else:
        if not can(staff, EDIT_PERMISSION):
            raise PolicyPermissionError(f"您的角色（{StaffRole(staff.role).label}）无权{transition.label}")
        if (
            transition.four_eyes
            and submitter_id is not None
            and submitter_id == staff.id
            and StaffRole(staff.role) is not StaffRole.city_admin
        ):
            raise PolicyPermissionError("不能审核自己提交的政策：请由另一位政策编辑或市级管理员审核")
    if check_note and transition.note_required and not note.strip():
        raise PolicyError(f"请填写{transition.note_label}", field="note")


def available_transitions(*, status: PolicyStatus, staff: Staff, submitter_id: int | None) -> list[Transition]:
    """The steps `staff` may take now (the buttons a page shows), in table order."""
    allowed = []
    for transition in TRANSITIONS.values():
        try:
            authorise(transition, status=status, staff=staff, submitter_id=submitter_id, check_note=False)
        except PolicyError:
            continue
        allowed.append(transition)
    return allowed
