"""The staff review queue: what waits for a human, and a decision recorded exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from app.content_check import service
from app.content_check.errors import AlreadyReviewed, CheckNotFound, NotReviewable, ReviewRefused
from app.content_check.models import CheckKind, CheckStatus, ContentCheck, ReviewDecision
from app.content_check.registry import review_callbacks, verdict_callbacks
from app.content_check.verdicts import MediaVerdict
from app.staff.models import Staff

SUBJECT = "test_rating"


@pytest.fixture
def reviews() -> Iterator[list[tuple[int, str, int]]]:
    """(check id, decision, staff id) per review callback."""
    heard: list[tuple[int, str, int]] = []

    @service.on_review(SUBJECT)
    async def listen(check: ContentCheck, staff: Staff) -> None:
        heard.append((check.id, ReviewDecision(check.decision).value, staff.id))

    yield heard
    review_callbacks.unregister(listen)


async def make(
    status: CheckStatus, *, subject_type: str = SUBJECT, age: timedelta | None = None, **fields
) -> ContentCheck:
    check = await ContentCheck.create(
        subject_type=subject_type, subject_id=1, kind=fields.pop("kind", CheckKind.text), status=status, **fields
    )
    if age is not None:
        await ContentCheck.filter(id=check.id).update(created_at=datetime.now(UTC) - age)
        await check.refresh_from_db()
    return check


async def test_the_queue_holds_what_needs_a_human(db) -> None:
    review = await make(CheckStatus.review, age=timedelta(minutes=3))
    risky = await make(CheckStatus.risky, age=timedelta(minutes=2))
    error = await make(CheckStatus.error, subject_type="other", age=timedelta(minutes=1))
    await make(CheckStatus.passed)
    await make(CheckStatus.pending, kind=CheckKind.image, trace_id="fresh")
    stale = await make(CheckStatus.pending, kind=CheckKind.image, trace_id="stale", age=timedelta(hours=2))
    await make(CheckStatus.risky, decision=ReviewDecision.rejected, review_note="已处理")

    queue = await service.list_for_review(subject_type=None, limit=50, offset=0)
    assert [c.id for c in queue] == [stale.id, review.id, risky.id, error.id]
    assert await service.count_for_review() == 4
    assert [c.id for c in await service.list_for_review(subject_type=SUBJECT, limit=50, offset=0)] == [
        stale.id, review.id, risky.id
    ]
    assert await service.count_for_review(subject_type="other") == 1
    assert [c.id for c in await service.list_for_review(subject_type=None, limit=2, offset=1)] == [review.id, risky.id]


async def test_review_is_recorded_once_and_the_owner_is_told(db, reviewer: Staff, reviews) -> None:
    check = await make(CheckStatus.review)
    reviewed = await service.record_review(
        check_id=check.id, staff=reviewer, decision=ReviewDecision.approved, note="内容正常"
    )
    assert reviewed.decision is ReviewDecision.approved and reviewed.reviewed_by_id == reviewer.id
    assert reviewed.review_note == "内容正常" and reviewed.reviewed_at is not None
    assert service.is_cleared(reviewed)
    assert reviews == [(check.id, "approved", reviewer.id)]
    assert await service.list_for_review(subject_type=SUBJECT, limit=10, offset=0) == []

    with pytest.raises(AlreadyReviewed) as refused:
        await service.record_review(check_id=check.id, staff=reviewer, decision=ReviewDecision.rejected, note="改判")
    assert refused.value.status == 409 and "审核通过" in refused.value.message
    stored = await ContentCheck.get(id=check.id)
    assert stored.decision is ReviewDecision.approved and stored.review_note == "内容正常"
    assert len(reviews) == 1


async def test_concurrent_reviews_one_wins(db, reviewer: Staff, reviews) -> None:
    check = await make(CheckStatus.error)
    results = await asyncio.gather(
        *(service.record_review(check_id=check.id, staff=reviewer, decision=d, note="复核")
          for d in (ReviewDecision.approved, ReviewDecision.rejected)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, ContentCheck) for r in results) == 1
    assert sum(isinstance(r, AlreadyReviewed) for r in results) == 1
    assert len(reviews) == 1


async def test_reasons_are_required_where_a_refusal_is_involved(db, reviewer: Staff) -> None:
    review = await make(CheckStatus.review)
    risky = await make(CheckStatus.risky)
    with pytest.raises(ReviewRefused):
        await service.record_review(check_id=review.id, staff=reviewer, decision=ReviewDecision.rejected, note=" ")
    with pytest.raises(ReviewRefused):
        await service.record_review(check_id=risky.id, staff=reviewer, decision=ReviewDecision.approved, note="")
    approved = await service.record_review(
        check_id=review.id, staff=reviewer, decision=ReviewDecision.approved, note=""
    )
    assert approved.decision is ReviewDecision.approved


async def test_what_cannot_be_reviewed(db, reviewer: Staff) -> None:
    passed = await make(CheckStatus.passed)
    running = await make(CheckStatus.pending, kind=CheckKind.image, trace_id="running")
    for check in (passed, running):
        with pytest.raises(NotReviewable):
            await service.record_review(check_id=check.id, staff=reviewer, decision="approved", note="看过")
    with pytest.raises(CheckNotFound):
        await service.record_review(check_id=999_999, staff=reviewer, decision=ReviewDecision.approved, note="x")
    reviewer.is_active = False
    with pytest.raises(ReviewRefused) as refused:
        await service.record_review(check_id=passed.id, staff=reviewer, decision=ReviewDecision.approved, note="x")
    assert refused.value.status == 403


async def test_a_failing_review_callback_records_nothing(db, reviewer: Staff) -> None:
    check = await make(CheckStatus.risky)

    @service.on_review(SUBJECT)
    async def broken(check: ContentCheck, staff: Staff) -> None:
        raise RuntimeError("the subject's owner refused")

    try:
        with pytest.raises(RuntimeError):
            await service.record_review(
                check_id=check.id, staff=reviewer, decision=ReviewDecision.rejected, note="违规"
            )
    finally:
        review_callbacks.unregister(broken)
    stored = await ContentCheck.get(id=check.id)
    assert stored.decision is None and stored.reviewed_by_id is None
    again = await service.record_review(check_id=check.id, staff=reviewer, decision=ReviewDecision.rejected, note="违规")
    assert again.decision is ReviewDecision.rejected


async def test_overdue_image_is_reviewed_and_a_late_verdict_does_not_reopen_it(db, reviewer: Staff, reviews) -> None:
    heard: list[int] = []

    @service.on_verdict(SUBJECT)
    async def listen(check: ContentCheck) -> None:
        heard.append(check.id)

    check = await make(CheckStatus.pending, kind=CheckKind.image, trace_id="late-1", age=timedelta(hours=1))
    try:
        await service.record_review(check_id=check.id, staff=reviewer, decision=ReviewDecision.approved, note="人工看过")
        outcome = await service.apply_media_verdict(verdict=MediaVerdict("late-1", CheckStatus.risky, 20006))
    finally:
        verdict_callbacks.unregister(listen)
    assert outcome.result == "applied" and outcome.check.status is CheckStatus.risky
    assert outcome.check.decision is ReviewDecision.approved
    assert heard == [] and len(reviews) == 1
    assert await service.list_for_review(subject_type=SUBJECT, limit=10, offset=0) == []
