"""Mini-program server APIs: login (jscode2session), phone number, content
security (msg_sec_check, media_check_async) and unlimited wxacode."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import quote

from aiohttp import web

from app.simulator.errors import WxError
from app.simulator.images import qr_png
from app.simulator.pipeline import Call, Route

__all__ = ["ROUTES", "check_code_exchange", "classify"]

WXACODE_SCENE_RE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]+$")
MAX_WXACODE_SCENE = 32
MAX_SEC_CHECK_CONTENT = 2500
LABEL_NORMAL, LABEL_OTHER, LABEL_ILLEGAL = 100, 21000, 20006


def classify(state_config: Any, text: str) -> tuple[str, int, str | None]:
    """(suggest, label, matched word) for `text` by the configured word lists."""
    for word in state_config.risky_words:
        if word and word in text:
            return "risky", LABEL_ILLEGAL, word
    for word in state_config.review_words:
        if word and word in text:
            return "review", LABEL_OTHER, word
    return "pass", LABEL_NORMAL, None


def check_code_exchange(call: Call, *, code_param: str) -> tuple[str, str]:
    """The checks WeChat makes on every code-for-identity exchange (appid, secret, grant_type, code).

    Shared by `jscode2session` and web-page OAuth; returns (appid, code).
    """
    params = call.params
    appid, secret, code = params.get("appid"), params.get("secret"), params.get(code_param)
    apps = call.state.config.apps
    if not appid:
        raise WxError(41002)
    if appid not in apps:
        raise WxError(40013)
    call.appid = appid
    if not secret:
        raise WxError(41004)
    if apps[appid] != secret:
        raise WxError(40125)
    if params.get("grant_type") != "authorization_code":
        raise WxError(40002)
    if not code:
        raise WxError(41008)
    return appid, code


async def jscode2session(call: Call) -> dict[str, Any]:
    """wx.login code -> openid + session_key (+ unionid when bound)."""
    appid, code = check_code_exchange(call, code_param="js_code")
    result = call.state.login_codes.redeem(code, appid, call.now)
    if isinstance(result, int):
        raise WxError(result)
    session_key = base64.b64encode(bytes.fromhex(call.state.random_hex(32))).decode()
    out = {"session_key": session_key, "openid": result["openid"]}
    if result.get("unionid"):
        out["unionid"] = result["unionid"]
    return out


async def phone_number(call: Call) -> dict[str, Any]:
    """getPhoneNumber code -> phone_info (code single-use, 5 minutes)."""
    body = call.body()
    code = body.get("code")
    if not isinstance(code, str) or not code:
        raise WxError(40029)
    result = call.state.phone_codes.redeem(code, call.appid or "", call.now)
    if isinstance(result, int):
        raise WxError(result)
    country = str(result.get("country_code") or "86")
    pure = str(result["phone"])
    return {
        "errcode": 0,
        "errmsg": "ok",
        "phone_info": {
            "phoneNumber": pure if country == "86" else f"+{country} {pure}",
            "purePhoneNumber": pure,
            "countryCode": country,
            "watermark": {"timestamp": int(call.now), "appid": call.appid},
        },
    }


def _check_user(call: Call, openid: Any) -> str:
    if not isinstance(openid, str) or call.state.followers.find(call.appid or "", openid) is None:
        raise WxError(40003)
    return openid


def _check_scene(scene: Any) -> None:
    if scene not in (1, 2, 3, 4):
        raise WxError(40129)


async def msg_sec_check(call: Call) -> dict[str, Any]:
    """Text check. v2 answers suggest/label with details; v1 answers 87014 for risky content."""
    body = call.body()
    content = body.get("content")
    if not isinstance(content, str) or not content or len(content) > MAX_SEC_CHECK_CONTENT:
        raise WxError(40097, f"content must be 1-{MAX_SEC_CHECK_CONTENT} characters")
    suggest, label, word = classify(call.state.config, content)
    if body.get("version") != 2:
        if suggest == "risky":
            raise WxError(87014)
        return {"errcode": 0, "errmsg": "ok"}
    _check_user(call, body.get("openid"))
    _check_scene(body.get("scene"))
    detail: list[dict[str, Any]] = [
        {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90 if word else 0}
    ]
    if word:
        detail.append(
            {"strategy": "keyword", "errcode": 0, "suggest": suggest, "label": label, "level": 20, "keyword": word}
        )
    return {
        "errcode": 0,
        "errmsg": "ok",
        "result": {"suggest": suggest, "label": label},
        "detail": detail,
        "trace_id": call.state.trace_id(),
    }


async def media_check_async(call: Call) -> dict[str, Any]:
    """Accept an image/audio URL; the verdict comes later as a wxa_media_check push."""
    body = call.body()
    media_url = body.get("media_url")
    if not isinstance(media_url, str) or not media_url:
        raise WxError(40097, "media_url required")
    if body.get("media_type") not in (1, 2):
        raise WxError(40097, "media_type must be 1 (audio) or 2 (image)")
    if body.get("version") != 2:
        raise WxError(40097, "version must be 2")
    openid = _check_user(call, body.get("openid"))
    _check_scene(body.get("scene"))
    trace_id = call.state.trace_id()
    suggest, label, _ = classify(call.state.config, media_url)
    call.state.events.media_checked(
        appid=call.appid or "", openid=openid, trace_id=trace_id, suggest=suggest, label=label
    )
    return {"errcode": 0, "errmsg": "ok", "trace_id": trace_id}


async def wxacode_unlimited(call: Call) -> web.StreamResponse | dict[str, Any]:
    """getUnlimited: a PNG, or a JSON error (40169 scene length, 40129 scene
    characters, 41030 page)."""
    body = call.parsed()
    if not isinstance(body, dict):
        raise WxError(40169)
    scene = body.get("scene")
    if not isinstance(scene, str) or not 1 <= len(scene) <= MAX_WXACODE_SCENE:
        raise WxError(40169)
    if not WXACODE_SCENE_RE.match(scene):
        raise WxError(40129)
    page = body.get("page")
    if page is not None and (not isinstance(page, str) or not page or "?" in page or page.startswith("/")):
        raise WxError(41030)
    env_version = body.get("env_version", "release")
    if env_version not in ("release", "trial", "develop"):
        raise WxError(40097, "env_version must be release, trial or develop")
    width = body.get("width", 430)
    if isinstance(width, bool) or not isinstance(width, int):
        width = 430
    width = min(1280, max(280, width))
    data = f"https://mp.weixin.qq.com/a/~{call.appid}?scene={quote(scene, safe='')}&page={quote(page or '')}"
    return web.Response(body=qr_png(data, width), content_type="image/png")


ROUTES = [
    Route("/sns/jscode2session", jscode2session, protected=False),
    Route("/wxa/business/getuserphonenumber", phone_number, post_only=True),
    Route("/wxa/msg_sec_check", msg_sec_check, post_only=True),
    Route("/wxa/media_check_async", media_check_async, post_only=True),
    Route("/wxa/getwxacodeunlimit", wxacode_unlimited, post_only=True),
]
