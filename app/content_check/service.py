"""WeChat content checks (内容安全) of what users write and upload, and the staff review queue.

How a caller uses it (appeals now; provider ratings and survey answers later):

* Text: `check_text` answers at once with a stored `ContentCheck`. If `needs_review(check)`
  the caller holds the subject for a human; otherwise it goes ahead.
* Images: `submit_image` stores a `pending` check; WeChat's verdict arrives later as a
  `wxa_media_check` event (`handlers/media_check.py` → `apply_media_verdict`), which calls
  the `@on_verdict(subject_type)` callbacks.
* Staff: `list_for_review` is the queue; `record_review` stores who decided what and why,
  once, and calls the `@on_review(subject_type)` callbacks.

Decisions, and why:

* **A failure never loses a submission and never passes it.** Any WeChat error or network
  failure is stored as `error`; callers treat `error` exactly like `review` (held for a
  human), which `needs_review` already does. Checking happens after the subject is stored,
  so the subject exists whatever WeChat does.
* **v2 when we can, v1 otherwise.** v2 (`suggest` pass/review/risky, a label) needs the
  author's openid in the mini-program. Official-account-only followers, hotline, Open311
  and staff-entered text have none, so v1 is used (87014 = risky; it knows no `review`).
  If WeChat refuses the openid (40003, or 61010: the user has not opened the mini-program
  in the last 2 hours) the text is checked with v1 rather than failing. Both are
  mini-program APIs, so both go through the mini-program's client.
* **Long texts** are checked in chunks of at most 2,500 characters that overlap by
  `CHUNK_OVERLAP`, and the worst verdict wins (pass < review < error < risky). The first
  `risky` or `error` ends the check: the answer cannot get better, and a broken API should
  not be called again for every chunk. Texts over `MAX_TEXT_LENGTH` are not sent at all
  (the quota is shared) and are held for review.
* **Images without a mini-program openid.** Pictures a follower sent to the official
  account in chat were screened by WeChat already; the caller says so with
  `checked_by_wechat=True` and the check is recorded as passed without an API call. Any
  other image without an openid (an H5 upload, a staff upload on someone's behalf) cannot
  be checked by `media_check_async`, so it is held for review rather than passed unseen.
* **Verdicts are applied once.** A verdict only moves a `pending` check (a conditional
  UPDATE), so WeChat repeating the event, or two processes receiving it, changes nothing
  the second time and the callbacks run exactly once. An unknown trace_id is logged and
  ignored (after a short grace period: the event may overtake the storing of the trace_id).
  A verdict that never comes leaves the check `pending`; after `STALE_PENDING` it joins
  the review queue.
* **Verdict callbacks run after the verdict is committed**, each on its own: a failing
  callback is logged and does not undo the verdict (there is nobody to retry the event,
  and a non-passing verdict is in the review queue anyway). **Review callbacks run inside
  the review's transaction**: if one fails, the review is not recorded and the reviewer
  sees the error and can try again.
* Do not call `check_text` / `submit_image` inside a database transaction: they make HTTP
  calls (with retries) and would hold the transaction open meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.content_check.errors import AlreadyReviewed, CheckNotFound, NotReviewable, ReviewRefused
from app.content_check.models import CheckKind, CheckStatus, ContentCheck, ReviewDecision
from app.content_check.registry import (
    ReviewCallback,
    VerdictCallback,
    review_callbacks,
    verdict_callbacks,
)
from app.content_check.verdicts import (
    REVIEW_STATUSES,
    MediaVerdict,
    parse_media_event,
    split_for_check,
    status_of_suggest,
    worst,
)
from app.identity.models import MiniProgramUser, WeChatUser
from app.staff.models import Staff
from app.wechat import WeChatClient
from app.wechat.errors import WeChatAPIError

__all__ = [
    "EXCERPT_LENGTH",
    "MAX_TEXT_LENGTH",
    "STALE_PENDING",
    "VerdictOutcome",
    "apply_media_verdict",
    "check_text",
    "checks_for",
    "count_for_review",
    "get_check",
    "is_cleared",
    "list_for_review",
    "miniprogram_openid",
    "needs_review",
    "on_review",
    "on_verdict",
    "parse_media_event",
    "record_review",
    "submit_image",
]

logger = logging.getLogger("qiyun.content_check")

EXCERPT_LENGTH = 100
MAX_TEXT_LENGTH = 50_000
"""About 20 API calls; longer texts are held for review instead of spending the quota."""
STALE_PENDING = timedelta(minutes=30)
"""An image verdict not received by then is presumed lost: the check joins the review queue."""
UNKNOWN_TRACE_GRACE_S = 1.0
"""How long a verdict waits for its trace_id to be stored before it is called unknown."""
MEDIA_TYPE_IMAGE = 2
MAX_PAGE = 200
MAX_NOTE = 300
# 61010: "user access record expired" -- the openid has not used the mini-program for 2 h.
_OPENID_ERRCODES = frozenset({40003, 61010})
_SUBJECT_TYPE_MAX = 32


# -- registration ---------------------------------------------------------------------


def on_verdict(subject_type: str) -> Callable[[VerdictCallback], VerdictCallback]:
    """Register `async def callback(check: ContentCheck) -> None` for WeChat's asynchronous
    verdicts (images) on checks of `subject_type`. Called once per check, after the verdict
    is committed; text checks are answered to their caller directly and do not call it."""
    return verdict_callbacks.register(subject_type)


def on_review(subject_type: str) -> Callable[[ReviewCallback], ReviewCallback]:
    """Register `async def callback(check: ContentCheck, staff: Staff) -> None` for staff
    decisions on checks of `subject_type`; runs inside the review's transaction."""
    return review_callbacks.register(subject_type)


# -- reading a check ----------------------------------------------------------------------


def needs_review(check: ContentCheck) -> bool:
    """Whether the automatic verdict holds the subject for a human: `review`, `risky`, or
    `error` (no verdict is not a pass)."""
    return CheckStatus(check.status) in REVIEW_STATUSES


def is_cleared(check: ContentCheck) -> bool:
    """Whether the subject may be shown: WeChat passed it, or a reviewer approved it."""
    if check.decision is not None:
        return ReviewDecision(check.decision) is ReviewDecision.approved
    return CheckStatus(check.status) is CheckStatus.passed


async def get_check(*, check_id: int) -> ContentCheck:
    check = await ContentCheck.get_or_none(id=check_id)
    if check is None:
        raise CheckNotFound()
    return check


async def checks_for(*, subject_type: str, subject_id: int) -> list[ContentCheck]:
    """Every check of one subject, oldest first (e.g. an appeal's text and its attachments)."""
    return await ContentCheck.filter(subject_type=subject_type, subject_id=subject_id).order_by("created_at", "id")


# -- text ---------------------------------------------------------------------------------


async def check_text(
    *,
    miniprogram: WeChatClient,
    user: WeChatUser | None,
    text: str,
    subject_type: str,
    subject_id: int,
    scene: int = 2,
) -> ContentCheck:
    """Check `text` with WeChat now and store the outcome as one `ContentCheck` row.

    `miniprogram` is the mini-program's client (`resources.miniprogram`; both API versions
    are mini-program APIs). `user` is the author, None for text without a WeChat author
    (hotline, Open311, staff). `scene` is WeChat's: 1 profile, 2 comment, 3 forum, 4 social
    log. Never raises for a WeChat failure: the row says `error` instead (see the module
    docstring); raises ValueError only for a programming error (bad subject or scene).
    """
    _check_subject(subject_type, subject_id)
    _check_scene(scene)
    excerpt = text[:EXCERPT_LENGTH]
    row = {"subject_type": subject_type, "subject_id": subject_id, "kind": CheckKind.text, "excerpt": excerpt}
    if not text.strip():
        return await ContentCheck.create(**row, status=CheckStatus.passed, detail={"skipped": "empty"})
    if len(text) > MAX_TEXT_LENGTH:
        detail = {"skipped": "too_long", "length": len(text)}
        return await ContentCheck.create(**row, status=CheckStatus.review, detail=detail)

    openid = await miniprogram_openid(user)
    outcome = await _check_chunks(miniprogram, text, openid=openid, scene=scene)
    check = await ContentCheck.create(**row, status=outcome.status, label=outcome.label, detail=outcome.detail)
    if CheckStatus(check.status) is not CheckStatus.passed:
        logger.info(
            "text check %s for %s:%s", check.status.value, subject_type, subject_id,
            extra={"content_check_id": check.id, "label": check.label},
        )
    return check


@dataclass
class _TextOutcome:
    status: CheckStatus
    label: int | None
    detail: dict[str, Any]


async def _check_chunks(miniprogram: WeChatClient, text: str, *, openid: str | None, scene: int) -> _TextOutcome:
    spans = split_for_check(text)
    chunks: list[dict[str, Any]] = []
    detail: dict[str, Any] = {"version": 2 if openid else 1, "length": len(text), "chunks": chunks}
    for start, end in spans:
        piece = text[start:end]
        if not piece.strip():  # WeChat refuses blank content; blank is harmless
            chunks.append({"start": start, "end": end, "status": CheckStatus.passed.value, "skipped": "blank"})
            continue
        try:
            if openid is not None:
                try:
                    result = await _check_v2(miniprogram, piece, openid=openid, scene=scene)
                except WeChatAPIError as exc:
                    if exc.errcode not in _OPENID_ERRCODES:
                        raise
                    # The openid is no good for v2 (another app's, or not seen for 2 h):
                    # the text still deserves a check, so v1 takes over for the rest.
                    detail["fallback"] = {"version": 1, "errcode": exc.errcode}
                    openid = None
                    result = await _check_v1(miniprogram, piece)
            else:
                result = await _check_v1(miniprogram, piece)
        except Exception as exc:  # any failure: stored, and the subject is held for a human
            _log_failure(exc)
            chunks.append({"start": start, "end": end, "status": CheckStatus.error.value})
            detail["error"] = _describe_error(exc)
            break
        chunks.append({"start": start, "end": end, **result})
        if result["status"] == CheckStatus.risky.value:
            break
    status = worst(CheckStatus(chunk["status"]) for chunk in chunks)
    label = next((chunk.get("label") for chunk in chunks if chunk["status"] == status.value), None)
    if len(spans) > len(chunks):
        detail["unchecked_from"] = chunks[-1]["end"]
    return _TextOutcome(status=status, label=label, detail=detail)


async def _check_v2(miniprogram: WeChatClient, piece: str, *, openid: str, scene: int) -> dict[str, Any]:
    answer = await miniprogram.wxa.msg_sec_check(openid, piece, scene=scene)
    result = answer.get("result") if isinstance(answer.get("result"), dict) else {}
    status = status_of_suggest(result.get("suggest"))
    chunk: dict[str, Any] = {"version": 2, "status": status.value, "label": _int_or_none(result.get("label"))}
    if answer.get("trace_id"):
        chunk["trace_id"] = str(answer["trace_id"])
    if status is not CheckStatus.passed:
        # The strategies that objected (with the matched keyword), for the reviewer.
        chunk["strategies"] = [
            {k: v for k, v in item.items() if k in ("strategy", "suggest", "label", "keyword", "prob", "level")}
            for item in answer.get("detail") or []
            if isinstance(item, dict) and item.get("suggest") not in (None, "pass")
        ]
    return chunk


async def _check_v1(miniprogram: WeChatClient, piece: str) -> dict[str, Any]:
    passed = await miniprogram.wxa.msg_sec_check_v1(piece)
    return {"version": 1, "status": (CheckStatus.passed if passed else CheckStatus.risky).value, "label": None}


async def miniprogram_openid(user: WeChatUser | None) -> str | None:
    """The person's openid in the mini-program (the most recently used account), or None."""
    if user is None:
        return None
    accounts = await MiniProgramUser.filter(user_id=user.id).only("id", "openid", "last_login_at")
    if not accounts:
        return None
    newest = max(accounts, key=lambda a: (a.last_login_at is not None, a.last_login_at or datetime.min, a.id))
    return newest.openid


# -- images -------------------------------------------------------------------------------


async def submit_image(
    *,
    miniprogram: WeChatClient,
    user: WeChatUser | None,
    media_url: str,
    subject_type: str,
    subject_id: int,
    scene: int = 2,
    checked_by_wechat: bool = False,
) -> ContentCheck:
    """Submit an image for WeChat's asynchronous check; returns the stored check.

    `media_url` must be reachable by WeChat's servers (http/https, at most 10 MB). The
    check is `pending` with its `trace_id` until the verdict event arrives. Without a
    mini-program openid: `passed` if `checked_by_wechat` (a picture sent to the official
    account in chat), otherwise held for `review`. A WeChat failure is stored as `error`.
    """
    _check_subject(subject_type, subject_id)
    _check_scene(scene)
    if not media_url.startswith(("https://", "http://")):
        raise ValueError("media_url must be an http(s) URL WeChat can fetch")
    row = {"subject_type": subject_type, "subject_id": subject_id, "kind": CheckKind.image}
    detail: dict[str, Any] = {"media_url": media_url}
    if checked_by_wechat:
        return await ContentCheck.create(
            **row, status=CheckStatus.passed, detail={**detail, "skipped": "checked_by_wechat"}
        )
    openid = await miniprogram_openid(user)
    if openid is None:
        return await ContentCheck.create(
            **row, status=CheckStatus.review, detail={**detail, "skipped": "no_miniprogram_openid"}
        )
    # Stored before the call, so a verdict arriving right after WeChat's answer finds the row
    # as soon as the trace_id is written (the handler waits briefly for that).
    check = await ContentCheck.create(**row, status=CheckStatus.pending, detail={**detail, "scene": scene})
    try:
        trace_id = await miniprogram.wxa.media_check_async(media_url, MEDIA_TYPE_IMAGE, openid, scene=scene)
    except Exception as exc:  # stored as an error: held for a human, never lost
        _log_failure(exc)
        check.status = CheckStatus.error
        check.detail = {**check.detail, "error": _describe_error(exc)}
        await check.save(update_fields=["status", "detail", "updated_at"])
        return check
    check.trace_id = trace_id
    await check.save(update_fields=["trace_id", "updated_at"])
    return check


@dataclass(frozen=True)
class VerdictOutcome:
    """What `apply_media_verdict` did: `applied`, `duplicate` (the check already had a
    verdict: nothing changed) or `unknown` (no check has this trace_id)."""

    result: str
    check: ContentCheck | None = None


async def apply_media_verdict(*, verdict: MediaVerdict, grace_s: float | None = None) -> VerdictOutcome:
    """Store WeChat's verdict on the pending check with its trace_id, then call the subject's
    `@on_verdict` callbacks. Idempotent: only a `pending` check changes, so a repeated
    event (or two processes receiving it) leaves everything as it was. An unknown trace_id
    is waited for `grace_s` (default `UNKNOWN_TRACE_GRACE_S`), then logged and ignored."""
    grace = UNKNOWN_TRACE_GRACE_S if grace_s is None else grace_s
    check = await _find_by_trace(verdict.trace_id, grace_s=grace)
    if check is None:
        logger.warning("media check verdict for an unknown trace_id ignored", extra={"trace_id": verdict.trace_id})
        return VerdictOutcome("unknown")
    if CheckStatus(check.status) is not CheckStatus.pending:
        logger.info("repeated media check verdict ignored", extra={"content_check_id": check.id})
        return VerdictOutcome("duplicate", check)
    now = datetime.now(UTC)
    updated = await ContentCheck.filter(id=check.id, status=CheckStatus.pending).update(
        status=verdict.status,
        label=verdict.label,
        detail={**check.detail, "verdict": verdict.detail},
        updated_at=now,
    )
    await check.refresh_from_db()
    if not updated:  # another process applied it between our read and our write
        return VerdictOutcome("duplicate", check)
    if check.decision is not None:
        # A reviewer decided while the verdict was overdue; their decision stands, and the
        # subject was told then. The verdict is kept for the record only.
        logger.info("media check verdict after a review kept for the record", extra={"content_check_id": check.id})
        return VerdictOutcome("applied", check)
    await _run_verdict_callbacks(check)
    return VerdictOutcome("applied", check)


async def _find_by_trace(trace_id: str, *, grace_s: float) -> ContentCheck | None:
    deadline = time.monotonic() + max(0.0, grace_s)
    while True:
        check = await ContentCheck.get_or_none(trace_id=trace_id)
        if check is not None or time.monotonic() >= deadline:
            return check
        await asyncio.sleep(min(0.2, max(0.01, deadline - time.monotonic())))


async def _run_verdict_callbacks(check: ContentCheck) -> None:
    callback: VerdictCallback
    for callback in verdict_callbacks.callbacks(check.subject_type):
        try:
            await callback(check)
        except Exception:
            logger.exception(
                "content check verdict callback %s failed",
                getattr(callback, "__qualname__", callback),
                extra={"content_check_id": check.id},
            )


# -- staff review -------------------------------------------------------------------------


def _review_queue(subject_type: str | None) -> QuerySet[ContentCheck]:
    stale_before = datetime.now(UTC) - STALE_PENDING
    queryset = ContentCheck.filter(decision__isnull=True).filter(
        Q(status__in=[s.value for s in REVIEW_STATUSES])
        | Q(status=CheckStatus.pending.value, created_at__lt=stale_before)
    )
    if subject_type is not None:
        queryset = queryset.filter(subject_type=subject_type)
    return queryset


async def list_for_review(*, subject_type: str | None = None, limit: int = 50, offset: int = 0) -> list[ContentCheck]:
    """Checks waiting for a human, oldest first: `review`, `risky` and `error` verdicts, and
    image checks whose verdict is overdue (`STALE_PENDING`). Reviewed checks leave the queue."""
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = max(0, int(offset))
    return await _review_queue(subject_type).order_by("created_at", "id").offset(offset).limit(limit)


async def count_for_review(*, subject_type: str | None = None) -> int:
    return await _review_queue(subject_type).count()


async def record_review(*, check_id: int, staff: Staff, decision: ReviewDecision, note: str) -> ContentCheck:
    """Record a reviewer's decision (who, when, why) once, and tell the subject's owner.

    A note is required to reject, and to approve what WeChat called risky: overriding or
    confirming a refusal must say why. Raises `CheckNotFound`, `NotReviewable` (passed, or
    still being checked), `AlreadyReviewed`, or `ReviewRefused`. The `@on_review` callbacks
    run in the same transaction: if one raises, nothing is recorded and the error propagates.
    """
    decision = ReviewDecision(decision)
    note = (note or "").strip()
    if not staff.is_active:
        raise ReviewRefused("该账号已停用，不能复核内容", status=403)
    if len(note) > MAX_NOTE:
        raise ReviewRefused(f"复核说明不能超过{MAX_NOTE}个字")
    async with in_transaction():
        check = await ContentCheck.get_or_none(id=check_id)
        if check is None:
            raise CheckNotFound()
        if check.decision is not None:
            raise AlreadyReviewed(_already_reviewed_message(check))
        _ensure_reviewable(check)
        if not note and (decision is ReviewDecision.rejected or CheckStatus(check.status) is CheckStatus.risky):
            raise ReviewRefused("请填写复核说明")
        now = datetime.now(UTC)
        updated = await ContentCheck.filter(id=check.id, decision__isnull=True).update(
            decision=decision, reviewed_by_id=staff.id, reviewed_at=now, review_note=note, updated_at=now
        )
        if not updated:  # a colleague's review committed first
            raise AlreadyReviewed()
        await check.refresh_from_db()
        callback: ReviewCallback
        for callback in review_callbacks.callbacks(check.subject_type):
            await callback(check, staff)
    logger.info(
        "content check reviewed: %s", decision.value,
        extra={"content_check_id": check.id, "staff_id": staff.id},
    )
    return check


def _ensure_reviewable(check: ContentCheck) -> None:
    status = CheckStatus(check.status)
    if status in REVIEW_STATUSES:
        return
    if status is CheckStatus.pending:
        if check.created_at is not None and datetime.now(UTC) - check.created_at >= STALE_PENDING:
            return
        raise NotReviewable("该内容仍在检测中，请稍后再复核")
    raise NotReviewable("该内容已通过微信内容安全检测，无需人工复核")


def _already_reviewed_message(check: ContentCheck) -> str:
    decided = ReviewDecision(check.decision).label if check.decision is not None else ""
    return f"该内容已经复核过（{decided}），不能重复复核"


# -- helpers ------------------------------------------------------------------------------


def _check_subject(subject_type: str, subject_id: int) -> None:
    if not subject_type or len(subject_type) > _SUBJECT_TYPE_MAX:
        raise ValueError(f"subject_type must be 1-{_SUBJECT_TYPE_MAX} characters")
    if isinstance(subject_id, bool) or not isinstance(subject_id, int):
        raise ValueError("subject_id must be an integer")


def _check_scene(scene: int) -> None:
    if scene not in (1, 2, 3, 4):
        raise ValueError("scene must be 1 (profile), 2 (comment), 3 (forum) or 4 (social log)")


def _describe_error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, WeChatAPIError):
        return {"type": type(exc).__name__, "errcode": exc.errcode, "errmsg": str(exc.errmsg or "")[:200]}
    return {"type": type(exc).__name__, "errmsg": str(exc)[:200]}


def _log_failure(exc: BaseException) -> None:
    if isinstance(exc, WeChatAPIError):
        logger.warning("content check failed: %s", exc, extra={"errcode": exc.errcode})
    else:
        logger.exception("content check failed unexpectedly")


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

