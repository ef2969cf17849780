"""Sending to followers: template messages, subscribe messages (official-account
bizsend and mini-program send) and customer-service messages.

A message that passes WeChat's checks is "delivered": counted per openid, kept in
the message log (what `/_sim/messages` and the follower page show) and, for
template messages, followed by a TEMPLATESENDJOBFINISH event to the callback.
"""

from __future__ import annotations

from typing import Any

from app.simulator.errors import WxError
from app.simulator.fields import check_subscribe_data, check_template_data
from app.simulator.pipeline import Call, Route
from app.simulator.users import Follower

__all__ = ["CUSTOM_MSGTYPES", "ROUTES"]

WINDOW_48H_S = 48 * 3600
MAX_CUSTOM_PER_INTERACTION = 20
CUSTOM_MSGTYPES = frozenset(
    {
        "text", "image", "voice", "video", "music", "news", "mpnews", "mpnewsarticle",
        "msgmenu", "wxcard", "miniprogrampage",
    }
)
_MEDIA_MSGTYPES = frozenset({"image", "voice", "video", "mpnews"})
_OK = {"errcode": 0, "errmsg": "ok"}


def _recipient(call: Call, body: dict[str, Any]) -> tuple[str, Follower]:
    openid = body.get("touser")
    if not isinstance(openid, str) or not openid:
        raise WxError(40003)
    follower = call.state.followers.find(call.appid or "", openid)
    if follower is None:
        raise WxError(40003)
    return openid, follower


def _template_id(call: Call, body: dict[str, Any]) -> str:
    template_id = body.get("template_id")
    if not isinstance(template_id, str) or not template_id or template_id in call.state.invalid_templates:
        raise WxError(40037)
    return template_id


def _check_miniprogram(body: dict[str, Any]) -> None:
    miniprogram = body.get("miniprogram")
    if miniprogram is not None and (not isinstance(miniprogram, dict) or not miniprogram.get("appid")):
        raise WxError(47001, "miniprogram needs appid")


async def template_send(call: Call) -> dict[str, Any]:
    state = call.state
    body = call.body()
    template_id = _template_id(call, body)
    openid, follower = _recipient(call, body)
    if not follower.subscribed:
        raise WxError(43004)
    check_template_data(body.get("data"))
    _check_miniprogram(body)
    appid = call.appid or ""
    client_msg_id = body.get("client_msg_id")
    dedup_key = (appid, openid, str(client_msg_id)) if client_msg_id else None
    if dedup_key is not None:
        earlier = state.template_dedup.lookup(dedup_key, call.now)
        if earlier is not None:
            return {**_OK, "msgid": earlier}
    msgid = state.next_msgid()
    status = "failed:user block" if follower.blocked else "success"
    state.recorder.deliver(
        "template", appid=appid, openid=openid, time=call.now,
        msgid=msgid, template_id=template_id, status=status, raw=call.raw,
    )
    if dedup_key is not None:
        state.template_dedup.remember(dedup_key, msgid, call.now)
    if state.config.template_finish_events:
        state.events.template_finished(appid=appid, openid=openid, msgid=msgid, status=status)
    return {**_OK, "msgid": msgid}


def _consume_grant(call: Call, openid: str, template_id: str) -> None:
    state = call.state
    if not state.grants.consume(call.appid or "", openid, template_id, required=state.config.require_grants):
        raise WxError(43101)


async def subscribe_bizsend(call: Call) -> dict[str, Any]:
    """Official-account subscribe notification; non-followers get it in 服务通知."""
    body = call.body()
    template_id = _template_id(call, body)
    openid, _ = _recipient(call, body)
    check_subscribe_data(body.get("data"))
    _check_miniprogram(body)
    _consume_grant(call, openid, template_id)
    call.state.recorder.deliver(
        "bizsend", appid=call.appid or "", openid=openid, time=call.now,
        template_id=template_id, status="success", raw=call.raw,
    )
    return dict(_OK)


async def subscribe_send(call: Call) -> dict[str, Any]:
    """Mini-program subscribe message."""
    body = call.body()
    template_id = _template_id(call, body)
    openid, _ = _recipient(call, body)
    check_subscribe_data(body.get("data"))
    state_value = body.get("miniprogram_state", "formal")
    if state_value not in ("developer", "trial", "formal"):
        raise WxError(47003, "miniprogram_state must be developer, trial or formal")
    page = body.get("page")
    if page is not None and not isinstance(page, str):
        raise WxError(47001, "page must be a string")
    _consume_grant(call, openid, template_id)
    msgid = call.state.next_msgid()
    call.state.recorder.deliver(
        "subscribe", appid=call.appid or "", openid=openid, time=call.now,
        msgid=msgid, template_id=template_id, status="success", raw=call.raw,
    )
    return {**_OK, "msgid": msgid}


def _check_custom_content(msgtype: str, content: Any) -> None:
    if not isinstance(content, dict):
        raise WxError(47001, f"{msgtype} must be an object")
    if msgtype == "text":
        if not isinstance(content.get("content"), str) or not content["content"]:
            raise WxError(44004)
    elif msgtype == "news":
        articles = content.get("articles")
        if not isinstance(articles, list) or not articles:
            raise WxError(44003)
        if len(articles) > 1:
            raise WxError(45008)
    elif msgtype in _MEDIA_MSGTYPES and not content.get("media_id"):
        raise WxError(40007)
    elif msgtype == "miniprogrampage" and not content.get("pagepath"):
        raise WxError(47001, "miniprogrampage needs pagepath")


async def custom_send(call: Call) -> dict[str, Any]:
    """Customer-service message: only within 48 h of the follower's last interaction
    (enforced with `enforce_48h`), at most 20 per interaction."""
    state = call.state
    body = call.body()
    openid, follower = _recipient(call, body)
    if not follower.subscribed:
        raise WxError(45015)
    msgtype = body.get("msgtype")
    if msgtype not in CUSTOM_MSGTYPES:
        raise WxError(40008)
    _check_custom_content(str(msgtype), body.get(msgtype))
    if state.config.enforce_48h:
        if follower.last_interaction is None or call.now - follower.last_interaction > WINDOW_48H_S:
            raise WxError(45015)
        if follower.custom_since_interaction >= MAX_CUSTOM_PER_INTERACTION:
            raise WxError(45047)
    if follower.last_interaction is not None:
        follower.custom_since_interaction += 1
    state.recorder.deliver(
        "custom", appid=call.appid or "", openid=openid, time=call.now,
        msgtype=msgtype, status="success", raw=call.raw,
    )
    return dict(_OK)


ROUTES = [
    Route("/cgi-bin/message/template/send", template_send, post_only=True),
    Route("/cgi-bin/message/subscribe/bizsend", subscribe_bizsend, post_only=True),
    Route("/cgi-bin/message/subscribe/send", subscribe_send, post_only=True),
    Route("/cgi-bin/message/custom/send", custom_send, post_only=True),
]
