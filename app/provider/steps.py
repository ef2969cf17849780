"""Applying one step of the transition table, and writing timeline events.

Every status change of a provider — a review, a resubmission, a warning by the rules, a
reinstatement by staff — goes through `take_step`: authorise against the table, then in
one transaction a conditional update on the provider's `version` (two concurrent steps
make one transition, the other gets `ProviderConflict`), the `ProviderEvent`, and the
outbox row that tells the provider's members (`app.provider.notices`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.outbox.wake import wake
from app.db import db_time
from app.identity.models import WeChatUser
from app.outbox.service import put as outbox_put
from app.provider.errors import ProviderConflict, ProviderError
from app.provider.models import Provider, ProviderEvent, ProviderStatus
from app.provider.workflow import TRANSITIONS, Role, authorise, get_transition
from app.staff.models import Staff

__all__ = ["REASON_LIMIT", "clean_reason", "now", "record_event", "take_step", "wake_outbox"]

logger = logging.getLogger("qiyun.provider")

REASON_LIMIT = 1000


def now() -> datetime:
    """The time in the database's zone (SQLite compares times as text: see `app.db.db_time`)."""
    return db_time(datetime.now(UTC))


def clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if len(text) > REASON_LIMIT:
        raise ProviderError(f"说明不能超过 {REASON_LIMIT} 字", code="reason_too_long", field="reason")
    return text


def _by(role: Role, staff: Staff | None, user: WeChatUser | None) -> str:
    if staff is not None:
        return f"工作人员 {staff.display_name or staff.username}"[:64]
    if role is Role.system:
        return "系统（动态管理规则）"
    return "服务机构"


async def record_event(
    *,
    provider: Provider,
    action: str,
    connection: BaseDBAsyncClient,
    staff: Staff | None = None,
    user: WeChatUser | None = None,
    reason: str = "",
    payload: dict[str, Any] | None = None,
    from_status: ProviderStatus | None = None,
    to_status: ProviderStatus | None = None,
    role: Role = Role.staff,
    notify: bool = False,
) -> ProviderEvent:
    """A timeline entry (and, with `notify`, the members' notice), in the caller's transaction."""
    event = await ProviderEvent.create(
        provider_id=provider.id, action=action, from_status=from_status, to_status=to_status, staff=staff, user=user,
        by=_by(role, staff, user), reason=reason, payload=payload or {}, using_db=connection,
    )
    if notify:
        await outbox_put(
            topic="provider.notify_members", dedupe_key=f"provider:{provider.id}:event:{event.id}",
            payload={"provider_id": provider.id, "event_id": event.id}, connection=connection,
        )
    return event


async def take_step(
    provider: Provider,
    action: str,
    *,
    role: Role,
    reason: str = "",
    staff: Staff | None = None,
    user: WeChatUser | None = None,
    payload: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    within: Callable[[ProviderEvent, BaseDBAsyncClient], Awaitable[None]] | None = None,
) -> ProviderEvent:
    """Move `provider` by `action` (see `app.provider.workflow`), or raise. `changes` are
    further columns written by the same conditional update (e.g. an edited profile on
    resubmission); `within` writes more in the same transaction (an audit entry, a
    refresh). The in-memory `provider` is updated to match."""
    transition = get_transition(action)
    reason = clean_reason(reason)
    authorise(transition, status=provider.status, role=role, reason=reason)
    at = now()
    values: dict[str, Any] = dict(changes or {})
    values.update(
        status=transition.target,
        status_reason=reason[:300],
        status_by_system=role is Role.system,
        version=provider.version + 1,
        updated_at=at,
    )
    if transition.target is ProviderStatus.admitted and provider.admitted_at is None:
        values["admitted_at"] = at
    if transition.target is ProviderStatus.applied:
        values["submitted_at"] = at
    from_status = ProviderStatus(provider.status)
    async with in_transaction() as connection:
        updated = await Provider.filter(id=provider.id, version=provider.version).using_db(connection).update(**values)
        if updated != 1:
            raise ProviderConflict()
        for key, value in values.items():
            setattr(provider, key, value)
        event = await record_event(
            provider=provider, action=action, connection=connection, staff=staff, user=user, reason=reason,
            payload=payload, from_status=from_status, to_status=transition.target, role=role,
            notify=TRANSITIONS[action].notify,
        )
        if within is not None:
            await within(event, connection)
    if TRANSITIONS[action].notify:
        await wake_outbox()
    return event


async def wake_outbox() -> None:
    """Wake the outbox worker after commit; only a speed-up, the outbox sweep delivers anyway."""
    await wake()
