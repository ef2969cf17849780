"""Who is asking about an engagement: the one place that turns a person into roles on it.

* `enterprise` — a person with an active binding to the engaging enterprise, or the person
  who made the request (they keep following what they asked for);
* `provider` — an active member of the engaged provider (`ProviderMember`);
* `staff` — staff holding `provider.manage` (`app.staff.scope.can`).

Someone with no role on an engagement is told it does not exist (`engagement_not_found`),
never that it is someone else's.
"""

from __future__ import annotations

from app.engagement.models import Engagement
from app.engagement.workflow import ROLE_LABELS, Actor, Role
from app.identity.models import EnterpriseBinding, WeChatUser
from app.provider.errors import ProviderNotFound
from app.provider.models import ProviderMember
from app.staff.models import Staff
from app.staff.scope import can

__all__ = ["MANAGE", "actor_for", "engagement_not_found", "roles_of_user"]

MANAGE = "provider.manage"


def engagement_not_found() -> ProviderNotFound:
    return ProviderNotFound("未找到该服务订单，或您无权查看", code="engagement_not_found")


async def roles_of_user(user: WeChatUser, engagement: Engagement) -> frozenset[Role]:
    roles: set[Role] = set()
    if engagement.requested_by_id == user.id or await EnterpriseBinding.filter(
        user_id=user.id, enterprise_id=engagement.enterprise_id, revoked_at__isnull=True
    ).exists():
        roles.add(Role.enterprise)
    if await ProviderMember.filter(
        user_id=user.id, provider_id=engagement.provider_id, revoked_at__isnull=True
    ).exists():
        roles.add(Role.provider)
    return frozenset(roles)


async def actor_for(engagement: Engagement, *, user: WeChatUser | None = None, staff: Staff | None = None) -> Actor:
    """The caller's roles on the engagement; `engagement_not_found` when they have none."""
    if staff is not None:
        if not staff.is_active or not can(staff, MANAGE):
            raise engagement_not_found()
        return Actor(frozenset({Role.staff}), f"{staff.display_name}（工作人员）")
    if user is None:
        return Actor.system()
    roles = await roles_of_user(user, engagement)
    if not roles:
        raise engagement_not_found()
    label = ROLE_LABELS[Role.provider] if roles == {Role.provider} else ROLE_LABELS[Role.enterprise]
    return Actor(roles, label)
