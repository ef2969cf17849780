"""The appeal's closed loop as one transition table: who may take which step from which state.

```
 submit ─▶ submitted ──accept──▶ accepted ──dispatch──▶ dispatched ──start──▶ in_progress
            │   ▲  │                ▲  │                  │  ▲ redispatch         │
       hold │   │  └─decline─┐      │  └─merge─▶ closed   │  └─ escalate ◀───────┤
            ▼   │ release    ▼      │                     │                      │
           held ┴─decline─▶ declined└──────── return ─────┴──────────────────────┤
                                    ▲                                             │ reply
                                    └──── reopen (unresolved, once) ◀── replied ◀─┘
                                                                      │  │
                                                        confirm ──────┘  └── close_unrated (system)
                                                           ▼
                                                         closed
```

Decisions, and why:

* **Actors.** `enterprise` is the person who filed the appeal (or someone bound to its
  enterprise); `dispatcher` is staff with `appeal.dispatch` whose scope holds the appeal's
  owning organisation; `handler` is staff with `appeal.handle` from the lead organisation
  (`lead`) or a co-handling one (`co_handler`); `system` is a job (content checks, the
  confirmation deadline). The service works out which of these the caller is; this table
  alone decides what each may do.
* **Steps without a state change** (`request_info`, `supplement`, `note`,
  `request_transfer`, `supervise`) are in the table too, so every timeline entry is
  authorised the same way.
* **Reasons.** Declining, returning, asking for transfer, escalating and asking for more
  information must say why; a reply must say something. The enterprise sees every event
  except internal notes, transfer requests and supervision.
* **Reopen once.** An unresolved confirmation reopens the appeal for re-dispatch while
  `reopen_count < APPEAL_MAX_REOPENS` (1 by default); after that an unresolved verdict
  closes it as 未解决 — the case then goes to the league table, not round the loop again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from app.appeal.errors import AppealError, AppealPermissionError
from app.appeal.models import AppealStatus

__all__ = [
    "OPEN_STATUSES",
    "TERMINAL_STATUSES",
    "TRANSITIONS",
    "Actor",
    "Role",
    "Transition",
    "authorise",
    "available_actions",
    "get_transition",
]

S = AppealStatus


class Role(str, Enum):
    enterprise = "enterprise"
    dispatcher = "dispatcher"
    lead = "lead"
    co_handler = "co_handler"
    hotline = "hotline"
    """The 12345 hotline reporting its 回访 (follow-up call) of an appeal it forwarded."""
    system = "system"


@dataclass(frozen=True)
class Actor:
    """Who is asking, as far as the table cares: the roles they hold on this appeal."""

    roles: frozenset[Role]
    label: str = ""
    """How the timeline names them (e.g. 市科委承办人, 企业用户)."""

    @classmethod
    def system(cls) -> Actor:
        return cls(frozenset({Role.system}), "系统")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[AppealStatus]
    target: AppealStatus | None
    """None: the step is recorded on the timeline without changing the status."""
    roles: frozenset[Role]
    label: str
    note_required: bool = False
    note_label: str = "说明"
    internal: bool = False
    """Recorded for staff only; the enterprise's timeline does not show it."""
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


_OPEN = frozenset({S.submitted, S.held, S.accepted, S.dispatched, S.in_progress, S.replied})
_HANDLING = frozenset({S.dispatched, S.in_progress})
_STAFF = frozenset({Role.dispatcher, Role.lead, Role.co_handler})

OPEN_STATUSES = _OPEN
TERMINAL_STATUSES = frozenset({S.declined, S.closed})


def _t(action, sources, target, roles, label, **kwargs) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), label, **kwargs)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("hold", {S.submitted}, S.held, {Role.system}, "内容待审核", internal=True),
        _t("release", {S.held}, S.submitted, {Role.dispatcher}, "内容审核通过", internal=True),
        _t("accept", {S.submitted}, S.accepted, {Role.dispatcher}, "受理"),
        _t("decline", {S.submitted, S.held}, S.declined, {Role.dispatcher}, "不予受理", note_required=True, note_label="不予受理的原因"),
        _t("merge", {S.submitted, S.accepted}, S.closed, {Role.dispatcher}, "合并办理", note_required=True, note_label="合并说明"),
        _t("dispatch", {S.accepted}, S.dispatched, {Role.dispatcher}, "分派"),
        _t("redispatch", _HANDLING, S.dispatched, {Role.dispatcher}, "改派", note_required=True, note_label="改派原因"),
        _t("escalate", {S.accepted, *_HANDLING}, S.dispatched, {Role.dispatcher, Role.lead}, "提请市级协调", note_required=True, note_label="协调事由"),
        _t("start", {S.dispatched}, S.in_progress, {Role.lead}, "签收办理"),
        _t("reply", _HANDLING, S.replied, {Role.lead}, "答复", note_required=True, note_label="答复内容"),
        _t("return", _HANDLING, S.accepted, {Role.lead}, "退回", note_required=True, note_label="退回原因"),
        _t("request_transfer", _HANDLING, None, {Role.lead}, "申请转办", note_required=True, note_label="转办理由", internal=True),
        _t("request_info", {S.submitted, S.accepted, *_HANDLING}, None, _STAFF, "请企业补充材料", note_required=True, note_label="需要补充的内容"),
        _t("supplement", _OPEN - {S.replied}, None, {Role.enterprise}, "企业补充材料", note_required=True, note_label="补充内容"),
        _t("note", _OPEN | TERMINAL_STATUSES, None, _STAFF, "内部备注", note_required=True, note_label="备注", internal=True),
        _t("confirm", {S.replied}, S.closed, {Role.enterprise, Role.hotline}, "确认并评价"),
        _t("reopen", {S.replied}, S.accepted, {Role.enterprise, Role.hotline}, "未解决，申请重办", note_required=True,
           note_label="未解决的原因"),
        _t("close_unrated", {S.replied}, S.closed, {Role.system}, "逾期未评价，自动办结"),
        _t("supervise", _OPEN, None, {Role.system}, "督办", internal=True),
    )
}
"""action -> transition. The only place that says which step is legal."""

STATUS_CHANGING = frozenset(a for a, t in TRANSITIONS.items() if t.target is not None)


def get_transition(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise AppealError(f"未知的诉求操作「{action}」", code="unknown_action", field="action") from None


def authorise(transition: Transition, *, status: AppealStatus, actor: Actor, note: str = "", check_note: bool = True) -> None:
    """Raise unless `actor` may take `transition` now: AppealError for the wrong state or a
    missing reason, AppealPermissionError for the wrong person."""
    status = AppealStatus(status)
    if status not in transition.sources:
        allowed = "、".join(s.label for s in AppealStatus if s in transition.sources)
        raise AppealError(
            f"诉求当前状态为「{status.label}」，不能{transition.label}（只有「{allowed}」的诉求可以{transition.label}）",
            code="wrong_state",
        )
    if not (actor.roles & transition.roles):
        raise AppealPermissionError(f"您无权对该诉求执行「{transition.label}」")
    if check_note and transition.note_required and not note.strip():
        raise AppealError(f"请填写{transition.note_label}", code="note_required", field="note")


def available_actions(*, status: AppealStatus, actor: Actor) -> list[Transition]:
    """The steps `actor` may take now (the buttons a page shows), in table order."""
    allowed = []
    for transition in TRANSITIONS.values():
        try:
            authorise(transition, status=status, actor=actor, check_note=False)
        except AppealError:
            continue
        allowed.append(transition)
    return allowed
