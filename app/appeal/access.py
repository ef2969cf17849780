"""Who someone is to an appeal, and which appeals staff may see: decided here only.

* **Staff scope.** A dispatcher sees the appeals their scope's organisations own (the
  coordination office owns the city's intake, a district government its own); a handler
  sees the appeals their organisation leads or co-handles right now (an appeal returned
  or transferred away leaves their queue). City-wide roles see everything. Built on
  `app.staff.scope.visible_organisation_ids`, the one rule for staff scope.
* **Roles on an appeal** (`app.appeal.workflow.Role`) are worked out from the same facts,
  so what a page lists and what a person may do never disagree.
* **Enterprises.** The person who filed an appeal, and anyone with an active binding to
  its enterprise, may follow and act on it; anyone else is told it does not exist.
"""

from __future__ import annotations

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from app.appeal.errors import AppealNotFound
from app.appeal.models import Appeal, AppealAssignment
from app.appeal.workflow import Actor, Role
from app.identity.models import EnterpriseBinding, WeChatUser
from app.staff.models import Staff, StaffRole
from app.staff.scope import ALL_ORGANISATIONS, can, visible_organisation_ids

__all__ = ["enterprise_actor", "staff_actor", "staff_appeals", "user_appeals", "visible_to_user"]


async def staff_appeals(staff: Staff, queryset: QuerySet[Appeal] | None = None) -> QuerySet[Appeal]:
    """`queryset` (default: all appeals) narrowed to what `staff` may see."""
    queryset = queryset if queryset is not None else Appeal.all()
    if not (can(staff, "appeal.dispatch") or can(staff, "appeal.handle") or can(staff, "report.view")):
        return queryset.filter(id=-1)
    visible = await visible_organisation_ids(staff)
    if visible is ALL_ORGANISATIONS:
        return queryset
    ids = sorted(visible) or [-1]
    co_handled = Subquery(
        AppealAssignment.filter(organisation_id__in=ids, released_at__isnull=True).values("appeal_id")
    )
    condition = Q(lead_organisation_id__in=ids) | Q(id__in=co_handled)
    if can(staff, "appeal.dispatch"):
        condition |= Q(owner_organisation_id__in=ids)
    return queryset.filter(condition)


async def staff_actor(staff: Staff, appeal: Appeal) -> Actor:
    """The roles `staff` holds on `appeal`; AppealNotFound if they may not see it at all."""
    visible = await visible_organisation_ids(staff)
    everything = visible is ALL_ORGANISATIONS

    def covers(organisation_id: int | None) -> bool:
        if organisation_id is None:
            return False
        if everything:
            # City-wide staff act for a handling organisation only when it is their own
            # (the coordination office after escalation), never on a department's behalf.
            return organisation_id == staff.organisation_id
        return organisation_id in visible

    roles: set[Role] = set()
    if can(staff, "appeal.dispatch") and (everything or appeal.owner_organisation_id in (visible or set())):
        roles.add(Role.dispatcher)
    if can(staff, "appeal.handle"):
        active = await AppealAssignment.filter(appeal_id=appeal.id, released_at__isnull=True).values(
            "organisation_id", "is_lead"
        )
        for row in active:
            if covers(row["organisation_id"]):
                roles.add(Role.lead if row["is_lead"] else Role.co_handler)
    if not roles and not (everything and (can(staff, "report.view") or can(staff, "appeal.dispatch"))):
        raise AppealNotFound()
    label = f"{staff.display_name}（{StaffRole(staff.role).label}）"
    return Actor(frozenset(roles), label)


async def visible_to_user(user: WeChatUser, appeal: Appeal) -> bool:
    if appeal.submitter_id == user.id:
        return True
    if appeal.enterprise_id is None:
        return False
    return await EnterpriseBinding.filter(
        user_id=user.id, enterprise_id=appeal.enterprise_id, revoked_at__isnull=True
    ).exists()


async def enterprise_actor(user: WeChatUser, appeal: Appeal) -> Actor:
    """The enterprise role for the filer or a person bound to the enterprise; else AppealNotFound."""
    if not await visible_to_user(user, appeal):
        raise AppealNotFound()
    return Actor(frozenset({Role.enterprise}), "企业")


def user_appeals(user: WeChatUser) -> QuerySet[Appeal]:
    """Appeals a person may follow: filed by them or concerning an enterprise they are bound to."""
    bound = Subquery(
        EnterpriseBinding.filter(user_id=user.id, revoked_at__isnull=True).values("enterprise_id")
    )
    return Appeal.filter(Q(submitter_id=user.id) | Q(enterprise_id__in=bound))
