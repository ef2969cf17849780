"""Official-account chat for professional services: the rating flow and provider QR scenes.

* 评价 (and the other keywords below, as the rating prompt says) starts the rating flow
  (`handlers.flows.rate_provider`) for the follower's completed, unrated engagements;
  评价 <订单编号> picks one directly.
* A provider's parametric QR code (`provider:<id>`, e.g. printed on its brochure or shown
  at the service centre) answers with the provider's card, opening its public page
  `/h5/providers/<id>` (products, reputation, the 委托 button). A provider that is not
  listed (suspended, not admitted) gets a short notice instead.
"""

from __future__ import annotations

from typing import Any

from app.provider.errors import ProviderNotFound
from app.provider.queries import public_provider, reputation_of
from handlers.context import Context
from handlers.flows.rate_provider import start_rating
from handlers.replies import Article, News
from handlers.router import router

__all__ = ["provider_card", "rate_keyword"]

NOT_LISTED = "该服务机构目前未在服务机构名录中展示（可能已暂停服务）。回复“服务机构”或打开菜单查看其他机构。"


@router.keyword(r"^(评价|评价服务|服务评价|我要评价|去评价)\s*(\d{1,9})?$", priority=10)
async def rate_keyword(ctx: Context) -> str:
    number = ctx.match.group(2) if ctx.match else None
    return await start_rating(ctx, engagement_id=int(number) if number else None)


@router.scene("provider:")
async def provider_card(ctx: Context, value: str) -> Any:
    try:
        provider = await public_provider(provider_id=int(value))
    except (ValueError, ProviderNotFound):
        return NOT_LISTED
    reputation = reputation_of(provider)
    description = f"{provider.category.label}｜评分 {reputation.score_text}（{reputation.rating_count} 条评价）"
    url = f"{ctx.settings.public_base_url.rstrip('/')}/h5/providers/{provider.id}"
    return News(articles=(Article(title=provider.name, description=description, url=url),))
