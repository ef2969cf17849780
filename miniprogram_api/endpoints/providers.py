"""Professional service providers (专业服务) in the mini-program: the public directory, a
provider's page and products, the admission criteria; applying, the provider desk
(memberships, joining by invitation code, the profile, resubmission, products); and
enterprises' complaints.

Every rule is the provider service's (`app.provider.admission`, `.products`,
`.management`) and every page the read side's (`app.provider.queries`); these routes read
the request, call one of them, render. `ProviderError` (and its 403/404/409 subclasses,
shared with engagements and ratings) is rendered as the envelope.
"""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from app.provider import admission, management, products, queries
from app.provider.access import memberships, require_member
from app.provider.errors import ProviderError
from app.provider.models import MemberRole, ProviderStatus, ServiceCategory
from app.provider.workflow import PUBLIC_STATUSES
from miniprogram_api.auth import authenticated, current_user
from miniprogram_api.blueprint import bp
from miniprogram_api.errors import ApiError, register_domain_error
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import decode_cursor, encode_cursor
from miniprogram_api.provider_schemas import (
    ApplicationBody,
    CategoriesOut,
    CategoryOut,
    ComplaintBody,
    ComplaintOut,
    CriteriaOut,
    CriteriaQuery,
    CriterionOut,
    DeskOut,
    EventOut,
    InviteCodeOut,
    JoinBody,
    MembershipOut,
    MembershipsOut,
    ProductBody,
    ProductOut,
    ProductsOut,
    ProviderDetailOut,
    ProviderListOut,
    ProviderListQuery,
    ProviderProfileBody,
    ProviderSummaryOut,
    RatingOut,
    ReputationOut,
    ResubmitBody,
)
from miniprogram_api.provider_schemas import SORT_LABELS
from miniprogram_api.responses import ok
from miniprogram_api.spec import describe
from miniprogram_api.validation import validate_body, validate_query

register_domain_error(ProviderError)

TAGS = ["专业服务"]
DESK_TAGS = ["服务机构工作台"]
MAX_OFFSET = 5_000
_PROFILE_ERRORS = ["invalid_name", "invalid_provider_category", "invalid_description", "invalid_district",
                   "invalid_address", "invalid_contact", "invalid_phone", "invalid_credentials", "credential_expired",
                   "content_risky"]
_PRODUCT_ERRORS = ["invalid_product", "invalid_price", "invalid_provider_category", "wrong_state", "forbidden",
                   "content_risky"]


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    value = decode_cursor(cursor)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_OFFSET:
        raise ApiError("invalid_cursor")
    return value


# -- the public directory -------------------------------------------------------------


@bp.get("/provider-categories")
@describe("专业服务的十个类别与排序方式", response=CategoriesOut, tags=TAGS)
@authenticated
async def provider_categories(request: Request) -> HTTPResponse:
    return ok(CategoriesOut(items=[CategoryOut(code=c, label=label) for c, label in ServiceCategory.labels().items()],
                            sorts=SORT_LABELS))


@bp.get("/providers")
@describe(
    "服务机构列表（按类别、关键词筛选；按综合评分、评价数或入驻时间排序）",
    response=ProviderListOut, tags=TAGS,
    description="综合评分为贝叶斯平均（近期评价权重更高）；评价较少（few_ratings）的机构排在评价充足的机构之后。"
    "暂停服务的机构不出现在列表中。",
)
@authenticated
@validate_query(ProviderListQuery)
async def provider_list(request: Request, query: ProviderListQuery) -> HTTPResponse:
    offset = _offset(query.cursor)
    page = await queries.public_list(category=query.category.value if query.category else None, keyword=query.q,
                                     sort=query.sort, offset=offset, limit=query.limit)
    following = offset + len(page.items)
    return ok(ProviderListOut(
        items=[ProviderSummaryOut.build(p) for p in page.items], total=page.total,
        next_cursor=encode_cursor(following) if page.has_next and following <= MAX_OFFSET else None,
    ))


@bp.get("/providers/<provider_id:int>")
@describe("服务机构详情：介绍、资质、服务产品、评分与最近评价", response=ProviderDetailOut, tags=TAGS,
          errors=["provider_not_found"])
@authenticated
async def provider_detail(request: Request, provider_id: int) -> HTTPResponse:
    provider = await queries.public_provider(provider_id=provider_id)
    summary = ProviderSummaryOut.build(provider)
    return ok(ProviderDetailOut(
        **summary.model_dump(), full_description=provider.description, address=provider.address,
        credentials=list(provider.credentials or []), admitted_at=provider.admitted_at,
        products=[ProductOut.build(p) for p in await queries.public_products(provider_id=provider.id)],
        recent_ratings=[RatingOut.build(r) for r in await queries.recent_ratings(provider_id=provider.id)],
    ))


@bp.get("/providers/<provider_id:int>/products")
@describe("服务机构在售的服务产品", response=ProductsOut, tags=TAGS, errors=["provider_not_found"])
@authenticated
async def provider_products(request: Request, provider_id: int) -> HTTPResponse:
    provider = await queries.public_provider(provider_id=provider_id)
    return ok(ProductsOut(items=[ProductOut.build(p) for p in await queries.public_products(provider_id=provider.id)]))


@bp.get("/provider-criteria")
@describe("入驻标准（通用标准与各类别标准）", response=CriteriaOut, tags=TAGS)
@authenticated
@validate_query(CriteriaQuery)
async def provider_criteria(request: Request, query: CriteriaQuery) -> HTTPResponse:
    found = await admission.criteria_for(category=query.category)
    return ok(CriteriaOut(items=[CriterionOut.build(c) for c in found]))


# -- applying and the provider desk ----------------------------------------------------


@bp.post("/provider-applications")
@describe(
    "申请入驻（申请人成为该机构的负责人）",
    response=DeskOut, status=201, tags=DESK_TAGS,
    description="同一统一社会信用代码只能有一份申请；未通过的申请请在工作台修改后重新提交（POST /me/providers/{id}/resubmit）。"
    "提交时建议同时请求订阅“服务机构状态通知”，审核结果将通过该消息送达。",
    errors=[*_PROFILE_ERRORS, "invalid_credit_code", "provider_exists"],
)
@authenticated
@idempotent
@validate_body(ApplicationBody)
async def apply(request: Request, body: ApplicationBody) -> HTTPResponse:
    user = current_user(request)
    provider = await admission.apply(user=user, draft=body.draft(body.credit_code),
                                     miniprogram=request.app.ctx.resources.miniprogram)
    return await _desk(request, provider.id, status=201)


@bp.get("/me/providers")
@describe("我所在的服务机构（负责人或服务专员）", response=MembershipsOut, tags=DESK_TAGS)
@authenticated
async def my_providers(request: Request) -> HTTPResponse:
    return ok(MembershipsOut(items=[MembershipOut.build(m) for m in await memberships(user=current_user(request))]))


@bp.post("/me/providers/join")
@describe("凭邀请码加入服务机构工作台", response=MembershipOut, tags=DESK_TAGS,
          errors=["invalid_invite_code", "already_member"])
@authenticated
@idempotent
@validate_body(JoinBody)
async def join_provider(request: Request, body: JoinBody) -> HTTPResponse:
    member = await admission.join(user=current_user(request), code=body.code)
    return ok(MembershipOut.build(member))


@bp.get("/me/providers/<provider_id:int>")
@describe("服务机构工作台：资料、状态及原因、评分、办理记录", response=DeskOut, tags=DESK_TAGS, errors=["forbidden"])
@authenticated
async def desk(request: Request, provider_id: int) -> HTTPResponse:
    return await _desk(request, provider_id)


async def _desk(request: Request, provider_id: int, *, status: int = 200) -> HTTPResponse:
    member = await require_member(user=current_user(request), provider_id=provider_id)
    provider = member.provider
    is_owner = member.role == MemberRole.owner
    current = ProviderStatus(provider.status)
    return ok(DeskOut(
        id=provider.id, name=provider.name, credit_code=provider.credit_code, category=provider.category,
        category_label=ServiceCategory(provider.category).label, description=provider.description,
        district=provider.district.value if provider.district else "", address=provider.address,
        contact_name=provider.contact_name, contact_phone=provider.contact_phone,
        credentials=list(provider.credentials or []), status=current, status_label=current.label,
        status_reason=provider.status_reason, invite_code=(provider.invite_code or "") if is_owner else "",
        my_role=MemberRole(member.role).label, reputation=ReputationOut.build(provider),
        can_publish=current in PUBLIC_STATUSES,
        can_resubmit=is_owner and current in (ProviderStatus.needs_info, ProviderStatus.refused),
        profile_held=provider.profile_check_id is not None, pending_profile=dict(provider.pending_profile or {}),
        timeline=[EventOut.build(e) for e in await queries.events_of(provider_id=provider.id, limit=50)],
    ), status=status)


@bp.put("/me/providers/<provider_id:int>")
@describe("修改机构资料（仅负责人；统一社会信用代码不可修改）", response=DeskOut, tags=DESK_TAGS,
          errors=[*_PROFILE_ERRORS, "forbidden", "provider_conflict"])
@authenticated
@validate_body(ProviderProfileBody)
async def edit_profile(request: Request, provider_id: int, body: ProviderProfileBody) -> HTTPResponse:
    await admission.update_profile(user=current_user(request), provider_id=provider_id, draft=body.draft(),
                                   miniprogram=request.app.ctx.resources.miniprogram)
    return await _desk(request, provider_id)


@bp.post("/me/providers/<provider_id:int>/resubmit")
@describe("补充材料或修改后重新提交申请（待补充材料、未通过时）", response=DeskOut, tags=DESK_TAGS,
          errors=["forbidden", "wrong_state", "reason_too_long", "provider_conflict"])
@authenticated
@idempotent
@validate_body(ResubmitBody)
async def resubmit(request: Request, provider_id: int, body: ResubmitBody) -> HTTPResponse:
    await admission.resubmit(user=current_user(request), provider_id=provider_id, note=body.note)
    return await _desk(request, provider_id)


@bp.post("/me/providers/<provider_id:int>/invite-code")
@describe("重新生成邀请码（仅负责人；旧邀请码随即失效）", response=InviteCodeOut, tags=DESK_TAGS, errors=["forbidden"])
@authenticated
async def new_invite_code(request: Request, provider_id: int) -> HTTPResponse:
    code = await admission.reset_invite_code(provider_id=provider_id, user=current_user(request))
    return ok(InviteCodeOut(invite_code=code))


@bp.get("/me/providers/<provider_id:int>/products")
@describe("本机构的全部服务产品（含已下架）", response=ProductsOut, tags=DESK_TAGS, errors=["forbidden"])
@authenticated
async def desk_products(request: Request, provider_id: int) -> HTTPResponse:
    await require_member(user=current_user(request), provider_id=provider_id)
    found = await products.products_of(provider_id=provider_id, active_only=False)
    return ok(ProductsOut(items=[ProductOut.build(p) for p in found]))


@bp.post("/me/providers/<provider_id:int>/products")
@describe("发布服务产品（已入驻的机构）", response=ProductOut, status=201, tags=DESK_TAGS,
          errors=[*_PRODUCT_ERRORS, "too_many_products"])
@authenticated
@idempotent
@validate_body(ProductBody)
async def create_product(request: Request, provider_id: int, body: ProductBody) -> HTTPResponse:
    product = await products.create_product(user=current_user(request), provider_id=provider_id, draft=body.draft(),
                                            miniprogram=request.app.ctx.resources.miniprogram)
    return ok(ProductOut.build(product), status=201)


@bp.put("/me/providers/<provider_id:int>/products/<product_id:int>")
@describe("修改服务产品", response=ProductOut, tags=DESK_TAGS, errors=[*_PRODUCT_ERRORS, "product_not_found"])
@authenticated
@validate_body(ProductBody)
async def update_product(request: Request, provider_id: int, product_id: int, body: ProductBody) -> HTTPResponse:
    product = await products.update_product(user=current_user(request), provider_id=provider_id, product_id=product_id,
                                            draft=body.draft(), miniprogram=request.app.ctx.resources.miniprogram)
    return ok(ProductOut.build(product))


@bp.post("/me/providers/<provider_id:int>/products/<product_id:int>/withdraw")
@describe("下架服务产品（已有的服务订单继续办理）", response=ProductOut, tags=DESK_TAGS,
          errors=["forbidden", "product_not_found"])
@authenticated
@idempotent
async def withdraw_product(request: Request, provider_id: int, product_id: int) -> HTTPResponse:
    product = await products.withdraw_product(user=current_user(request), provider_id=provider_id, product_id=product_id)
    return ok(ProductOut.build(product))


# -- complaints ---------------------------------------------------------------------------


@bp.post("/provider-complaints")
@describe(
    "投诉服务机构（以已绑定的企业名义）",
    response=ComplaintOut, status=201, tags=TAGS,
    description="投诉由服务专员核实；经核实属实的投诉计入机构的动态管理（12 个月内 2 次将暂停其服务）。",
    errors=["enterprise_access_denied", "provider_not_found", "engagement_not_found", "invalid_complaint",
            "complaint_pending"],
)
@authenticated
@idempotent
@validate_body(ComplaintBody)
async def complain(request: Request, body: ComplaintBody) -> HTTPResponse:
    complaint = await management.file_complaint(user=current_user(request), enterprise_id=body.enterprise_id,
                                                provider_id=body.provider_id, engagement_id=body.engagement_id,
                                                text=body.text)
    return ok(ComplaintOut.build(complaint), status=201)



