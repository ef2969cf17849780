"""The transition table read as rules: who may take which step from which state."""

from __future__ import annotations

import pytest

from app.appeal.errors import AppealError, AppealPermissionError
from app.appeal.models import AppealStatus
from app.appeal.workflow import TRANSITIONS, Actor, Role, authorise, available_actions

S = AppealStatus


def actor(*roles: Role) -> Actor:
    return Actor(frozenset(roles), "测试")


def test_every_status_is_reachable_and_every_open_status_has_a_way_out():
    reached = {t.target for t in TRANSITIONS.values() if t.target is not None} | {S.submitted}
    assert reached == set(S)
    for status in set(S) - {S.closed, S.declined}:
        assert any(status in t.sources and t.target not in (None, status) for t in TRANSITIONS.values()), status


def test_closed_and_declined_appeals_only_take_internal_notes():
    for status in (S.closed, S.declined):
        possible = {t.action for t in TRANSITIONS.values() if status in t.sources}
        assert possible == {"note"}


@pytest.mark.parametrize(
    ("status", "roles", "expected"),
    [
        (S.submitted, {Role.dispatcher}, {"accept", "decline", "merge", "request_info", "note"}),
        (S.dispatched, {Role.lead}, {"escalate", "start", "reply", "return", "request_transfer", "request_info", "note"}),
        (S.in_progress, {Role.co_handler}, {"request_info", "note"}),
        (S.replied, {Role.enterprise}, {"confirm", "reopen"}),
        (S.held, {Role.enterprise}, {"supplement"}),
    ],
)
def test_the_buttons_each_role_sees(status, roles, expected):
    assert {t.action for t in available_actions(status=status, actor=actor(*roles))} == expected


def test_a_handler_cannot_accept_and_an_enterprise_cannot_reply():
    with pytest.raises(AppealPermissionError):
        authorise(TRANSITIONS["accept"], status=S.submitted, actor=actor(Role.lead))
    with pytest.raises(AppealPermissionError):
        authorise(TRANSITIONS["reply"], status=S.in_progress, actor=actor(Role.enterprise))


def test_the_wrong_state_is_named_in_the_refusal():
    with pytest.raises(AppealError, match="诉求当前状态为「已办结」，不能答复"):
        authorise(TRANSITIONS["reply"], status=S.closed, actor=actor(Role.lead), note="x")


def test_steps_that_need_a_reason_refuse_without_one():
    for action in ("decline", "return", "request_transfer", "escalate", "reopen"):
        transition = TRANSITIONS[action]
        status = next(iter(transition.sources))
        role = next(iter(transition.roles))
        with pytest.raises(AppealError) as refused:
            authorise(transition, status=status, actor=actor(role), note=" ")
        assert refused.value.code == "note_required"
