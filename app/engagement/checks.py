"""Content-check callbacks for rating comments (`subject_type = "provider_rating"`).

A comment WeChat doubted (or that could not be checked) is stored held, with the rating
not counting (`app.engagement.ratings`). The reviewer's decision in the content-review
queue ends that: approved, the rating counts (and the provider's reputation is refreshed);
refused, it stays out of the reputation and the comment is never shown. The callback runs
inside the review's transaction, so decision and rating change together.
"""

from __future__ import annotations

import logging

from app.content_check import service as content_check
from app.content_check.models import ContentCheck, ReviewDecision
from app.engagement.models import CommentCheck
from app.engagement.ratings import SUBJECT, counts_again
from app.staff.models import Staff

__all__ = ["rating_comment_reviewed"]

logger = logging.getLogger("qiyun.engagement.checks")


@content_check.on_review(SUBJECT)
async def rating_comment_reviewed(check: ContentCheck, staff: Staff) -> None:
    approved = ReviewDecision(check.decision) is ReviewDecision.approved
    state = CommentCheck.approved if approved else CommentCheck.refused
    counts = await counts_again(rating_id=int(check.subject_id), state=state)
    logger.info("rating comment reviewed", extra={"rating_id": check.subject_id, "counts": counts})
