"""The activity's WeChat check-in QR code: a temporary parametric code (QR_STR_SCENE) whose
scene is `activity:<id>`.

A follower who scans it with WeChat sends us a `SCAN` event (or, not following yet, a
`subscribe` event with `qrscene_activity:<id>`), which `handlers.activity_chat` answers by
checking their sign-up in. Temporary codes live at most 30 days (WeChat's limit, see
`app.wechat.qrcode.MAX_EXPIRE_SECONDS`), so the code is stored with its expiry and made
anew when it is about to expire (`ACTIVITY_QR_RENEW_HOURS`); an old printout keeps working
until its own expiry, since every code carries the same scene.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.activity.models import Activity
from app.activity.service import get_activity, now_local
from app.config import Settings
from app.wechat import WeChatClient
from app.wechat.qrcode import MAX_EXPIRE_SECONDS

__all__ = ["SCENE_PREFIX", "ensure_checkin_qr", "needs_renewal", "scene_for"]

SCENE_PREFIX = "activity:"


def scene_for(activity_id: int) -> str:
    return f"{SCENE_PREFIX}{activity_id}"


def needs_renewal(activity: Activity, *, settings: Settings, now: datetime) -> bool:
    if not activity.qr_ticket or activity.qr_expires_at is None:
        return True
    return activity.qr_expires_at - now < timedelta(hours=settings.activity_qr_renew_hours)


async def ensure_checkin_qr(
    *, activity_id: int, wechat: WeChatClient, settings: Settings, now: datetime | None = None, force: bool = False
) -> Activity:
    """The activity with a valid check-in QR code, created (or renewed) through WeChat when needed."""
    now = now or now_local()
    activity = await get_activity(activity_id=activity_id, include_drafts=True)
    if not force and not needs_renewal(activity, settings=settings, now=now):
        return activity
    seconds = min(settings.activity_qr_days * 86_400, MAX_EXPIRE_SECONDS)
    created = await wechat.qrcode.create(scene_for(activity.id), expire_seconds=seconds)
    expires_at = now + timedelta(seconds=int(created.get("expire_seconds") or seconds))
    await Activity.filter(id=activity.id).update(
        qr_ticket=created["ticket"], qr_url=str(created.get("url") or ""), qr_expires_at=expires_at
    )
    return await get_activity(activity_id=activity.id, include_drafts=True)
