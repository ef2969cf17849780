"""The year of synthetic data: counts, states, consistency with the domain rules, determinism, replace."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.appeal.measures import measures
from app.appeal.models import Appeal, AppealChannel, AppealEvent, AppealStatus, CloseReason
from app.engagement.models import ProviderRating
from app.identity.models import EnterpriseBinding, Follower
from app.provider.demo import seed_demo_providers
from app.push.models import PushCampaign, PushDelivery
from app.activity.models import ActivitySignup
from app.reporting.synthetic import APPEAL_PREFIX, FOLLOWER_PREFIX, generate_year
from tests.appeal.factories import file_appeal, make_cast
from tests.push.factories import make_policy

pytestmark = pytest.mark.usefixtures("db")

END = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 8, 0, tzinfo=UTC)


async def _generate(settings, *, seed: int = 7, replace: bool = False):
    return await generate_year(settings=settings, appeals=2_000, deliveries=2_000, seed=seed, end=END, replace=replace,
                               now=NOW)


async def _fingerprint() -> list[tuple]:
    return [tuple(row) for row in await Appeal.filter(number__startswith=APPEAL_PREFIX).order_by("number").values_list(
        "number", "status", "channel", "category", "lead_organisation_id", "created_at", "closed_at", "satisfaction")]


async def test_a_year_is_consistent_deterministic_and_replaced_exactly(settings):
    cast = await make_cast()
    demo_appeal = await file_appeal(cast, settings)
    demo_followers = await Follower.all().count()
    await make_policy()
    await seed_demo_providers(seed=2017)

    summary = await _generate(settings)

    appeals = await Appeal.filter(number__startswith=APPEAL_PREFIX).all()
    assert summary.appeals == len(appeals) == 2_000
    statuses = {a.status for a in appeals}
    assert {AppealStatus.closed, AppealStatus.replied, AppealStatus.in_progress, AppealStatus.dispatched,
            AppealStatus.declined} <= statuses
    reasons = {a.close_reason for a in appeals if a.status == AppealStatus.closed}
    assert {CloseReason.resolved, CloseReason.unresolved, CloseReason.unrated, CloseReason.merged} <= reasons
    assert any(a.reopen_count for a in appeals) and any(a.dispatch_count > 1 for a in appeals)
    assert {a.channel for a in appeals} >= {AppealChannel.hotline_12345, AppealChannel.walk_in}
    assert all(a.created_at <= NOW for a in appeals)
    # older appeals mostly closed, and some open ones are overdue now
    old = [a for a in appeals if (NOW - a.created_at).days > 90]
    assert sum(a.status in (AppealStatus.closed, AppealStatus.declined) for a in old) > 0.9 * len(old)
    assert summary.overdue_open > 0

    events: dict[int, list[AppealEvent]] = {}
    for event in await AppealEvent.filter(appeal_id__in=[a.id for a in appeals]).order_by("id"):
        events.setdefault(event.appeal_id, []).append(event)
    for appeal in appeals:
        timeline = events[appeal.id]
        assert timeline[0].action == "submit"
        assert [e.created_at for e in timeline] == sorted(e.created_at for e in timeline)
        assert appeal.accept_due_at > appeal.created_at
        if appeal.status in (AppealStatus.closed, AppealStatus.declined):
            assert appeal.closed_at >= appeal.created_at
        if appeal.dispatched_at is not None and appeal.lead_organisation_id is not None:
            assert appeal.resolve_due_at > appeal.respond_due_at > appeal.dispatched_at
        if appeal.status == AppealStatus.replied:
            replies = [e for e in timeline if e.action == "reply"]
            assert replies and replies[-1].organisation_id == appeal.lead_organisation_id
            assert replies[-1].created_at == appeal.replied_at
        if appeal.close_reason == CloseReason.merged:
            target = await Appeal.get(id=appeal.duplicate_of_id)
            assert target.created_at < appeal.closed_at
        assert timeline[-1].to_status in (None, appeal.status) or timeline[-1].action in ("note", "supplement")

    # organisations differ: the league table has a spread of scores
    rows = await measures(period_start=date(2026, 1, 1), period_end=END, group_by="organisation", scope_staff=None,
                          settings=settings, now=NOW)
    scores = [row.score for row in rows if row.ranked]
    assert len(scores) >= 5 and max(scores) - min(scores) > 5

    campaigns = [c for c in await PushCampaign.all() if c.audience.get("synthetic")]
    deliveries = await PushDelivery.filter(campaign_id__in=[c.id for c in campaigns]).all()
    assert len(deliveries) == summary.deliveries == 2_000
    assert {d.status for d in deliveries} == {"sent", "delivered", "failed", "skipped"}
    assert all(d.finished_at is not None for d in deliveries if d.status != "sent")
    assert all(d.reason for d in deliveries if d.status in ("failed", "skipped"))
    assert await Follower.filter(openid__startswith=FOLLOWER_PREFIX).count() == summary.followers
    assert summary.bindings > 0 and await EnterpriseBinding.all().count() >= summary.bindings
    assert summary.ratings > 0 and await ProviderRating.all().count() >= summary.ratings
    assert summary.signups == await ActivitySignup.filter(status__in=["confirmed", "checked_in", "cancelled", "waitlisted"]).count()
    assert await ActivitySignup.filter(status="checked_in").exists()

    # deterministic by seed; replace deletes exactly the generated rows first
    before = await _fingerprint()
    again = await _generate(settings, replace=True)
    assert again.deleted["appeals"] == 2_000 and again.deleted["followers"] == summary.followers
    assert await _fingerprint() == before
    assert await Appeal.filter(id=demo_appeal.id).exists()
    assert await Follower.all().count() - await Follower.filter(openid__startswith=FOLLOWER_PREFIX).count() == demo_followers
    assert await Appeal.filter(number__startswith=APPEAL_PREFIX).count() == 2_000

    with pytest.raises(RuntimeError):
        await _generate(settings)  # without replace, a second load is refused
