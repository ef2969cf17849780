"""Enterprise bindings of the signed-in person, and the enterprises they act for.

`GET/POST /me/enterprises`, `DELETE /me/enterprises/<binding_id>`,
`GET /enterprises/<enterprise_id>` (only for a bound person: `require_binding`).
"""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from app.identity import binding as binding_service
from app.identity import service as identity
from app.identity.permissions import require_binding
from miniprogram_api.auth import authenticated, current_user
from miniprogram_api.blueprint import bp
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import PageQuery, PageResponse, paginate
from miniprogram_api.responses import no_content, ok
from miniprogram_api.schemas import BindEnterpriseRequest, BindingOut, EnterpriseOut
from miniprogram_api.spec import describe
from miniprogram_api.validation import validate_body, validate_query

TAGS = ["企业绑定"]


@bp.get("/me/enterprises")
@describe("我绑定的企业（分页）", response=PageResponse[BindingOut], tags=TAGS)
@authenticated
@validate_query(PageQuery)
async def list_bindings(request: Request, query: PageQuery) -> HTTPResponse:
    page = await paginate(identity.active_bindings(user=current_user(request)), query)
    return ok(
        PageResponse[BindingOut](
            items=[BindingOut.from_binding(binding) for binding in page.items], next_cursor=page.next_cursor
        )
    )


@bp.post("/me/enterprises")
@describe(
    "绑定企业：以统一社会信用代码和法定代表人姓名核验",
    response=BindingOut,
    status=201,
    tags=TAGS,
    description="核验失败会返回剩余可尝试次数（details.remaining_attempts）；24 小时内每人、每家企业各限 5 次失败。",
    errors=[
        "invalid_credit_code",
        "enterprise_not_found",
        "legal_representative_mismatch",
        "binding_locked",
        "already_bound",
    ],
)
@authenticated
@idempotent
@validate_body(BindEnterpriseRequest)
async def bind_enterprise(request: Request, body: BindEnterpriseRequest) -> HTTPResponse:
    binding = await binding_service.bind_enterprise(
        user=current_user(request),
        credit_code=body.credit_code,
        legal_representative=body.legal_representative,
        role=body.role,
        redis=request.app.ctx.resources.redis,
    )
    return ok(
        BindingOut.from_binding(binding),
        status=201,
        headers={"Location": request.app.url_for("miniprogram.enterprise", enterprise_id=binding.enterprise_id)},
    )


@bp.delete("/me/enterprises/<binding_id:int>")
@describe("解除企业绑定", status=204, tags=TAGS, errors=["binding_not_found"])
@authenticated
async def revoke_binding(request: Request, binding_id: int) -> HTTPResponse:
    await binding_service.revoke_binding(user=current_user(request), binding_id=binding_id)
    return no_content()


@bp.get("/enterprises/<enterprise_id:int>", name="enterprise")
@describe(
    "查看已绑定企业的登记信息",
    response=EnterpriseOut,
    tags=TAGS,
    errors=["enterprise_access_denied"],
)
@authenticated
async def enterprise(request: Request, enterprise_id: int) -> HTTPResponse:
    binding = await require_binding(user=current_user(request), enterprise_id=enterprise_id)
    return ok(EnterpriseOut.from_binding(binding))
