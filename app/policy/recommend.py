"""Policies recommended to a person: the union of what their bound enterprises qualify for.

One person may act for several enterprises; chat, H5 and the mini-program all ask
"what fits me", so the merging (first enterprise's order, reasons per enterprise,
no duplicates) is done once here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.enterprise.models import Enterprise
from app.identity.models import WeChatUser
from app.identity.service import active_bindings
from app.policy.models import Policy
from app.policy.targeting import matched_policies

__all__ = ["Recommendation", "Recommendations", "recommend_for_user"]


@dataclass(frozen=True)
class Recommendation:
    policy: Policy
    enterprise: Enterprise
    reasons: list[str]


@dataclass(frozen=True)
class Recommendations:
    bound: bool
    """False when the person has no enterprise yet: there is nothing to match against."""
    items: list[Recommendation] = field(default_factory=list)


async def recommend_for_user(*, user: WeChatUser, today: date, limit: int = 50) -> Recommendations:
    """Published, unexpired policies that one of the person's enterprises qualifies for."""
    bindings = list(await active_bindings(user=user))
    if not bindings:
        return Recommendations(bound=False)
    seen: set[int] = set()
    items: list[Recommendation] = []
    for binding in bindings:
        # at most len(seen) of an enterprise's matches are already in the list
        for match in await matched_policies(enterprise_id=binding.enterprise_id, today=today, limit=limit + len(seen)):
            if match.policy.id in seen:
                continue
            seen.add(match.policy.id)
            items.append(Recommendation(policy=match.policy, enterprise=binding.enterprise, reasons=match.reasons))
            if len(items) >= limit:
                return Recommendations(bound=True, items=items)
    return Recommendations(bound=True, items=items)
