"""Whose numbers a dashboard or report shows: the city, a district, or one organisation.

Built on `app.staff.scope.visible_organisation_ids`, the one rule for staff scope, so a
dashboard never shows more than the lists behind it:

* city-wide roles (and scheduled city reports): everything;
* a district administrator (or a report for a district government): the district
  government and every organisation under it, plus the appeals that district's intake owns,
  the push deliveries to enterprises registered in the district and its followers' bindings;
* a department handler (or a report for any other organisation): the appeals attributed to
  that organisation, and the pushes its staff created.

Appeals are attributed as in `app.appeal.measures` (the lead at reply time); an appeal a
department only co-handles counts for its lead, not for the co-handler.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from app.enterprise.reference import District
from app.organisation.models import Organisation, OrganisationKind
from app.staff.models import Staff, StaffRole
from app.staff.scope import ALL_ORGANISATIONS, can, visible_organisation_ids

__all__ = ["CITY_LABEL", "ReportScope", "appeal_scope_q", "scope_for_organisation", "scope_for_staff"]

CITY_LABEL = "全市"


@dataclass(frozen=True)
class ReportScope:
    label: str
    """What the numbers cover, as shown in headings: 全市, 浦东新区, 市科委 ..."""
    organisation_ids: frozenset[int] | None
    """The organisations covered; None: the whole city."""
    district: District | None = None
    """A district scope's district (deliveries and bindings are counted by enterprise district)."""
    includes_intake: bool = False
    """Whether appeals *owned* (received) by these organisations count, not only those they handle."""
    root_organisation_id: int | None = None
    """The organisation the scope is named after (None: the city); a report records it."""

    @property
    def is_city(self) -> bool:
        return self.organisation_ids is None

    @property
    def is_district(self) -> bool:
        return self.organisation_ids is not None and self.district is not None

    @property
    def is_department(self) -> bool:
        return self.organisation_ids is not None and self.district is None

    def covers_organisation(self, organisation_id: int | None) -> bool:
        return self.organisation_ids is None or (organisation_id is not None and organisation_id in self.organisation_ids)


CITY = ReportScope(label=CITY_LABEL, organisation_ids=None)


async def scope_for_staff(staff: Staff) -> ReportScope:
    """The scope a staff member's dashboard and reports cover."""
    visible = await visible_organisation_ids(staff)
    if visible is ALL_ORGANISATIONS:
        return CITY
    organisation = await Organisation.get(id=staff.organisation_id)
    if StaffRole(staff.role) is StaffRole.district_admin:
        root = await _district_root(organisation)
        return ReportScope(
            label=root.short_name or root.name,
            organisation_ids=frozenset(visible),
            district=root.district,
            includes_intake=can(staff, "appeal.dispatch"),
            root_organisation_id=root.id,
        )
    return ReportScope(
        label=organisation.short_name or organisation.name,
        organisation_ids=frozenset(visible),
        root_organisation_id=organisation.id,
    )


async def scope_for_organisation(organisation_id: int | None) -> ReportScope:
    """The scope of a report made for an organisation (None: the city), e.g. by the schedule."""
    if organisation_id is None:
        return CITY
    organisation = await Organisation.get(id=organisation_id)
    if organisation.kind == OrganisationKind.coordination_office:
        return CITY
    if organisation.kind == OrganisationKind.district_government:
        rows = await Organisation.all().values("id", "parent_id")
        return ReportScope(
            label=organisation.short_name or organisation.name,
            organisation_ids=frozenset(_subtree(organisation.id, rows)),
            district=organisation.district,
            includes_intake=True,
            root_organisation_id=organisation.id,
        )
    return ReportScope(
        label=organisation.short_name or organisation.name,
        organisation_ids=frozenset({organisation.id}),
        root_organisation_id=organisation.id,
    )


def appeal_scope_q(scope: ReportScope) -> Q:
    """A filter on `Appeal` for the scope's appeals (live queries: open appeals, overdue ...)."""
    if scope.organisation_ids is None:
        return Q()
    ids = sorted(scope.organisation_ids) or [-1]
    condition = Q(lead_organisation_id__in=ids)
    if scope.includes_intake:
        condition |= Q(owner_organisation_id__in=ids)
    return condition


async def _district_root(organisation: Organisation) -> Organisation:
    current = organisation
    seen: set[int] = set()
    while current.kind != OrganisationKind.district_government and current.parent_id and current.id not in seen:
        seen.add(current.id)
        current = await Organisation.get(id=current.parent_id)
    return current if current.kind == OrganisationKind.district_government else organisation


def _subtree(root_id: int, rows: list[dict]) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for row in rows:
        children.setdefault(row["parent_id"], []).append(row["id"])
    found: set[int] = set()
    stack = [root_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, ()))
    return found
