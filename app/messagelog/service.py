"""The message log: every message in or out, with its follower, and its housekeeping.

Staff read it to see what a follower said and was told; push code reads it as proof
of delivery (a template message's row gets WeChat's final status from the
TEMPLATESENDJOBFINISH event); the grant ledger reads the subscribe-notification events.
Recording is one function per direction so every transport logs the same shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from app.identity.models import Follower
from app.messagelog.models import Direction, MessageChannel, MessageLog

__all__ = [
    "SUMMARY_LIMIT",
    "mark_template_finished",
    "purge_older_than",
    "record_grants",
    "record_inbound",
    "record_outbound",
]

SUMMARY_LIMIT = 500


async def record_inbound(
    *,
    openid: str,
    kind: str,
    follower: Follower | None = None,
    wechat_msg_id: str = "",
    summary: str = "",
    payload: Mapping[str, Any] | None = None,
    channel: MessageChannel = MessageChannel.official_account,
) -> MessageLog:
    """Store a message or event a follower sent (kind: text, image, event ...)."""
    return await MessageLog.create(
        direction=Direction.inbound,
        channel=channel,
        kind=kind[:32],
        openid=openid,
        follower=follower,
        wechat_msg_id=str(wechat_msg_id or "")[:64],
        summary=_clip(summary),
        payload=dict(payload or {}),
    )


async def record_outbound(
    *,
    openid: str,
    kind: str,
    follower: Follower | None = None,
    wechat_msg_id: str = "",
    summary: str = "",
    payload: Mapping[str, Any] | None = None,
    errcode: int | None = None,
    status: str = "",
    related_type: str = "",
    related_id: int | None = None,
    channel: MessageChannel = MessageChannel.official_account,
) -> MessageLog:
    """Store a message the platform sent or tried to send.

    kind: passive_reply, custom, template, subscribe, bizsend. `errcode` is WeChat's
    answer (0 delivered, e.g. 45015 refused, None when no API was involved);
    `status` is the delivery state as far as it is known (`sent`, later `success` or
    `failed:user block` for template messages).
    """
    return await MessageLog.create(
        direction=Direction.outbound,
        channel=channel,
        kind=kind[:32],
        openid=openid,
        follower=follower,
        wechat_msg_id=str(wechat_msg_id or "")[:64],
        summary=_clip(summary),
        payload=dict(payload or {}),
        errcode=errcode,
        status=status[:40],
        related_type=related_type,
        related_id=related_id,
    )


async def mark_template_finished(*, msg_id: str, status: str, openid: str = "") -> MessageLog | None:
    """Apply a TEMPLATESENDJOBFINISH event to the template message it reports on.

    Returns the updated row, or None if no template message with that msgid was
    logged (sent by another system, or purged). `status` is WeChat's text:
    `success`, `failed:user block`, `failed: system failed`.
    """
    query = MessageLog.filter(direction=Direction.outbound, kind="template", wechat_msg_id=str(msg_id))
    if openid:
        query = query.filter(openid=openid)
    entry = await query.order_by("-id").first()
    if entry is None:
        return None
    entry.status = (status or "")[:40]
    await entry.save(update_fields=["status"])
    return entry


async def record_grants(*, entry: MessageLog, grants: list[dict[str, str]]) -> MessageLog:
    """Attach the normalised grants of a subscribe-notification event to its inbound row.

    Each grant is WeChat's item (`TemplateId`, `SubscribeStatusString`, `PopupScene` ...);
    the grant ledger reads them from `payload["grants"]`.
    """
    entry.payload = {**(entry.payload or {}), "grants": grants}
    await entry.save(update_fields=["payload"])
    return entry


async def purge_older_than(*, days: int, now: datetime | None = None) -> int:
    """Delete log entries past the retention period; returns how many were deleted."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    return await MessageLog.filter(created_at__lt=cutoff).delete()


def _clip(text: str) -> str:
    text = text or ""
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"
