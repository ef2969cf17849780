"""Appeals and WeChat's content checks (`app.content_check`): the one adapter every door uses.

* **Text** is checked before the appeal is written (`TextCheck`, passed to
  `service.submit_appeal(check_text=…)`): a doubtful or uncheckable text files the appeal as
  held for a reviewer, never drops it.
* **Photos** uploaded from the mini-program are checked after commit through the outbox
  (topic `appeal.check_media`, queued in the appeal's own transaction), so a crash between
  the commit and the check cannot leave a photo unchecked. Chat photos were checked by
  WeChat when the follower sent them and are stored as passed.
* **Verdicts** arrive later (`wxa_media_check`): a doubtful photo is hidden from the
  enterprise's pages and, while the appeal still waits for acceptance, holds it.
* **Reviews**: releasing or declining a held appeal settles its open checks, so the review
  queue and the appeal never disagree; a reviewer's decision on a photo shows or hides it.
"""

from __future__ import annotations

import logging
from typing import Any

from app.appeal import storage
from app.appeal.models import Appeal, AppealAttachment
from app.content_check import service as content_check
from app.content_check.models import CheckStatus, ContentCheck, ReviewDecision
from app.identity.models import WeChatUser
from app.outbox.delivery import RetryLater, outbox_handler
from app.staff.models import Staff

__all__ = ["MEDIA_CHECK_LINK_TTL", "TextCheck", "check_media", "settle_reviews"]

logger = logging.getLogger("qiyun.appeal.checks")

MEDIA_CHECK_LINK_TTL = 24 * 3600
"""WeChat fetches the photo some time after the call; the signed link must outlive that."""

PUBLIC_RESULTS = frozenset({"pass", "approved"})
HIDDEN_RESULTS = frozenset({"review", "risky", "error", "rejected", "pending"})


class TextCheck:
    """`submit_appeal`'s `check_text`. The appeal id is not known when the text is checked,
    so the check is stored against 0 and linked inside the appeal's transaction (`attach`);
    `discard_unused` removes a check whose submission failed, so the review queue holds no
    check without an appeal."""

    def __init__(self, miniprogram: Any) -> None:
        self.miniprogram = miniprogram
        self.check: ContentCheck | None = None

    async def __call__(self, *, user: WeChatUser | None, text: str) -> TextCheck:
        self.check = await content_check.check_text(
            miniprogram=self.miniprogram, user=user, text=text, subject_type="appeal", subject_id=0
        )
        return self

    @property
    def id(self) -> int | None:
        return self.check.id if self.check else None

    @property
    def needs_review(self) -> bool:
        return self.check is not None and content_check.needs_review(self.check)

    @property
    def reason(self) -> str:
        if self.check is None:
            return ""
        return f"文字内容需人工审核（微信内容安全检测：{CheckStatus(self.check.status).label}）"

    async def attach(self, appeal_id: int, connection: Any) -> None:
        if self.check is not None:
            await ContentCheck.filter(id=self.check.id).using_db(connection).update(subject_id=appeal_id)

    async def discard_unused(self) -> None:
        if self.check is not None:
            await ContentCheck.filter(id=self.check.id, subject_type="appeal", subject_id=0).delete()


@outbox_handler("appeal.check_media")
async def check_media(message: Any, resources: Any) -> str:
    """Submit an event's pending photos to `media_check_async` (idempotent per attachment:
    one that already has a check is skipped)."""
    payload = message.payload
    appeal = await Appeal.filter(id=payload["appeal_id"]).select_related("submitter").first()
    if appeal is None:
        return "skipped:appeal_gone"
    attachments = await AppealAttachment.filter(
        appeal_id=appeal.id, event_id=payload["event_id"], check_result="pending"
    ).order_by("id")
    submitted = 0
    for attachment in attachments:
        if await ContentCheck.filter(subject_type="appeal_attachment", subject_id=attachment.id).exists():
            continue
        url = storage.signed_url(attachment.id, settings=resources.settings, ttl_seconds=MEDIA_CHECK_LINK_TTL,
                                 absolute=True)
        check = await content_check.submit_image(
            miniprogram=resources.miniprogram, user=appeal.submitter, media_url=url,
            subject_type="appeal_attachment", subject_id=attachment.id,
        )
        if check.status == CheckStatus.error:
            # Keep the row pending so the outbox tries again; remove the failed check.
            await ContentCheck.filter(id=check.id).delete()
            raise RetryLater(f"media check of attachment {attachment.id} failed: {check.detail.get('error', '')}")
        await AppealAttachment.filter(id=attachment.id).update(check_trace_id=check.trace_id)
        if check.status != CheckStatus.pending:  # answered at once (e.g. no openid: review)
            await _apply_verdict(check)
        submitted += 1
    return f"sent:{submitted}"


@content_check.on_verdict("appeal_attachment")
async def _apply_verdict(check: ContentCheck) -> None:
    status = CheckStatus(check.status)
    result = "pass" if status is CheckStatus.passed else status.value
    updated = await AppealAttachment.filter(id=check.subject_id).update(check_result=result)
    if not updated or result == "pass":
        return
    attachment = await AppealAttachment.get(id=check.subject_id)
    from app.appeal import service  # late: the service imports this module's TextCheck users

    held = await service.hold(appeal_id=attachment.appeal_id, reason="图片内容需人工审核（微信内容安全检测）")
    logger.info("appeal photo needs review", extra={"appeal_id": attachment.appeal_id, "held": held is not None})


@content_check.on_review("appeal_attachment")
async def _photo_reviewed(check: ContentCheck, staff: Staff) -> None:
    result = "approved" if check.decision == ReviewDecision.approved else "rejected"
    await AppealAttachment.filter(id=check.subject_id).update(check_result=result)


async def settle_reviews(*, appeal: Appeal, staff: Staff, approved: bool, note: str) -> int:
    """Record the reviewer's decision on the appeal's open checks (its text and photos) when a
    held appeal is released or declined. Returns how many were settled."""
    settled = 0
    photo_ids = await AppealAttachment.filter(appeal_id=appeal.id).values_list("id", flat=True)
    open_checks = await ContentCheck.filter(decision__isnull=True, status__in=[
        CheckStatus.review, CheckStatus.risky, CheckStatus.error, CheckStatus.pending,
    ]).filter(subject_type="appeal", subject_id=appeal.id).all()
    if photo_ids:
        open_checks += await ContentCheck.filter(
            decision__isnull=True, subject_type="appeal_attachment", subject_id__in=list(photo_ids),
            status__in=[CheckStatus.review, CheckStatus.risky, CheckStatus.error],
        )
    decision = ReviewDecision.approved if approved else ReviewDecision.rejected
    for check in open_checks:
        try:
            await content_check.record_review(check_id=check.id, staff=staff, decision=decision,
                                              note=note or ("随诉求一并审核通过" if approved else "随诉求不予受理"))
            settled += 1
        except Exception:  # already reviewed meanwhile, or a pending check not reviewable
            logger.info("content check %s not settled with appeal %s", check.id, appeal.id, exc_info=True)
    return settled


def is_public(attachment: AppealAttachment) -> bool:
    """Whether the enterprise's pages show the photo (passed, or approved by a reviewer)."""
    return attachment.check_result in PUBLIC_RESULTS or attachment.check_result == ""

