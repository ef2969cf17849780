"""Sign-in and sign-out: `POST /auth/login`, `POST /auth/logout`."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from app.identity import service as identity
from miniprogram_api.auth import authenticated, bearer_token
from miniprogram_api.blueprint import bp
from miniprogram_api.responses import no_content, ok
from miniprogram_api.schemas import LoginRequest, LoginResponse, UserOut
from miniprogram_api.spec import describe
from miniprogram_api.validation import validate_body

TAGS = ["登录"]


@bp.post("/auth/login")
@describe(
    "用 wx.login 的 code 登录，换取会话令牌",
    response=LoginResponse,
    tags=TAGS,
    errors=["login_code_invalid", "login_blocked", "wechat_rate_limited", "wechat_unavailable", "wechat_error"],
)
@validate_body(LoginRequest)
async def login(request: Request, body: LoginRequest) -> HTTPResponse:
    resources = request.app.ctx.resources
    result = await identity.sign_in(miniprogram=resources.miniprogram, redis=resources.redis, code=body.code)
    return ok(LoginResponse(token=result.token, expires_at=result.expires_at, user=UserOut.from_user(result.user)))


@bp.post("/auth/logout")
@describe("退出登录（令牌立即失效）", status=204, tags=TAGS)
@authenticated
async def logout(request: Request) -> HTTPResponse:
    await identity.sign_out(redis=request.app.ctx.resources.redis, token=bearer_token(request) or "")
    return no_content()
