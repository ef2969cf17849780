"""Policies in the mini-program: search with filters, detail, favourites and "my matched policies".

Search pages by offset inside an opaque cursor: results are ranked, not ordered by a
key, and a policy list changes rarely enough that offsets stay consistent.
"""

from __future__ import annotations

from datetime import date

from sanic import Request
from sanic.response import HTTPResponse

from app.directory.related import related_services
from app.identity.service import active_bindings
from app.policy import favourites as favourite_service
from app.policy.recommend import recommend_for_user
from app.policy.errors import PolicyNotFound
from app.policy.search import SearchFilters, search_policies
from app.policy.search_cache import SearchPageCache
from app.policy.service import get_published_policy
from app.policy.targeting import Targeting, match_reasons
from miniprogram_api.auth import authenticated, current_user
from miniprogram_api.blueprint import bp
from miniprogram_api.directory_schemas import DirectoryEntrySummaryOut, PolicySearchWithServicesOut
from miniprogram_api.errors import ApiError, register_domain_error
from miniprogram_api.pagination import PageQuery, PageResponse, decode_cursor, encode_cursor, paginate
from miniprogram_api.policy_schemas import (
    AttachmentOut,
    EnterpriseFitOut,
    FavouriteOut,
    MatchedPoliciesOut,
    MatchedPolicyOut,
    PolicyDetailOut,
    PolicySearchQuery,
    PolicySummaryOut,
)
from miniprogram_api.responses import no_content, ok
from miniprogram_api.spec import describe
from miniprogram_api.validation import validate_query

register_domain_error(PolicyNotFound)

TAGS = ["政策"]
MAX_OFFSET = 1000


def _today() -> date:
    return date.today()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    value = decode_cursor(cursor)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_OFFSET:
        raise ApiError("invalid_cursor")
    return value


@bp.get("/policies")
@describe("搜索政策（关键词、支持方式、适用区、发文部门、申报中），并附相关公共服务", response=PolicySearchWithServicesOut, tags=TAGS)
@authenticated
@validate_query(PolicySearchQuery)
async def search(request: Request, query: PolicySearchQuery) -> HTTPResponse:
    offset = _offset(query.cursor)
    today = _today()
    result = await search_policies(
        query=query.q,
        filters=SearchFilters(
            support_types=[query.support_type] if query.support_type else [],
            district=query.district,
            organisation_id=query.organisation_id,
            open_now=query.open_now,
        ),
        limit=query.limit,
        offset=offset,
        today=today,
        cache=SearchPageCache.public(request.app.ctx.resources),
    )
    user = current_user(request)
    starred = await favourite_service.favourite_ids(user=user, policy_ids=[hit.policy.id for hit in result.hits])
    items = [
        PolicySummaryOut.build(
            hit.policy,
            today=today,
            favourite=hit.policy.id in starred,
            snippet_html=hit.snippet_html,
            title_html=hit.title_html,
        )
        for hit in result.hits
    ]
    following = offset + len(items)
    next_cursor = encode_cursor(following) if following < result.total and following <= MAX_OFFSET else None
    services = []
    if offset == 0 and query.q:  # related public services, once, above the first page
        limit = request.app.ctx.resources.settings.directory_related_results
        services = [
            DirectoryEntrySummaryOut.build(hit.entry, title_html=hit.title_html, snippet_html=hit.snippet_html)
            for hit in await related_services(query=query.q, district=query.district, limit=limit)
        ]
    return ok(
        PolicySearchWithServicesOut(
            items=items, total=result.total, next_cursor=next_cursor, suggestion=result.suggestion, services=services
        )
    )


@bp.get("/policies/<policy_id:int>")
@describe("政策详情（含我绑定的企业是否符合条件）", response=PolicyDetailOut, tags=TAGS, errors=["policy_not_found"])
@authenticated
async def detail(request: Request, policy_id: int) -> HTTPResponse:
    policy = await get_published_policy(policy_id=policy_id)
    await policy.fetch_related("issuing_organisations", "attachments")
    user = current_user(request)
    today = _today()
    rules = Targeting.model_validate(policy.targeting or {})
    fits = []
    for binding in await active_bindings(user=user):
        reasons = match_reasons(rules, binding.enterprise, today=today)
        fits.append(
            EnterpriseFitOut(
                enterprise_id=binding.enterprise_id,
                enterprise_name=binding.enterprise.name,
                fits=reasons is not None,
                reasons=reasons or [],
            )
        )
    summary = PolicySummaryOut.build(
        policy, today=today, favourite=await favourite_service.is_favourite(user=user, policy=policy)
    )
    return ok(
        PolicyDetailOut(
            **summary.model_dump(),
            summary=policy.summary,
            body=policy.body,
            issuers=[organisation.name for organisation in policy.issuing_organisations],
            effective_date=policy.effective_date,
            expiry_date=policy.expiry_date,
            apply_start=policy.apply_start,
            apply_where=policy.apply_where,
            contact=policy.contact,
            attachments=[AttachmentOut(filename=a.filename, url=a.url) for a in policy.attachments],
            fits=fits,
        )
    )


@bp.get("/me/matched-policies")
@describe("为我推荐：我绑定的企业符合条件的有效政策及匹配理由", response=MatchedPoliciesOut, tags=TAGS)
@authenticated
async def matched(request: Request) -> HTTPResponse:
    user = current_user(request)
    today = _today()
    recommendations = await recommend_for_user(user=user, today=today)
    starred = await favourite_service.favourite_ids(
        user=user, policy_ids=[item.policy.id for item in recommendations.items]
    )
    return ok(
        MatchedPoliciesOut(
            bound=recommendations.bound,
            items=[
                MatchedPolicyOut(
                    policy=PolicySummaryOut.build(item.policy, today=today, favourite=item.policy.id in starred),
                    enterprise_id=item.enterprise.id,
                    enterprise_name=item.enterprise.name,
                    reasons=item.reasons,
                )
                for item in recommendations.items
            ],
        )
    )


@bp.get("/me/policy-favourites")
@describe("我收藏的政策（分页）", response=PageResponse[FavouriteOut], tags=TAGS)
@authenticated
@validate_query(PageQuery)
async def list_favourites(request: Request, query: PageQuery) -> HTTPResponse:
    page = await paginate(favourite_service.favourites(user=current_user(request)), query)
    today = _today()
    return ok(
        PageResponse[FavouriteOut](
            items=[
                FavouriteOut(id=row.id, policy=PolicySummaryOut.build(row.policy, today=today, favourite=True))
                for row in page.items
            ],
            next_cursor=page.next_cursor,
        )
    )


@bp.put("/me/policy-favourites/<policy_id:int>")
@describe("收藏政策（重复收藏无副作用）", status=204, tags=TAGS, errors=["policy_not_found"])
@authenticated
async def add_favourite(request: Request, policy_id: int) -> HTTPResponse:
    await favourite_service.add_favourite(user=current_user(request), policy_id=policy_id)
    return no_content()


@bp.delete("/me/policy-favourites/<policy_id:int>")
@describe("取消收藏", status=204, tags=TAGS)
@authenticated
async def remove_favourite(request: Request, policy_id: int) -> HTTPResponse:
    await favourite_service.remove_favourite(user=current_user(request), policy_id=policy_id)
    return no_content()
