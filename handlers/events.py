"""Follower lifecycle and system events: subscribe, unsubscribe, SCAN, LOCATION, VIEW,
delivery reports (TEMPLATESENDJOBFINISH) and subscribe-notification grants.

Each handler records what happened through `app.identity.followers` or the message
log and answers only where the follower expects an answer.
"""

from __future__ import annotations

import logging
from typing import Any

from app.identity import followers
from app.identity import jobs as identity_jobs
from app.messagelog.service import mark_template_finished, record_grants
from app.notification import service as notification
from app.push import service as push_service
from handlers import texts
from handlers.autoreplies import welcome_text
from handlers.context import Context
from handlers.router import PASS, router

__all__: list[str] = []

logger = logging.getLogger("qiyun.callback")


@router.event("subscribe")
async def on_subscribe(ctx: Context) -> Any:
    """Welcome the follower; a QR scene (`qrscene_<scene>`) goes to its owner."""
    outcome = await followers.subscribe(openid=ctx.openid, event_key=ctx.inbound.event_key)
    ctx.follower = outcome.follower
    if not outcome.follower.unionid:
        try:
            await identity_jobs.enqueue_learn_unionid(ctx.redis, openid=ctx.openid)
        except Exception:  # the welcome matters more; the next subscribe or sign-in links them
            logger.exception("unionid lookup not queued", extra={"openid": ctx.openid})
    welcome = await welcome_text(redis=ctx.redis)
    if outcome.returning:
        welcome = f"{texts.WELCOME_BACK}{welcome}"
    scene_reply = await router.dispatch_scene(ctx, outcome.scene)
    if scene_reply is PASS or scene_reply is None:
        return welcome
    if isinstance(scene_reply, str):
        return f"{welcome}\n\n{scene_reply}"
    return scene_reply


@router.event("unsubscribe")
async def on_unsubscribe(ctx: Context) -> None:
    """Stop everything at once: pushes check `subscribed`, and any flow is dropped."""
    ctx.follower = await followers.unsubscribe(openid=ctx.openid)
    await ctx.engine.cancel(subject=ctx.openid)
    return None


@router.event("scan")
async def on_scan(ctx: Context) -> Any:
    """A follower scanned a parametric QR code: the scene's owner answers."""
    scene = followers.scene_of(event="scan", event_key=ctx.inbound.event_key)
    reply = await router.dispatch_scene(ctx, scene)
    return texts.SCAN_THANKS if reply is PASS else reply


@router.event("location")
async def on_location(ctx: Context) -> None:
    """WeChat reports the follower's position (if they allowed it): kept, not answered."""
    try:
        latitude = float(ctx.inbound.field("Latitude"))
        longitude = float(ctx.inbound.field("Longitude"))
    except ValueError:
        return None
    precision_text = ctx.inbound.field("Precision")
    precision = float(precision_text) if _is_number(precision_text) else None
    ctx.follower = await followers.record_location(
        openid=ctx.openid, latitude=latitude, longitude=longitude, precision=precision
    )
    return None


@router.event("view", "view_miniprogram")
async def on_view(ctx: Context) -> None:
    """A menu link was opened: logged with the message, nothing to answer."""
    return None


@router.event("templatesendjobfinish")
async def on_template_finished(ctx: Context) -> None:
    """WeChat's final word on a template message: stored on its message-log row and, for a
    push, on its delivery-ledger row (delivered, or failed with the reason)."""
    msg_id = ctx.inbound.field("MsgID") or ctx.inbound.field("MsgId")
    if msg_id:
        status = ctx.inbound.field("Status")
        await push_service.record_template_finished(msg_id=msg_id, status=status, openid=ctx.openid, redis=ctx.redis)
        await mark_template_finished(msg_id=msg_id, status=status, openid=ctx.openid)
    return None


@router.event("subscribe_msg_popup_event", "subscribe_msg_change_event", "subscribe_msg_sent_event")
async def on_subscribe_message_event(ctx: Context) -> None:
    """Grants given, changed or used for subscribe notifications: kept with the logged event
    and applied to the grant ledger (`app.notification`)."""
    grants = _grants(ctx.inbound.raw)
    if ctx.log_entry is not None:
        await record_grants(entry=ctx.log_entry, grants=grants)
    await notification.record_official_account_event(
        openid=ctx.openid, event=ctx.inbound.event, items=grants, settings=ctx.settings
    )
    return None


def _grants(raw: dict[str, Any]) -> list[dict[str, str]]:
    """The `List` items of a subscribe-notification event, whichever wrapper WeChat used."""
    container = None
    for name in ("SubscribeMsgPopupEvent", "SubscribeMsgChangeEvent", "SubscribeMsgSentEvent"):
        if isinstance(raw.get(name), dict):
            container = raw[name]
            break
    if container is None:
        return []
    items = container.get("List")
    if isinstance(items, dict):
        items = [items]
    grants = []
    for item in items or []:
        if isinstance(item, dict):
            grants.append({key: str(value) for key, value in item.items() if isinstance(value, (str, int))})
    return grants


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
