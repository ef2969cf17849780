"""The published policies' targeting rules, indexed by what each rule allows, so the policies one
enterprise qualifies for are found with set operations rather than by checking every policy.

Why: "what fits me" (chat, H5, mini-program) asks for one enterprise's policies, and at 50,000
policies reading every live targeting and running the rules of `app.policy.targeting` on each
took tens of seconds a call on a loaded 2-core host. Here each process keeps, per rule, which
policies allow which value (and which have no such rule); a match is then a handful of set
differences over integer ids, and the Chinese reasons are worked out only for the policies
returned (`app.policy.targeting.matched_policies`).

The rules are those of `app.policy.targeting.match_reasons`, which stays the reference: the tests
hold this index to it over generated targetings and enterprises.

Freshness, with several server processes on several hosts sharing one database: every lookup first
reads a fingerprint of the published rows (`_FINGERPRINT_SQL`, one aggregate over them) and
rebuilds the index from the database when it differs from the one the index was built at. The
fingerprint is a function of the published rows' (id, updated_at) set, not of commit order or of
any host's clock: the count and the sum of the ids change whenever a policy is published, withdrawn,
expired or deleted, and the sum of `updated_at` changes when a policy comes back republished (the
only way a published policy's rules change: edits are for drafts only, `app.policy.lifecycle`,
and every status step stamps `updated_at`). Expiry dates are applied when matching, against
that call's `today`, so a day passing needs no rebuild. Nothing is kept outside the process.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise import connections

from app.enterprise.models import Enterprise
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.policy.models import Policy, PolicyStatus
from app.policy.targeting import Targeting, years_before

__all__ = ["MatchIndex", "live_index", "parsed_targeting"]

logger = logging.getLogger("qiyun.policy")

_PUBLISHED = PolicyStatus.published.value  # a constant of ours, safe to put in the SQL text
_FINGERPRINT_SQL = {
    # extract(epoch ...) is numeric on PostgreSQL 14+: the sum is exact to the microsecond.
    "postgres": "SELECT count(*) AS n, coalesce(sum(id), 0) AS ids, coalesce(sum(extract(epoch FROM updated_at)), 0)"
    f" AS stamps, max(updated_at) AS latest FROM policy WHERE status = '{_PUBLISHED}'",
    # updated_at is text with its UTC offset (app.db); strftime('%s') reads the offset.
    "sqlite": "SELECT count(*) AS n, coalesce(sum(id), 0) AS ids,"
    " coalesce(sum(CAST(strftime('%s', updated_at) AS INTEGER)), 0) AS stamps, max(updated_at) AS latest"
    f" FROM policy WHERE status = '{_PUBLISHED}'",
}


@functools.lru_cache(maxsize=100_000)
def _parse(stored_json: str) -> Targeting:
    return Targeting.from_stored(json.loads(stored_json))


def parsed_targeting(stored: Any) -> Targeting:
    """A stored targeting (`Policy.targeting`) parsed, kept for the process by its canonical JSON:
    policies share targetings, and an index rebuild then re-validates only the new ones.
    Treat the result as read-only. Raises ValueError if it is not a valid targeting."""
    return _parse(json.dumps(stored, sort_keys=True, ensure_ascii=False, default=str))


class _Choice:
    """One list rule (districts, industry, size classes, ...): which policies have it, and which
    allow each value. A policy without the rule allows everything."""

    __slots__ = ("restricted", "allowing")

    def __init__(self) -> None:
        self.restricted: set[int] = set()
        self.allowing: defaultdict[Any, set[int]] = defaultdict(set)

    def add(self, policy_id: int, values: Iterable[Any]) -> None:
        for value in values:
            self.restricted.add(policy_id)
            self.allowing[value].add(policy_id)

    def excluding(self, values: Iterable[Any]) -> set[int]:
        """The policies whose rule allows none of `values`."""
        allowed = [self.allowing[value] for value in values if value in self.allowing]
        return self.restricted.difference(*allowed)


class _Bound:
    """One bound (e.g. minimum registered capital): the policies that have it, sorted by it."""

    __slots__ = ("values", "ids")

    def __init__(self, pairs: list[tuple[Any, int]]) -> None:
        pairs.sort()
        self.values = [value for value, _ in pairs]
        self.ids = [policy_id for _, policy_id in pairs]

    def above(self, value: Any) -> list[int]:
        """Policies whose bound is greater than `value`."""
        return self.ids[bisect_right(self.values, value):]

    def below(self, value: Any) -> list[int]:
        """Policies whose bound is less than `value`."""
        return self.ids[: bisect_left(self.values, value)]


@dataclass
class MatchIndex:
    """The published policies' rules as of `fingerprint`; `matching` finds one enterprise's policies."""

    fingerprint: tuple
    targetings: dict[int, Targeting]
    """policy id -> its rules, for the reasons of the policies returned"""
    order: list[int]
    """the policy ids, the more specific (more rules) first, then the newest, then the higher id"""
    rank: dict[int, int]
    """policy id -> its position in `order`"""
    expiry: _Bound
    districts: _Choice
    industry: _Choice
    size_classes: _Choice
    ownerships: _Choice
    lifecycle_stages: _Choice
    tags: _Choice
    min_years: dict[int, list[int]]
    """N -> the policies that require at least N years since establishment"""
    max_years: dict[int, list[int]]
    min_capital: _Bound
    max_capital: _Bound

    @classmethod
    def build(cls, fingerprint: tuple, rows: Iterable[tuple[int, Any, date | None, date | None]]) -> "MatchIndex":
        """From (id, stored targeting, publish date, expiry date) of each published policy. A
        targeting that does not parse is left out with a warning: it matches nobody, as before."""
        index = cls(
            fingerprint=fingerprint, targetings={}, order=[], rank={}, expiry=_Bound([]),
            districts=_Choice(), industry=_Choice(), size_classes=_Choice(), ownerships=_Choice(),
            lifecycle_stages=_Choice(), tags=_Choice(), min_years=defaultdict(list), max_years=defaultdict(list),
            min_capital=_Bound([]), max_capital=_Bound([]),
        )  # fmt: skip
        ranking: list[tuple[int, date, int]] = []
        expiries: list[tuple[date, int]] = []
        min_capital: list[tuple[Decimal, int]] = []
        max_capital: list[tuple[Decimal, int]] = []
        for policy_id, stored, published, expires in rows:
            try:
                targeting = parsed_targeting(stored)
            except ValueError:
                logger.warning("policy %s has unreadable targeting, skipped in matching", policy_id)
                continue
            index.targetings[policy_id] = targeting
            ranking.append((targeting.dimensions(), published or date.min, policy_id))
            if expires is not None:
                expiries.append((expires, policy_id))
            index.districts.add(policy_id, (district.value for district in targeting.districts))
            index.industry.add(policy_id, (("section", section) for section in targeting.industry_sections))
            index.industry.add(policy_id, (("division", division) for division in targeting.industry_divisions))
            index.size_classes.add(policy_id, (size.value for size in targeting.size_classes))
            index.ownerships.add(policy_id, (ownership.value for ownership in targeting.ownerships))
            index.lifecycle_stages.add(policy_id, (stage.value for stage in targeting.lifecycle_stages))
            index.tags.add(policy_id, targeting.tags)
            if targeting.min_years_established is not None:
                index.min_years[targeting.min_years_established].append(policy_id)
            if targeting.max_years_established is not None:
                index.max_years[targeting.max_years_established].append(policy_id)
            if targeting.min_registered_capital is not None:
                min_capital.append((targeting.min_registered_capital, policy_id))
            if targeting.max_registered_capital is not None:
                max_capital.append((targeting.max_registered_capital, policy_id))
        ranking.sort(reverse=True)
        index.order = [policy_id for _, _, policy_id in ranking]
        index.rank = {policy_id: position for position, policy_id in enumerate(index.order)}
        index.expiry = _Bound(expiries)
        index.min_capital, index.max_capital = _Bound(min_capital), _Bound(max_capital)
        index.min_years, index.max_years = dict(index.min_years), dict(index.max_years)
        return index

    def matching(self, enterprise: Enterprise, *, today: date, limit: int | None = None) -> list[int]:
        """The ids of the policies `enterprise` qualifies for that have not expired by `today`, in
        `order`; the first `limit` of them if given."""
        excluded: set[int] = set(self.expiry.below(today))  # expiry date before today
        if self.districts.restricted:
            excluded |= self.districts.excluding([District(enterprise.district).value])
        if self.industry.restricted:
            excluded |= self.industry.excluding(
                [("section", enterprise.industry_section), ("division", enterprise.industry_division)]
            )
        if self.size_classes.restricted:
            excluded |= self.size_classes.excluding([SizeClass(enterprise.size_class).value])
        if self.ownerships.restricted:
            excluded |= self.ownerships.excluding([Ownership(enterprise.ownership).value])
        if self.lifecycle_stages.restricted:
            excluded |= self.lifecycle_stages.excluding([LifecycleStage(enterprise.lifecycle_stage).value])
        if self.tags.restricted:
            excluded |= self.tags.excluding(set(enterprise.tags or ()))
        established = enterprise.established_on
        for years, policy_ids in self.min_years.items():
            if established > years_before(today, years):
                excluded.update(policy_ids)
        for years, policy_ids in self.max_years.items():
            if established < years_before(today, years):
                excluded.update(policy_ids)
        if self.min_capital.ids or self.max_capital.ids:
            capital = Decimal(enterprise.registered_capital)
            excluded.update(self.min_capital.above(capital))
            excluded.update(self.max_capital.below(capital))
        rank = self.rank
        positions = sorted(rank[policy_id] for policy_id in rank.keys() - excluded)
        if limit is not None:
            positions = positions[:limit]
        return [self.order[position] for position in positions]


_index: MatchIndex | None = None
_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}


async def live_index() -> MatchIndex:
    """This process's index of the published policies, rebuilt first if the database has changed
    since it was built (by this or any other process): one small aggregate query when it has not."""
    fingerprint = await _fingerprint()
    index = _index
    if index is not None and index.fingerprint == fingerprint:
        return index
    async with _lock():  # one rebuild at a time in this process; the others wait and use it
        fingerprint = await _fingerprint()
        index = _index
        if index is not None and index.fingerprint == fingerprint:
            return index
        return await _rebuild(fingerprint)


async def _fingerprint() -> tuple:
    client = connections.get("default")
    _, rows = await client.execute_query(_FINGERPRINT_SQL[client.capabilities.dialect])
    row = rows[0]
    return (row["n"], row["ids"], row["stamps"], str(row["latest"]))


async def _rebuild(fingerprint: tuple) -> MatchIndex:
    """Read after the fingerprint, so the rows are at least as new as it: a change committed in
    between makes the next call's fingerprint differ and rebuild again, never a stale index."""
    global _index
    rows = await Policy.filter(status=PolicyStatus.published).values_list("id", "targeting", "publish_date", "expiry_date")
    index = MatchIndex.build(fingerprint, rows)
    _index = index
    return index


def _lock() -> asyncio.Lock:
    """A lock per event loop (an asyncio.Lock is bound to the loop it first waits in; tests and
    command-line runs start several loops in one process)."""
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        for stale in [other for other in _locks if other.is_closed()]:
            del _locks[stale]
        lock = _locks[loop] = asyncio.Lock()
    return lock
