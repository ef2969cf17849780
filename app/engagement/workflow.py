"""An engagement's life as one transition table: who may take which step from which state.

```
 request ─▶ requested ──accept (provider)──▶ accepted ──deliver (provider)──▶ delivered
              │  │                            ▲   │                            │  │  │
              │  └─decline (provider)─▶ declined  │                            │  │  └─ auto_complete (system,
              │                               reopen (enterprise: not done) ◀──┘  │     ENGAGEMENT_CONFIRM_DAYS)
              └─cancel (enterprise) ─▶ cancelled ◀─ cancel (enterprise, provider) │
                                           ▲                                      ▼
                                           └────────── cancel (staff, any open)  completed ─▶ rated once
```

Decisions, and why:

* **Actors.** `enterprise` is a person bound to the engaging enterprise (or who made the
  request); `provider` is an active member of the provider (`app.provider.access`);
  `staff` holds `provider.manage`; `system` is the auto-completion cron. The service works
  out which roles the caller holds; this table alone decides what each may do.
* **One action, several rows.** `cancel` is allowed to different people in different
  states (the enterprise while requested or accepted, the provider once it accepted,
  staff while anything is open), so the table is a tuple of rows and the legal row is the
  one whose sources hold the status and whose roles meet the caller's.
* **Reasons.** Declining, cancelling and sending back ("not done") must say why; a
  delivery must say what was delivered. The other side reads it on the timeline.
* **Delivered is not completed.** The enterprise confirms; if it does not within the
  configured days the system completes it (a provider must not be held hostage by a
  silent client), and the enterprise is asked to rate either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.engagement.models import EngagementStatus
from app.provider.errors import ProviderError, ProviderPermissionError

__all__ = [
    "OPEN_STATUSES",
    "TRANSITIONS",
    "Actor",
    "Role",
    "Transition",
    "authorise",
    "available_actions",
]

S = EngagementStatus


class Role(str, Enum):
    enterprise = "enterprise"
    provider = "provider"
    staff = "staff"
    system = "system"


ROLE_LABELS = {Role.enterprise: "企业", Role.provider: "服务机构", Role.staff: "工作人员", Role.system: "系统"}


@dataclass(frozen=True)
class Actor:
    """Who is asking: the roles they hold on this engagement, and how the timeline names them."""

    roles: frozenset[Role]
    label: str = ""

    @classmethod
    def system(cls) -> Actor:
        return cls(frozenset({Role.system}), "系统")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[EngagementStatus]
    target: EngagementStatus
    roles: frozenset[Role]
    label: str
    note_required: bool = False
    note_label: str = "说明"


OPEN_STATUSES = frozenset({S.requested, S.accepted, S.delivered})
CLOSED_STATUSES = frozenset({S.completed, S.declined, S.cancelled})


def _t(action, sources, target, roles, label, **kwargs) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), label, **kwargs)


TRANSITIONS: tuple[Transition, ...] = (
    _t("accept", {S.requested}, S.accepted, {Role.provider}, "接受委托"),
    _t("decline", {S.requested}, S.declined, {Role.provider}, "婉拒委托", note_required=True, note_label="婉拒的原因"),
    _t("deliver", {S.accepted}, S.delivered, {Role.provider}, "交付服务", note_required=True, note_label="交付说明"),
    _t("confirm", {S.delivered}, S.completed, {Role.enterprise}, "确认完成"),
    _t("reopen", {S.delivered}, S.accepted, {Role.enterprise}, "反馈未完成", note_required=True,
       note_label="还有哪些没有完成"),
    _t("auto_complete", {S.delivered}, S.completed, {Role.system}, "逾期未确认，自动完成"),
    _t("cancel", {S.requested}, S.cancelled, {Role.enterprise, Role.staff}, "取消委托", note_required=True,
       note_label="取消的原因"),
    _t("cancel", {S.accepted}, S.cancelled, {Role.enterprise, Role.provider, Role.staff}, "取消委托",
       note_required=True, note_label="取消的原因"),
    _t("cancel", {S.delivered}, S.cancelled, {Role.staff}, "取消委托", note_required=True, note_label="取消的原因"),
)
"""The only place that says which step is legal."""

ACTIONS = frozenset(t.action for t in TRANSITIONS)


def _rows(action: str) -> list[Transition]:
    rows = [t for t in TRANSITIONS if t.action == action]
    if not rows:
        raise ProviderError(f"未知的服务订单操作「{action}」", code="unknown_action", field="action")
    return rows


def authorise(action: str, *, status: EngagementStatus, actor: Actor, note: str = "", check_note: bool = True) -> Transition:
    """The row that lets `actor` take `action` now, or a clear error: `ProviderError`
    (code `wrong_state`) for the wrong state or a missing reason, `ProviderPermissionError`
    for the wrong person."""
    status = EngagementStatus(status)
    rows = _rows(action)
    in_state = [t for t in rows if status in t.sources]
    if not in_state:
        allowed = "、".join(s.label for s in EngagementStatus if any(s in t.sources for t in rows))
        label = rows[0].label
        raise ProviderError(
            f"服务订单当前状态为「{status.label}」，不能{label}（只有「{allowed}」的订单可以{label}）", code="wrong_state"
        )
    permitted = [t for t in in_state if t.roles & actor.roles]
    if not permitted:
        raise ProviderPermissionError(f"您无权对该服务订单执行「{in_state[0].label}」")
    transition = permitted[0]
    if check_note and transition.note_required and not note.strip():
        raise ProviderError(f"请填写{transition.note_label}", code="note_required", field="reason")
    return transition


def available_actions(*, status: EngagementStatus, actor: Actor) -> list[Transition]:
    """The steps `actor` may take now (the buttons a page shows), one per action, table order."""
    found: dict[str, Transition] = {}
    for transition in TRANSITIONS:
        if transition.action in found or Role.system in transition.roles:
            continue
        try:
            found[transition.action] = authorise(transition.action, status=status, actor=actor, check_note=False)
        except ProviderError:
            continue
    return list(found.values())
