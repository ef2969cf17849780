"""Sign-in for H5 pages through WeChat's web OAuth (`snsapi_base`: silent, openid only).

`/h5/oauth/start?next=/h5/...` sends the browser to WeChat with a one-time `state`
kept in Redis for a few minutes (it also remembers where to go back to, so `next`
never travels through WeChat). WeChat sends the browser back to `/h5/oauth/callback`
with a single-use `code`, which is exchanged for the openid at
`/sns/oauth2/access_token`; the page then gets a signed session cookie. `next` is
restricted to this site's `/h5` pages so the sign-in cannot be used as an open redirect.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from redis.asyncio import Redis
from sanic import Request
from sanic.response import HTTPResponse, redirect

from app.identity import followers
from app.wechat import WeChatAPIError, WeChatClient, WeChatTransientError
from handlers.h5.pages import message_page
from handlers.h5.session import set_session

__all__ = ["AUTHORIZE_URL", "authorize_url", "callback", "exchange_code", "safe_next", "start"]

logger = logging.getLogger("qiyun.h5")

AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
STATE_KEY = "qiyun:h5:oauth:{state}"
STATE_TTL_S = 300  # WeChat's code itself expires after 5 minutes
DEFAULT_NEXT = "/h5/"
_SAFE_PATH = re.compile(r"^/h5(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?(\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$")


def safe_next(value: str | None) -> str:
    """`value` if it is a path under /h5 of this site, else the H5 home."""
    if not value or not _SAFE_PATH.match(value) or "//" in value or "\\" in value:
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "/../" in f"{parts.path}/" or parts.path.endswith("/.."):
        return DEFAULT_NEXT
    return value


def authorize_url(*, appid: str, redirect_uri: str, state: str) -> str:
    """WeChat's authorize URL; the parameter order is WeChat's own, which it insists on."""
    query = urlencode(
        {
            "appid": appid,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        }
    )
    return f"{AUTHORIZE_URL}?{query}#wechat_redirect"


async def exchange_code(*, wechat: WeChatClient, appid: str, secret: str, code: str) -> dict[str, Any]:
    """`/sns/oauth2/access_token`: a web OAuth code for the openid (single-use, 5 minutes).

    Goes through the client's transport, so retries, error mapping and log redaction
    (`code`, `secret`) are the same as every other WeChat call.
    """
    return await wechat.http.request(
        "GET",
        "/sns/oauth2/access_token",
        params={"appid": appid, "secret": secret, "code": code, "grant_type": "authorization_code"},
        with_token=False,
    )


async def start(request: Request) -> HTTPResponse:
    resources = request.app.ctx.resources
    settings = resources.settings
    if not settings.wechat_appid or not settings.secret_key.get_secret_value():
        return message_page(title="暂时无法登录", message="网页登录尚未配置，请稍后再试。", status=503)
    next_path = safe_next(request.args.get("next"))
    state = secrets.token_urlsafe(16)
    await resources.redis.set(STATE_KEY.format(state=state), next_path, ex=STATE_TTL_S)
    redirect_uri = settings.public_base_url.rstrip("/") + "/h5/oauth/callback"
    return redirect(authorize_url(appid=settings.wechat_appid, redirect_uri=redirect_uri, state=state))


async def callback(request: Request) -> HTTPResponse:
    resources = request.app.ctx.resources
    settings = resources.settings
    state = request.args.get("state", "")
    code = request.args.get("code", "")
    next_path = await _take_state(resources.redis, state) if state else None
    if next_path is None:
        return message_page(title="登录已失效", message="登录链接已失效或已使用。", status=400)
    if not code:
        return message_page(title="未能登录", message="微信没有返回登录信息。", status=400)
    try:
        result = await exchange_code(
            wechat=resources.official_account,
            appid=settings.wechat_appid,
            secret=settings.wechat_secret.get_secret_value(),
            code=code,
        )
    except WeChatTransientError:
        return message_page(title="暂时无法登录", message="微信服务繁忙，请稍后再试。", status=503)
    except WeChatAPIError as exc:
        logger.warning("web oauth code refused: errcode=%s", exc.errcode)
        return message_page(title="未能登录", message="登录信息已过期或已使用。", status=400)
    openid = str(result.get("openid") or "")
    if not openid:
        return message_page(title="未能登录", message="微信没有返回登录信息。", status=400)
    await followers.web_visitor(openid=openid)
    response = redirect(next_path)
    secure = settings.public_base_url.startswith("https://") or request.scheme == "https"
    set_session(response, openid=openid, secret_key=settings.secret_key.get_secret_value(), secure=secure)
    return response


async def _take_state(redis: Redis, state: str) -> str | None:
    """The `next` stored for `state`, deleted in the same step: a state works once."""
    if len(state) > 64:
        return None
    async with redis.pipeline(transaction=True) as pipe:
        pipe.get(STATE_KEY.format(state=state))
        pipe.delete(STATE_KEY.format(state=state))
        value, _ = await pipe.execute()
    return value.decode("utf-8") if value is not None else None
