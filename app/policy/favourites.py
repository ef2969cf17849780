"""A person's favourite policies (收藏), kept per WeChat user so chat and mini-program agree."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from app.identity.models import WeChatUser
from app.policy.models import Policy, PolicyFavourite
from app.policy.service import get_published_policy

__all__ = ["add_favourite", "favourite_ids", "favourites", "remove_favourite"]


async def add_favourite(*, user: WeChatUser, policy_id: int) -> PolicyFavourite:
    """Idempotent: favouriting twice keeps one row. Only published policies can be added."""
    await get_published_policy(policy_id=policy_id)
    existing = await PolicyFavourite.get_or_none(user_id=user.id, policy_id=policy_id)
    if existing is not None:
        return existing
    try:
        return await PolicyFavourite.create(user_id=user.id, policy_id=policy_id)
    except IntegrityError:  # a concurrent request added it first
        return await PolicyFavourite.get(user_id=user.id, policy_id=policy_id)


async def remove_favourite(*, user: WeChatUser, policy_id: int) -> bool:
    return bool(await PolicyFavourite.filter(user_id=user.id, policy_id=policy_id).delete())


def favourites(*, user: WeChatUser) -> QuerySet[PolicyFavourite]:
    """The person's favourites with the policy loaded (withdrawn ones drop out of view)."""
    return (
        PolicyFavourite.filter(user_id=user.id, policy__status__in=("published", "expired"))
        .select_related("policy")
    )


async def favourite_ids(*, user: WeChatUser, policy_ids: list[int]) -> set[int]:
    if not policy_ids:
        return set()
    rows = await PolicyFavourite.filter(user_id=user.id, policy_id__in=policy_ids).values_list("policy_id", flat=True)
    return set(rows)


async def is_favourite(*, user: WeChatUser, policy: Policy) -> bool:
    return await PolicyFavourite.exists(user_id=user.id, policy_id=policy.id)
