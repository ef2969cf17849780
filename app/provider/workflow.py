"""A provider's life as one transition table: who may take which step from which status.

```
 apply ─▶ applied ──admit──▶ admitted ◀──reinstate / lift_warning──┐
           │  ▲  │              │  ▲                                 │
 request_info │  └─refuse─┐     warn│  └──────── reinstate ──────┐    │
           ▼  │resubmit   ▼     ▼                               │    │
       needs_info ──refuse─▶ refused      warned ──suspend──▶ suspended
                   (resubmit ▲ back to applied)  admitted ──suspend──┘
 register (staff) ─▶ admitted
```

Decisions, and why:

* **Actors.** `applicant` is the provider's owner member (the person who applied, acting
  in the mini-program's provider desk); `staff` holds `provider.manage`; `system` is the
  dynamic-management rules (`app.provider.management`), run after ratings and completions
  and nightly.
* **Reasons.** Asking for more information, refusing, warning, suspending and reinstating
  must say why: the provider is told exactly that.
* **Re-applying.** One application per credit code (a unique column). A refused
  application is not a dead end: its owner corrects it and `resubmit`s it (refused →
  applied), which the reviewer sees on the timeline with the earlier refusal.
* **Automatic vs manual.** The rules may warn, suspend, and lift a warning *they* set
  (`lift_warning`) once the provider is back above the lines; a suspension, or anything
  staff decided, is only undone by staff (`reinstate`, with a reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.provider.errors import ProviderError, ProviderPermissionError
from app.provider.models import ProviderStatus

__all__ = ["PUBLIC_STATUSES", "TRANSITIONS", "Role", "Transition", "authorise", "available_actions", "get_transition"]

S = ProviderStatus


class Role(str, Enum):
    applicant = "applicant"
    staff = "staff"
    system = "system"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[ProviderStatus]
    target: ProviderStatus
    roles: frozenset[Role]
    label: str
    reason_required: bool = False
    reason_label: str = "原因"
    notify: bool = True
    """Whether the provider's members are told (subscribe message)."""


def _t(action, sources, target, roles, label, **kwargs) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), label, **kwargs)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("admit", {S.applied}, S.admitted, {Role.staff}, "准予入驻"),
        _t("request_info", {S.applied}, S.needs_info, {Role.staff}, "请补充材料", reason_required=True,
           reason_label="需要补充的内容"),
        _t("refuse", {S.applied, S.needs_info}, S.refused, {Role.staff}, "不予入驻", reason_required=True,
           reason_label="不予入驻的原因"),
        _t("resubmit", {S.needs_info, S.refused}, S.applied, {Role.applicant}, "重新提交申请", notify=False),
        _t("warn", {S.admitted}, S.warned, {Role.staff, Role.system}, "预警", reason_required=True,
           reason_label="预警原因"),
        _t("suspend", {S.admitted, S.warned}, S.suspended, {Role.staff, Role.system}, "暂停服务",
           reason_required=True, reason_label="暂停原因"),
        _t("lift_warning", {S.warned}, S.admitted, {Role.system}, "解除预警", reason_required=True,
           reason_label="解除原因"),
        _t("reinstate", {S.warned, S.suspended}, S.admitted, {Role.staff}, "恢复服务", reason_required=True,
           reason_label="恢复原因"),
    )
}
"""action -> transition. The only place that says which step is legal."""

PUBLIC_STATUSES = frozenset({S.admitted, S.warned})
"""Listed publicly, can publish products and be engaged."""

MEMBER_STATUSES = frozenset({S.applied, S.needs_info, S.admitted, S.warned, S.suspended})
"""Statuses in which people may join the provider desk by invitation code."""


def get_transition(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise ProviderError(f"未知的服务机构操作「{action}」", code="unknown_action", field="action") from None


def authorise(transition: Transition, *, status: ProviderStatus, role: Role, reason: str = "",
              check_reason: bool = True) -> None:
    """Raise unless `role` may take `transition` from `status`: ProviderError (code
    `wrong_state` / `reason_required`) or ProviderPermissionError."""
    status = ProviderStatus(status)
    if status not in transition.sources:
        allowed = "、".join(s.label for s in ProviderStatus if s in transition.sources)
        raise ProviderError(
            f"服务机构当前状态为「{status.label}」，不能{transition.label}（只有「{allowed}」的可以{transition.label}）",
            code="wrong_state",
        )
    if role not in transition.roles:
        raise ProviderPermissionError(f"您无权对该服务机构执行「{transition.label}」")
    if check_reason and transition.reason_required and not reason.strip():
        raise ProviderError(f"请填写{transition.reason_label}", code="reason_required", field="reason")


def available_actions(*, status: ProviderStatus, role: Role) -> list[Transition]:
    """The steps `role` may take now (the buttons a page shows), in table order."""
    found = []
    for transition in TRANSITIONS.values():
        try:
            authorise(transition, status=status, role=role, check_reason=False)
        except ProviderError:
            continue
        found.append(transition)
    return found
