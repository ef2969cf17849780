"""The signed-in person: `GET /me`, `POST /me/phone`."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from app.identity import service as identity
from miniprogram_api.auth import authenticated, current_user
from miniprogram_api.blueprint import bp
from miniprogram_api.responses import ok
from miniprogram_api.schemas import BindingOut, PhoneRequest, ProfileOut, UserOut
from miniprogram_api.spec import describe
from miniprogram_api.validation import validate_body

TAGS = ["我的"]


@bp.get("/me")
@describe("我的资料与已绑定的企业", response=ProfileOut, tags=TAGS)
@authenticated
async def me(request: Request) -> HTTPResponse:
    found = await identity.profile(user=current_user(request))
    return ok(
        ProfileOut(
            **UserOut.from_user(found.user).model_dump(),
            follows_official_account=found.follows_official_account,
            enterprises=[BindingOut.from_binding(binding) for binding in found.bindings],
        )
    )


@bp.post("/me/phone")
@describe(
    "用 getPhoneNumber 的 code 绑定已验证的手机号",
    response=UserOut,
    tags=TAGS,
    errors=["phone_code_invalid", "wechat_rate_limited", "wechat_unavailable", "wechat_error"],
)
@authenticated
@validate_body(PhoneRequest)
async def bind_phone(request: Request, body: PhoneRequest) -> HTTPResponse:
    user = await identity.bind_phone(
        user=current_user(request), miniprogram=request.app.ctx.resources.miniprogram, code=body.code
    )
    return ok(UserOut.from_user(user))
