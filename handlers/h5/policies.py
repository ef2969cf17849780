"""H5 policy pages: the searchable list (惠企政策清单) and a policy's detail.

Public pages: a policy is public once published, so no sign-in is needed to read it.
A signed-in follower bound to an enterprise also sees whether, and why, it qualifies.
"""

from __future__ import annotations

from datetime import date

from sanic import Request
from sanic.response import HTTPResponse

from app.identity import followers
from app.identity.models import Follower
from app.identity.service import active_bindings
from app.policy.display import amount_text, application_state, support_label
from app.policy.models import SupportType
from app.policy.search import SearchFilters, search_policies
from app.policy.search_cache import SearchPageCache
from app.policy.errors import PolicyNotFound
from app.policy.service import get_published_policy
from app.policy.targeting import Targeting, match_reasons
from handlers.h5.pages import message_page, render_page
from handlers.h5.session import current_openid

__all__ = ["policy_detail", "policy_list"]

PAGE_SIZE = 20
QUERY_MAX_CHARS = 50


def _today() -> date:
    return date.today()


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 500))
    except ValueError:
        return 1


async def policy_list(request: Request) -> HTTPResponse:
    query = (request.args.get("q") or "").strip()[:QUERY_MAX_CHARS]
    support = request.args.get("type") or ""
    open_now = request.args.get("open") == "1"
    page = _page_number(request.args.get("page"))
    support_types = [SupportType(support)] if support in SupportType.labels() else []
    today = _today()
    result = await search_policies(
        query=query,
        filters=SearchFilters(support_types=support_types, open_now=open_now),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        today=today,
        cache=SearchPageCache.public(request.app.ctx.resources),
    )
    rows = [
        {
            "hit": hit,
            "state": application_state(hit.policy, today=today),
            "support": support_label(hit.policy),
            "amount": amount_text(hit.policy),
        }
        for hit in result.hits
    ]
    return render_page(
        "policy_list.html",
        title="惠企政策",
        query=query,
        support=support,
        open_now=open_now,
        support_types=SupportType.labels(),
        rows=rows,
        result=result,
        page=page,
        has_next=page * PAGE_SIZE < result.total,
    )


async def policy_detail(request: Request, policy_id: int) -> HTTPResponse:
    try:
        policy = await get_published_policy(policy_id=policy_id)
    except PolicyNotFound:
        return message_page(title="政策不存在", message="该政策不存在或尚未发布。", status=404)
    await policy.fetch_related("issuing_organisations", "attachments")
    today = _today()
    fits = await _fits_for_visitor(request, policy.targeting, today=today)
    return render_page(
        "policy_detail.html",
        title="政策详情",
        policy=policy,
        state=application_state(policy, today=today),
        support=support_label(policy),
        amount=amount_text(policy),
        issuers=[organisation.name for organisation in policy.issuing_organisations],
        paragraphs=[line.strip() for line in policy.body.splitlines() if line.strip()],
        fits=fits,
    )


async def _fits_for_visitor(request: Request, targeting: dict, *, today: date) -> list[dict]:
    """For a signed-in, bound visitor: each of their enterprises and why it does or doesn't fit."""
    openid = current_openid(request)
    if openid is None:
        return []
    follower = await Follower.get_or_none(openid=openid)
    if follower is None or follower.user_id is None:
        return []
    user = await followers.ensure_user(follower=follower)
    rules = Targeting.model_validate(targeting or {})
    fits = []
    for binding in await active_bindings(user=user):
        reasons = match_reasons(rules, binding.enterprise, today=today)
        fits.append({"enterprise": binding.enterprise.name, "fits": reasons is not None, "reasons": reasons or []})
    return fits
