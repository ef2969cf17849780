"""Which enterprises a policy is for: targeting rules over the register, in both directions.

* For a policy: its audience, as a query over the register (`enterprise_query`,
  `audience_count`), so a push and its preview count the same rows. Every rule is a
  condition on an indexed column of `enterprise` (tags through the indexed
  `enterprise_tag` rows), so counting a million enterprises stays well under a second
  on PostgreSQL.
* For an enterprise: the policies it qualifies for, each with the reasons in Chinese
  (`match_reasons`, `matched_policies`). The Python check and the SQL query implement
  the same rules; the tests hold them to each other, and `matched_policies` finds the
  policies through an index of their rules (`app.policy.match_index`) held to `match_reasons`.

The rules, all of which must hold (an empty list or None means "no restriction"):

* districts, size classes, ownerships, life-cycle stages: the enterprise's value is one of them;
* industry: the enterprise's section is in `industry_sections` OR its division is in
  `industry_divisions` (staff pick whole sections, single divisions, or both, e.g. "I, M
  and division 39 computer manufacturing": a union is the only reading that is useful);
* years since establishment, measured as elapsed time: `min_years_established = N` means
  established on or before today minus N years (成立满N年), `max_years_established = M`
  means established on or after today minus M years (成立M年以内). On the anniversary
  itself both hold. Counting back from a 29 February gives 28 February (so an enterprise
  founded on 29 February has its anniversaries on 1 March in common years);
* registered capital in 万元, both bounds inclusive;
* tags: the enterprise has any of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from app.enterprise import industry
from app.enterprise.models import Enterprise, EnterpriseTag
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.policy.models import Policy

__all__ = [
    "PolicyMatch",
    "Targeting",
    "audience_count",
    "describe_targeting",
    "enterprise_query",
    "match_reasons",
    "matched_policies",
    "years_before",
]

logger = logging.getLogger("qiyun.policy")

MAX_TAG_LENGTH = 30  # enterprise_tag.tag
MAX_YEARS = 200
EVERYONE_REASON = "面向全市企业，不限申报主体条件"


class Targeting(BaseModel):
    """A policy's targeting rules, stored in `Policy.targeting` as `model_dump(mode="json")`."""

    model_config = ConfigDict(extra="ignore")

    districts: list[District] = []
    industry_sections: list[str] = []
    industry_divisions: list[str] = []
    size_classes: list[SizeClass] = []
    ownerships: list[Ownership] = []
    lifecycle_stages: list[LifecycleStage] = []
    min_years_established: int | None = None
    max_years_established: int | None = None
    min_registered_capital: Decimal | None = None
    """万元, inclusive"""
    max_registered_capital: Decimal | None = None
    """万元, inclusive"""
    tags: list[str] = []
    """any of them"""

    @field_validator("districts", "size_classes", "ownerships", "lifecycle_stages")
    @classmethod
    def _distinct(cls, values: list) -> list:
        return list(dict.fromkeys(values))

    @field_validator("industry_sections")
    @classmethod
    def _sections(cls, values: list[str]) -> list[str]:
        sections = []
        for value in values:
            letter = str(value).strip().upper()
            if not industry.is_section(letter):
                raise ValueError(f"行业门类「{value}」不存在（应为 GB/T 4754-2017 的 A–T）")
            sections.append(letter)
        return list(dict.fromkeys(sections))

    @field_validator("industry_divisions")
    @classmethod
    def _divisions(cls, values: list[str]) -> list[str]:
        divisions = []
        for value in values:
            code = str(value).strip().zfill(2)
            if not industry.is_division(code):
                raise ValueError(f"行业大类「{value}」不存在（应为 GB/T 4754-2017 的 01–97）")
            divisions.append(code)
        return list(dict.fromkeys(divisions))

    @field_validator("tags")
    @classmethod
    def _tags(cls, values: list[str]) -> list[str]:
        tags = [str(value).strip() for value in values]
        for tag in tags:
            if len(tag) > MAX_TAG_LENGTH:
                raise ValueError(f"企业标签「{tag}」过长：{len(tag)}个字符，最多{MAX_TAG_LENGTH}个")
        return list(dict.fromkeys(tag for tag in tags if tag))

    @field_validator("min_years_established", "max_years_established")
    @classmethod
    def _years(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= MAX_YEARS:
            raise ValueError(f"成立年限应在 0 到 {MAX_YEARS} 年之间，而不是 {value}")
        return value

    @field_validator("min_registered_capital", "max_registered_capital")
    @classmethod
    def _capital(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and (not value.is_finite() or value < 0):
            raise ValueError(f"注册资本应为不小于 0 的数（万元），而不是 {value}")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> "Targeting":
        low, high = self.min_years_established, self.max_years_established
        if low is not None and high is not None and low > high:
            raise ValueError(f"成立年限下限（{low}年）大于上限（{high}年）")
        low_capital, high_capital = self.min_registered_capital, self.max_registered_capital
        if low_capital is not None and high_capital is not None and low_capital > high_capital:
            raise ValueError(f"注册资本下限（{_wan(low_capital)}）大于上限（{_wan(high_capital)}）")
        return self

    @classmethod
    def from_stored(cls, value: Any) -> "Targeting":
        """The targeting of a stored policy (`Policy.targeting`, possibly {} or None)."""
        return cls.model_validate(value or {})

    @property
    def is_everyone(self) -> bool:
        return self == Targeting()

    def dimensions(self) -> int:
        """How many rules restrict the audience: more means a more specific policy."""
        industry_rule = bool(self.industry_sections or self.industry_divisions)
        years = self.min_years_established is not None or self.max_years_established is not None
        capital = self.min_registered_capital is not None or self.max_registered_capital is not None
        lists = (self.districts, self.size_classes, self.ownerships, self.lifecycle_stages, self.tags)
        return sum(bool(values) for values in lists) + industry_rule + years + capital


def years_before(today: date, years: int) -> date:
    """The date `years` calendar years before `today` (29 February becomes 28 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def enterprise_query(targeting: Targeting, *, today: date) -> QuerySet[Enterprise]:
    """The enterprises of the register that `targeting` selects, as of `today` (an unevaluated queryset)."""
    query = Enterprise.all()
    if targeting.districts:
        query = query.filter(district__in=[district.value for district in targeting.districts])
    if targeting.industry_sections and targeting.industry_divisions:
        query = query.filter(
            Q(industry_section__in=targeting.industry_sections) | Q(industry_division__in=targeting.industry_divisions)
        )
    elif targeting.industry_sections:
        query = query.filter(industry_section__in=targeting.industry_sections)
    elif targeting.industry_divisions:
        query = query.filter(industry_division__in=targeting.industry_divisions)
    if targeting.size_classes:
        query = query.filter(size_class__in=[size.value for size in targeting.size_classes])
    if targeting.ownerships:
        query = query.filter(ownership__in=[ownership.value for ownership in targeting.ownerships])
    if targeting.lifecycle_stages:
        query = query.filter(lifecycle_stage__in=[stage.value for stage in targeting.lifecycle_stages])
    if targeting.min_years_established is not None:
        query = query.filter(established_on__lte=years_before(today, targeting.min_years_established))
    if targeting.max_years_established is not None:
        query = query.filter(established_on__gte=years_before(today, targeting.max_years_established))
    if targeting.min_registered_capital is not None:
        query = query.filter(registered_capital__gte=targeting.min_registered_capital)
    if targeting.max_registered_capital is not None:
        query = query.filter(registered_capital__lte=targeting.max_registered_capital)
    if targeting.tags:
        tagged = EnterpriseTag.filter(tag__in=targeting.tags).values("enterprise_id")
        query = query.filter(id__in=Subquery(tagged))
    return query


async def audience_count(*, targeting: Targeting, today: date) -> int:
    """How many enterprises of the register `targeting` selects: the figure shown before a push."""
    return await enterprise_query(targeting, today=today).count()


def match_reasons(targeting: Targeting, enterprise: Enterprise, *, today: date) -> list[str] | None:
    """Why `enterprise` qualifies, one Chinese reason per rule ("注册区：浦东新区"), or None if
    any rule excludes it. A policy for everyone gives one reason saying so."""
    reasons: list[str] = []
    if targeting.districts:
        district = District(enterprise.district)
        if district not in targeting.districts:
            return None
        reasons.append(f"注册区：{district.label}")
    if targeting.industry_sections or targeting.industry_divisions:
        section, division = enterprise.industry_section, enterprise.industry_division
        if division in targeting.industry_divisions:
            reasons.append(f"所属行业：{industry.division_label(division)}")
        elif section in targeting.industry_sections:
            reasons.append(f"所属行业：{industry.section_label(section)}")
        else:
            return None
    for values, value, name, suffix in (
        (targeting.size_classes, SizeClass(enterprise.size_class), "企业规模", ""),
        (targeting.ownerships, Ownership(enterprise.ownership), "所有制", ""),
        (targeting.lifecycle_stages, LifecycleStage(enterprise.lifecycle_stage), "生命周期", "期"),
    ):
        if values:
            if value not in values:
                return None
            reasons.append(f"{name}：{value.label}{suffix}")
    low, high = targeting.min_years_established, targeting.max_years_established
    if low is not None or high is not None:
        established = enterprise.established_on
        if low is not None and established > years_before(today, low):
            return None
        if high is not None and established < years_before(today, high):
            return None
        age = _full_years(established, today)
        elapsed = f"已成立{age}年" if age else "成立不满1年"
        reasons.append(f"成立年限：{established.year}年{established.month}月成立，{elapsed}（{_years_rule(low, high)}）")
    low_capital, high_capital = targeting.min_registered_capital, targeting.max_registered_capital
    if low_capital is not None or high_capital is not None:
        capital = Decimal(enterprise.registered_capital)
        if low_capital is not None and capital < low_capital:
            return None
        if high_capital is not None and capital > high_capital:
            return None
        reasons.append(f"注册资本：{_wan(capital)}（{_capital_rule(low_capital, high_capital)}）")
    if targeting.tags:
        held = [tag for tag in targeting.tags if tag in set(enterprise.tags or ())]
        if not held:
            return None
        reasons.append(f"企业标签：{'、'.join(held)}")
    return reasons or [EVERYONE_REASON]


def describe_targeting(targeting: Targeting) -> list[str]:
    """The rules in Chinese, one line per rule, for staff pages and the 惠企政策清单 ("不限" for everyone)."""
    lines = []
    if targeting.districts:
        lines.append("注册区：" + "、".join(district.label for district in targeting.districts))
    if targeting.industry_sections or targeting.industry_divisions:
        labels = [industry.section_label(section) for section in targeting.industry_sections]
        labels += [industry.division_label(division) for division in targeting.industry_divisions]
        lines.append("行业：" + "；".join(labels))
    for values, name in (
        (targeting.size_classes, "企业规模"),
        (targeting.ownerships, "所有制"),
        (targeting.lifecycle_stages, "生命周期"),
    ):
        if values:
            lines.append(f"{name}：" + "、".join(value.label for value in values))
    if targeting.min_years_established is not None or targeting.max_years_established is not None:
        lines.append("成立年限：" + _years_rule(targeting.min_years_established, targeting.max_years_established))
    if targeting.min_registered_capital is not None or targeting.max_registered_capital is not None:
        lines.append("注册资本：" + _capital_rule(targeting.min_registered_capital, targeting.max_registered_capital))
    if targeting.tags:
        lines.append("企业标签（具备其一）：" + "、".join(targeting.tags))
    return lines or ["不限"]


@dataclass
class PolicyMatch:
    policy: Policy
    reasons: list[str] = field(default_factory=list)


async def matched_policies(*, enterprise_id: int, today: date, limit: int | None = None) -> list[PolicyMatch]:
    """The published, unexpired policies `enterprise_id` qualifies for, with reasons; the more
    specific policies (more rules) first, then the newest; the first `limit` of them if given.
    Raises DoesNotExist for an unknown id.

    The policies are found in the process's index of the published policies' rules
    (`app.policy.match_index`, checked against the database's state on every call), so only the
    policies returned have their reasons worked out and are loaded whole with their issuers: at
    50,000 policies checking every live policy's rules took tens of seconds per enterprise."""
    from app.policy.match_index import live_index  # it builds on this module's rules

    enterprise = await Enterprise.get(id=enterprise_id)
    index = await live_index()
    found: list[tuple[int, list[str]]] = []
    for policy_id in index.matching(enterprise, today=today, limit=limit):
        reasons = match_reasons(index.targetings[policy_id], enterprise, today=today)
        if reasons is None:  # the index and the rules disagree: a bug, the rules win
            logger.error("policy %s matched enterprise %s by the index but not by its rules", policy_id, enterprise_id)
            continue
        found.append((policy_id, reasons))
    policies = {
        policy.id: policy
        for policy in await Policy.filter(id__in=[policy_id for policy_id, _ in found]).prefetch_related("issuing_organisations")
    }
    return [PolicyMatch(policies[policy_id], reasons) for policy_id, reasons in found if policy_id in policies]


# -- wording ------------------------------------------------------------------------------


def _full_years(established: date, today: date) -> int:
    years = today.year - established.year
    if (today.month, today.day) < (established.month, established.day):
        years -= 1
    return max(years, 0)


def _years_rule(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"要求成立{low}至{high}年"
    if low is not None:
        return f"要求成立满{low}年"
    return f"要求成立{high}年以内"


def _capital_rule(low: Decimal | None, high: Decimal | None) -> str:
    if low is not None and high is not None:
        return f"要求{_wan(low)}至{_wan(high)}"
    if low is not None:
        return f"要求不低于{_wan(low)}"
    return f"要求不超过{_wan(high)}"


def _wan(amount: Decimal) -> str:
    text = f"{Decimal(amount).normalize():f}"
    return f"{text}万元"

