"""Appeal rows for summary tests: one appeal's columns and its dispatch and reply events, in
every state, spread over the year before `now` (inserted with bulk_create, bypassing the
workflow, so a test can hold hundreds of appeals with exact timestamps)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from app.appeal.categories import CATEGORIES
from app.appeal.models import AppealChannel, AppealStatus, CloseReason, Satisfaction
from app.enterprise.reference import District


def synthetic(index: int, rng: random.Random, now: datetime, orgs: list[int], office: int) -> tuple[dict, list[dict]]:
    """One appeal's columns and its timeline's dispatch and reply events."""
    created = now - timedelta(days=rng.uniform(0, 365))
    category = rng.choice(list(CATEGORIES))
    lead = rng.choice(orgs)
    values = {
        "number": f"BENCH{index:09d}", "channel": rng.choice(list(AppealChannel)), "category": category,
        "title": "基准测试诉求", "description": "基准测试诉求描述", "district": rng.choice(list(District)),
        "owner_organisation_id": office, "created_at": created, "updated_at": created,
        "accept_due_at": created + timedelta(days=1),
    }
    roll = rng.random()
    if roll < 0.03:
        values["status"] = AppealStatus.submitted
        return values, []
    if roll < 0.06:
        values.update(status=AppealStatus.declined, closed_at=created + timedelta(hours=5))
        return values, []
    accepted = created + timedelta(hours=rng.uniform(0.5, 30))
    dispatched = accepted + timedelta(hours=rng.uniform(0.2, 6))
    values.update(accepted_at=accepted, dispatched_at=dispatched, lead_organisation_id=lead,
                  respond_due_at=dispatched + timedelta(days=2), resolve_due_at=dispatched + timedelta(days=21))
    if roll < 0.12:
        values["status"] = AppealStatus.dispatched
        return values, []
    values["first_response_at"] = dispatched + timedelta(hours=rng.uniform(1, 70))
    if roll < 0.2:
        values["status"] = AppealStatus.in_progress
        return values, []
    replied = dispatched + timedelta(days=rng.uniform(1, 28))
    values.update(replied_at=replied, confirm_due_at=replied + timedelta(days=7), status=AppealStatus.replied)
    events = [{"action": "dispatch", "organisation_id": lead, "created_at": dispatched},
              {"action": "reply", "organisation_id": lead, "created_at": replied}]
    if roll < 0.25 or replied + timedelta(days=7) > now:
        return values, events
    closed = replied + timedelta(days=rng.uniform(0.5, 7))
    verdict = rng.random()
    reason = CloseReason.resolved if verdict < 0.8 else CloseReason.unresolved if verdict < 0.9 else CloseReason.unrated
    values.update(status=AppealStatus.closed, closed_at=closed, close_reason=reason,
                  resolved=None if reason is CloseReason.unrated else reason is CloseReason.resolved,
                  satisfaction=None if reason is CloseReason.unrated else rng.choice(list(Satisfaction)),
                  reopen_count=1 if rng.random() < 0.05 else 0)
    return values, events
