"""Engagements: an enterprise engages a provider's product, and every step after that.

Every transport (mini-program, H5 pages, admin, the auto-completion cron) calls these
functions and nothing else changes an engagement. Each step:

1. loads the engagement and works out the caller's roles on it (`app.engagement.access`);
2. asks the transition table whether the step is allowed (`app.engagement.workflow`);
3. in one transaction, updates the row only if nobody changed it meanwhile (the `version`
   column: of two concurrent steps one wins, the other gets `ProviderConflict`), writes the
   timeline event, and queues its notices (`app.engagement.notices`) and, for a completion,
   a decline or a cancellation, the provider's reputation refresh (`provider.refresh`) in
   the outbox;
4. after commit, wakes the outbox worker (only a speed-up: the sweep delivers anyway).

Requests are idempotent by key (the mini-program's Idempotency-Key, an H5 form's token),
and the database keeps one open engagement per enterprise and product (`open_key`, unique,
cleared when the engagement closes), so two requests at once make one engagement.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.outbox.wake import wake
from app.audit import service as audit
from app.config import Settings
from app.engagement.access import actor_for, engagement_not_found
from app.engagement.models import Engagement, EngagementChannel, EngagementEvent, EngagementStatus
from app.engagement.workflow import OPEN_STATUSES, Actor, Role, authorise
from app.identity.models import WeChatUser
from app.identity.permissions import require_binding
from app.outbox.service import put as outbox_put
from app.provider.errors import ProviderConflict, ProviderError, ProviderNotFound
from app.provider.models import Provider, ProviderProduct, ProviderStatus
from app.staff.models import Staff

__all__ = [
    "NOTE_LIMIT",
    "RequestResult",
    "accept",
    "auto_complete_overdue",
    "cancel",
    "confirm",
    "decline",
    "deliver",
    "get_engagement",
    "reopen",
    "request_engagement",
]

logger = logging.getLogger("qiyun.engagement")
_SHANGHAI = ZoneInfo("Asia/Shanghai")

NOTE_LIMIT = 1000
REFRESH_ACTIONS = frozenset({"decline", "cancel", "confirm", "auto_complete"})
"""Steps that change the provider's completion rate: provider-core recomputes it."""
ENTERPRISE_ACTIONS = frozenset({"accept", "decline", "deliver", "confirm", "auto_complete", "cancel"})
PROVIDER_ACTIONS = frozenset({"request", "cancel", "confirm", "auto_complete", "reopen"})
RATING_PROMPT_ACTIONS = frozenset({"confirm", "auto_complete"})


def _now() -> datetime:
    return datetime.now(_SHANGHAI)


def _text(value: str | None) -> str:
    return (value or "").strip()


async def _wake_outbox() -> None:
    await wake()


@dataclass(frozen=True)
class RequestResult:
    engagement: Engagement
    created: bool
    """False when the same request (its key) was received before: that engagement is returned."""


async def get_engagement(engagement_id: int) -> Engagement:
    engagement = await Engagement.filter(id=engagement_id).select_related("provider", "product", "enterprise").first()
    if engagement is None:
        raise engagement_not_found()
    return engagement


async def _engageable_product(product_id: int) -> ProviderProduct:
    """The active product of a publicly listed provider, or a clear refusal in Chinese."""
    from app.provider.queries import public_product  # provider-core's contract

    try:
        return await public_product(product_id=product_id)
    except ProviderNotFound:
        product = await ProviderProduct.filter(id=product_id).select_related("provider").first()
        if product is None:
            raise ProviderNotFound("未找到该服务产品", code="product_not_found") from None
        status = ProviderStatus(product.provider.status)
        if status is ProviderStatus.suspended:
            raise ProviderError(
                f"「{product.provider.name}」已被暂停服务（{product.provider.status_reason or '动态管理'}），"
                "暂不能委托，请选择其他服务机构",
                code="provider_unavailable",
            ) from None
        if not product.is_active or product.withdrawn_at is not None:
            raise ProviderError("该服务产品已下架，不能委托", code="product_unavailable") from None
        raise ProviderError("该服务机构尚未入驻，不能委托", code="provider_unavailable") from None


async def request_engagement(
    *,
    user: WeChatUser,
    product_id: int,
    enterprise_id: int,
    note: str = "",
    channel: EngagementChannel = EngagementChannel.miniprogram,
    idempotency_key: str | None = None,
) -> RequestResult:
    """An enterprise (through a person bound to it) engages a provider's active product.

    Refused: not bound to the enterprise (`enterprise_access_denied`), a product withdrawn or
    a provider not listed or suspended (`product_unavailable`, `provider_unavailable`), the
    enterprise engaging its own provider (`own_provider`), and a second open engagement of
    the same product by the same enterprise (`engagement_open`)."""
    note = _text(note)
    if len(note) > NOTE_LIMIT:
        raise ProviderError(f"需求说明不能超过 {NOTE_LIMIT} 字", code="note_too_long", field="note")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 128:
        raise ProviderError("idempotency key must be 1-128 characters", code="invalid_idempotency_key")
    if idempotency_key:
        earlier = await Engagement.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return RequestResult(earlier, created=False)
    binding = await require_binding(user=user, enterprise_id=enterprise_id)
    product = await _engageable_product(product_id)
    provider: Provider = product.provider
    if provider.credit_code == binding.enterprise.credit_code:
        raise ProviderError("不能委托本企业自己的服务机构", code="own_provider")
    open_key = f"{enterprise_id}:{product.id}"
    try:
        async with in_transaction() as connection:
            engagement = await Engagement.create(
                provider_id=provider.id, product_id=product.id, enterprise_id=enterprise_id, requested_by=user,
                status=EngagementStatus.requested, note=note, channel=channel, idempotency_key=idempotency_key,
                open_key=open_key, using_db=connection,
            )
            event = await EngagementEvent.create(
                engagement=engagement, action="request", to_status=EngagementStatus.requested, role=Role.enterprise.value,
                user=user, by=binding.enterprise.name, text=note, payload={"channel": EngagementChannel(channel).value},
                using_db=connection,
            )
            await _queue(engagement, event, "request", Role.enterprise, connection)
    except IntegrityError:
        if idempotency_key:
            earlier = await Engagement.filter(idempotency_key=idempotency_key).first()
            if earlier is not None:
                return RequestResult(earlier, created=False)
        existing = await Engagement.filter(open_key=open_key).first()
        if existing is None:
            raise
        raise ProviderConflict(
            f"贵企业已委托该服务，订单（编号 {existing.id}）尚未结束，请在原订单中跟进",
            code="engagement_open",
        ) from None
    await _wake_outbox()
    engagement.provider, engagement.product, engagement.enterprise = provider, product, binding.enterprise
    return RequestResult(engagement, created=True)


# -- steps ------------------------------------------------------------------------------


def _acting_role(actor: Actor, allowed: frozenset[Role]) -> Role:
    for role in (Role.staff, Role.system, Role.provider, Role.enterprise):
        if role in actor.roles and role in allowed:
            return role
    raise AssertionError("authorise() returned a row the actor holds no role of")


def _by(engagement: Engagement, role: Role, actor: Actor) -> str:
    if role is Role.enterprise:
        return engagement.enterprise.name
    if role is Role.provider:
        return engagement.provider.name
    return actor.label


async def _apply(
    engagement: Engagement,
    action: str,
    *,
    actor: Actor,
    user: WeChatUser | None = None,
    staff: Staff | None = None,
    note: str = "",
    changes: dict[str, Any] | None = None,
) -> Engagement:
    note = _text(note)
    if len(note) > NOTE_LIMIT:
        raise ProviderError(f"说明不能超过 {NOTE_LIMIT} 字", code="note_too_long", field="reason")
    transition = authorise(action, status=engagement.status, actor=actor, note=note)
    role = _acting_role(actor, transition.roles)
    values = dict(changes or {})
    target = transition.target
    if target not in OPEN_STATUSES:
        values["open_key"] = None
    if target in (EngagementStatus.declined, EngagementStatus.cancelled):
        values.update(status_reason=note, closed_at=_now(), closed_by_role=role.value)
    values.update(status=target, version=engagement.version + 1, updated_at=_now())
    async with in_transaction() as connection:
        updated = await Engagement.filter(id=engagement.id, version=engagement.version).using_db(connection).update(**values)
        if updated != 1:
            raise ProviderConflict("该服务订单刚刚已被他人处理，请刷新后重试", code="engagement_conflict")
        from_status = engagement.status
        for key, value in values.items():
            setattr(engagement, key, value)
        event = await EngagementEvent.create(
            engagement_id=engagement.id, action=action, from_status=from_status, to_status=target, role=role.value,
            user=user if role in (Role.enterprise, Role.provider) else None, staff=staff, by=_by(engagement, role, actor),
            text=note, using_db=connection,
        )
        await _queue(engagement, event, action, role, connection)
        if staff is not None:
            await audit.record(staff=staff, action=f"engagement.{action}", target_type="engagement",
                               target_id=engagement.id, detail={"reason": note})
    await _wake_outbox()
    return engagement


async def _queue(engagement: Engagement, event: EngagementEvent, action: str, role: Role, connection: Any) -> None:
    """The outbox rows of a step, in its transaction: who is told (`app.engagement.notices`),
    and provider-core's refresh when the completion rate changes."""
    base = {"engagement_id": engagement.id, "event_id": event.id, "action": action}
    # People are not told what they did themselves, except that a confirmation brings the
    # enterprise its invitation to rate.
    told = role is not Role.enterprise or action in RATING_PROMPT_ACTIONS
    if action in ENTERPRISE_ACTIONS and told and engagement.requested_by_id is not None:
        await outbox_put(topic="engagement.notify", dedupe_key=f"engagement:{engagement.id}:event:{event.id}:enterprise",
                         payload={**base, "audience": "enterprise"}, connection=connection)
    if action in PROVIDER_ACTIONS and role is not Role.provider:
        await outbox_put(topic="engagement.notify", dedupe_key=f"engagement:{engagement.id}:event:{event.id}:provider",
                         payload={**base, "audience": "provider"}, connection=connection)
    if action in REFRESH_ACTIONS:
        await outbox_put(topic="provider.refresh", dedupe_key=f"engagement:{engagement.id}:event:{event.id}:refresh",
                         payload={"provider_id": engagement.provider_id}, connection=connection)


async def _load(engagement_id: int, *, user: WeChatUser | None, staff: Staff | None) -> tuple[Engagement, Actor]:
    engagement = await get_engagement(engagement_id)
    return engagement, await actor_for(engagement, user=user, staff=staff)


async def accept(*, engagement_id: int, user: WeChatUser, note: str = "") -> Engagement:
    """A member of the provider takes the request on."""
    engagement, actor = await _load(engagement_id, user=user, staff=None)
    return await _apply(engagement, "accept", actor=actor, user=user, note=note, changes={"accepted_at": _now()})


async def decline(*, engagement_id: int, user: WeChatUser, reason: str) -> Engagement:
    """A member of the provider turns the request down, saying why (the enterprise is told)."""
    engagement, actor = await _load(engagement_id, user=user, staff=None)
    return await _apply(engagement, "decline", actor=actor, user=user, note=reason)


async def deliver(*, engagement_id: int, user: WeChatUser, note: str, settings: Settings) -> Engagement:
    """The provider says the work is done; the enterprise confirms within ENGAGEMENT_CONFIRM_DAYS."""
    engagement, actor = await _load(engagement_id, user=user, staff=None)
    now = _now()
    changes = {"delivered_at": now, "delivery_note": _text(note),
               "confirm_due_at": now + timedelta(days=settings.engagement_confirm_days)}
    return await _apply(engagement, "deliver", actor=actor, user=user, note=note, changes=changes)


async def confirm(*, engagement_id: int, user: WeChatUser) -> Engagement:
    """The enterprise confirms the delivery: completed, and it is asked to rate."""
    engagement, actor = await _load(engagement_id, user=user, staff=None)
    return await _apply(engagement, "confirm", actor=actor, user=user,
                        changes={"completed_at": _now(), "confirm_due_at": None})


async def reopen(*, engagement_id: int, user: WeChatUser, reason: str) -> Engagement:
    """The enterprise says the delivery is not complete: back to the provider, with why."""
    engagement, actor = await _load(engagement_id, user=user, staff=None)
    return await _apply(engagement, "reopen", actor=actor, user=user, note=reason,
                        changes={"confirm_due_at": None, "status_reason": _text(reason)})


async def cancel(*, engagement_id: int, reason: str, user: WeChatUser | None = None, staff: Staff | None = None) -> Engagement:
    """Cancel with a reason: the enterprise (requested or accepted), the provider (once
    accepted) or staff (anything open)."""
    if user is None and staff is None:
        raise ValueError("cancel needs a user or a staff member")
    engagement, actor = await _load(engagement_id, user=user, staff=staff)
    return await _apply(engagement, "cancel", actor=actor, user=user, staff=staff, note=reason)


async def auto_complete_overdue(*, now: datetime | None = None, limit: int = 500) -> int:
    """Complete delivered engagements whose enterprise did not confirm in time (cron).
    Safe with several workers: each step is a conditional update, a lost race is skipped."""
    now = now or _now()
    due: Sequence[Engagement] = (
        await Engagement.filter(status=EngagementStatus.delivered, confirm_due_at__lte=now)
        .select_related("provider", "product", "enterprise").order_by("confirm_due_at").limit(limit)
    )
    completed = 0
    for engagement in due:
        try:
            await _apply(engagement, "auto_complete", actor=Actor.system(),
                         changes={"completed_at": now, "confirm_due_at": None})
            completed += 1
        except ProviderConflict:
            continue  # the enterprise confirmed (or another worker completed it) meanwhile
    return completed
