"""The official-account follower lifecycle: subscribe, unsubscribe, interactions, location.

`Follower.subscribed` is the one fact every push checks (`accepts_pushes`): it turns
False the moment WeChat reports an unsubscribe, so no later template, customer-service
or subscribe message is attempted for a person who left. `last_interaction_at` opens
WeChat's 48-hour customer-service window, so it moves on every follower action WeChat
counts as an interaction, and only on those.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError

from app.identity.models import Follower, WeChatUser

__all__ = [
    "FOLLOWER_EVENTS",
    "INTERACTIVE_EVENTS",
    "SERVICE_WINDOW",
    "SubscribeOutcome",
    "accepts_pushes",
    "ensure_user",
    "get_follower",
    "in_service_window",
    "is_follower_message",
    "is_interaction",
    "record_location",
    "scene_of",
    "subscribe",
    "touch",
    "unsubscribe",
    "web_visitor",
]

logger = logging.getLogger("qiyun.followers")

SERVICE_WINDOW = timedelta(hours=48)
INTERACTION_PRECISION = timedelta(minutes=1)
QR_SCENE_PREFIX = "qrscene_"
# Events that are a follower's own action and so open the customer-service window
# (WeChat: messages, subscribing, menu clicks, scanning). VIEW, LOCATION and the
# delivery reports are not.
INTERACTIVE_EVENTS = frozenset(
    {
        "subscribe",
        "scan",
        "click",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
    }
)
FOLLOWER_EVENTS = INTERACTIVE_EVENTS | frozenset(
    {
        "unsubscribe",
        "location",
        "view",
        "view_miniprogram",
        "templatesendjobfinish",
        "subscribe_msg_popup_event",
        "subscribe_msg_change_event",
        "subscribe_msg_sent_event",
    }
)
"""Events WeChat sends the official account about one of its followers (FromUserName is
the follower). Others have no follower behind them: a mini-program's `wxa_media_check`
sent to the account's callback by a misconfigured push URL (its FromUserName is a
mini-program openid), or MASSSENDJOBFINISH (from the mass-send assistant). Taking those
for followers would add people to push audiences whom WeChat refuses (40003)."""
_SCENE_LIMIT = 64


@dataclass(frozen=True)
class SubscribeOutcome:
    """What a subscribe changed: the follower, the QR scene they came through, and
    whether they had followed before (a returning follower gets a shorter welcome)."""

    follower: Follower
    scene: str
    returning: bool


def is_interaction(*, msg_type: str, event: str = "") -> bool:
    """Whether an inbound message counts as an interaction for the 48 h window."""
    if msg_type.lower() != "event":
        return True
    return event.lower() in INTERACTIVE_EVENTS


def is_follower_message(*, msg_type: str, event: str = "") -> bool:
    """Whether an inbound message comes from (or reports on) a follower: every message, and
    the events in `FOLLOWER_EVENTS`. Only these may find or create a `Follower`."""
    if msg_type.lower() != "event":
        return True
    return event.lower() in FOLLOWER_EVENTS


def scene_of(*, event: str, event_key: str) -> str:
    """The QR scene parameter of a subscribe (`qrscene_<scene>`) or SCAN (`<scene>`) event."""
    key = (event_key or "").strip()
    if event.lower() == "subscribe":
        return key[len(QR_SCENE_PREFIX) :] if key.startswith(QR_SCENE_PREFIX) else ""
    if event.lower() == "scan":
        return key
    return ""


def accepts_pushes(follower: Follower | None) -> bool:
    """The single rule push code checks before sending anything to a follower."""
    return follower is not None and follower.subscribed


def in_service_window(follower: Follower, *, now: datetime | None = None) -> bool:
    """Whether WeChat will accept a customer-service message for this follower now."""
    if follower.last_interaction_at is None:
        return False
    return (now or _now()) - follower.last_interaction_at <= SERVICE_WINDOW


async def get_follower(*, openid: str) -> Follower | None:
    return await Follower.get_or_none(openid=openid)


async def touch(*, openid: str, interactive: bool = True, at: datetime | None = None) -> Follower:
    """The follower behind an inbound message, created on first sight.

    A person who followed before Qiyun existed (or whose subscribe event was lost)
    shows up with a message first: they are a follower, since only followers can
    message the account. `interactive` moves `last_interaction_at`.
    """
    now = at or _now()
    follower = await _get_or_create(openid)
    last = follower.last_interaction_at
    # A minute's precision is plenty for a 48-hour window and spares a write per message
    # to a follower in a conversation.
    if interactive and (last is None or now - last >= INTERACTION_PRECISION):
        follower.last_interaction_at = now
        await Follower.filter(id=follower.id).update(last_interaction_at=now, updated_at=now)
    return follower


async def subscribe(*, openid: str, event_key: str = "", at: datetime | None = None) -> SubscribeOutcome:
    """Record a subscribe: subscribed again, when, and the QR scene that brought them."""
    now = at or _now()
    follower = await _get_or_create(openid, subscribed_at=now)
    returning = follower.unsubscribed_at is not None
    scene = scene_of(event="subscribe", event_key=event_key)
    follower.subscribed = True
    follower.subscribed_at = now
    follower.unsubscribed_at = None
    follower.unreachable_reason = ""
    follower.subscribe_scene = scene[:_SCENE_LIMIT]
    follower.last_interaction_at = now
    await follower.save(
        update_fields=[
            "subscribed",
            "subscribed_at",
            "unsubscribed_at",
            "unreachable_reason",
            "subscribe_scene",
            "last_interaction_at",
            "updated_at",
        ]
    )
    return SubscribeOutcome(follower=follower, scene=scene, returning=returning)


async def unsubscribe(*, openid: str, at: datetime | None = None) -> Follower:
    """Record an unsubscribe: from now on `accepts_pushes` is False for this follower."""
    now = at or _now()
    follower = await _get_or_create(openid, subscribed=False)
    follower.subscribed = False
    follower.unsubscribed_at = now
    await follower.save(update_fields=["subscribed", "unsubscribed_at", "updated_at"])
    return follower


async def record_location(
    *, openid: str, latitude: float, longitude: float, precision: float | None = None, at: datetime | None = None
) -> Follower:
    """Keep the follower's last reported location (WeChat's LOCATION event), for nearby services."""
    now = at or _now()
    follower = await _get_or_create(openid)
    follower.last_location = {
        "latitude": float(latitude),
        "longitude": float(longitude),
        "precision": None if precision is None else float(precision),
        "at": now.isoformat(),
    }
    await follower.save(update_fields=["last_location", "updated_at"])
    return follower


async def web_visitor(*, openid: str) -> Follower:
    """The follower behind an H5 sign-in; recorded as not subscribed if we never saw them.

    Opening a page is not an interaction that opens the 48-hour window, and a visitor
    who does not follow the account must not receive pushes, hence `subscribed=False`
    for someone new (a later subscribe event sets it).
    """
    return await _get_or_create(openid, subscribed=False)


async def ensure_user(*, follower: Follower) -> WeChatUser:
    """The person (`WeChatUser`) behind a follower, created if the follower has none yet.

    Joins an existing person with the same unionid, so a follower and a mini-program
    account of one person end up as one `WeChatUser`.
    """
    if follower.user_id is not None:
        user = await WeChatUser.get_or_none(id=follower.user_id)
        if user is not None:
            return user
    user = None
    if follower.unionid:
        user = await WeChatUser.get_or_none(unionid=follower.unionid)
        if user is None:
            try:
                user = await WeChatUser.create(unionid=follower.unionid)
            except IntegrityError:
                user = await WeChatUser.get(unionid=follower.unionid)
    if user is None:
        user = await WeChatUser.create()
    # Only link if still unlinked: a concurrent request may have linked it meanwhile.
    linked = await Follower.filter(id=follower.id, user_id__isnull=True).update(user_id=user.id)
    if not linked:
        refreshed = await Follower.get(id=follower.id)
        if refreshed.user_id != user.id and not follower.unionid:
            await user.delete()
        follower.user_id = refreshed.user_id
        return await WeChatUser.get(id=refreshed.user_id)
    follower.user_id = user.id
    return user


async def _get_or_create(openid: str, *, subscribed: bool = True, subscribed_at: datetime | None = None) -> Follower:
    follower = await Follower.get_or_none(openid=openid)
    if follower is not None:
        return follower
    try:
        return await Follower.create(openid=openid, subscribed=subscribed, subscribed_at=subscribed_at)
    except IntegrityError:
        # Two messages of a new follower raced; the other one created the row.
        return await Follower.get(openid=openid)


def _now() -> datetime:
    return datetime.now(UTC)
