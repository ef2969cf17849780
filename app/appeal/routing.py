"""Who should handle an appeal: dispatch suggestions, rules first, then similar past appeals.

A dispatcher decides; this only proposes, with a reason in Chinese next to each proposal:

1. **Rules** (`AppealRoutingRule`, kept by the coordination office). A rule matches when
   every condition it sets matches: its category, its district, and (if it lists keywords)
   at least one keyword in the appeal's title and description. The more conditions a rule
   sets, the more specific it is and the earlier it comes; among equally specific rules the
   higher priority comes first.
2. **Similar past appeals**: the appeals that were answered (replied or closed) by a lead
   organisation, compared with this one by TF-IDF cosine (`app.appeal.similarity`); the ten
   nearest vote for their lead organisation with their similarity, slightly boosted when
   they share this appeal's category.
3. When no rule matched, the category's usual organisation (`Category.default_organisation`)
   as a last resort.

Each organisation is proposed once, under its first reason. Inactive rules and inactive
organisations are never proposed.

The similarity corpus (the most recent `CORPUS_SIZE` answered appeals) is built on first use
and then kept for `CORPUS_TTL_SECONDS` in the process. That is a per-process cache of
derived, read-only data, which the architecture allows: a suggestion is advisory, so an
index ten minutes stale, or different between two workers, does no harm, and nothing is
ever written through it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tortoise.expressions import Q

from app.appeal.categories import CATEGORIES
from app.appeal.models import Appeal, AppealRoutingRule, AppealStatus, CloseReason
from app.appeal.similarity import TfidfIndex
from app.enterprise.reference import District
from app.organisation.models import Organisation
from app.policy import segment

__all__ = [
    "CORPUS_SIZE",
    "CORPUS_TTL_SECONDS",
    "Suggestion",
    "clear_corpus_cache",
    "rule_keywords",
    "suggest_organisations",
]

#: How many of the most recent answered appeals the similarity vote draws on.
CORPUS_SIZE = 3000
#: How long a process keeps its similarity corpus before reading the appeals again.
CORPUS_TTL_SECONDS = 600.0
#: How many nearest past appeals vote.
NEIGHBOURS = 10
#: Below this cosine a past appeal shares only a word or two with this one: it gets no vote.
MIN_SIMILARITY = 0.1
#: A past appeal of the same category counts this much more: category is the enterprise's own
#: description of the matter, so it breaks near-ties, but the text decides.
SAME_CATEGORY_BOOST = 1.2

_KEYWORD_SEPARATORS = re.compile(r"[、,，]")


@dataclass(frozen=True)
class Suggestion:
    """One organisation proposed to lead an appeal.

    `score` orders suggestions of one source: for a rule, the number of conditions it matched
    (0 for a category's usual organisation); for similar appeals, their summed similarity.
    """

    organisation_id: int
    organisation_name: str
    score: float
    reason: str
    source: Literal["rule", "similar"]


@dataclass(frozen=True)
class _Past:
    organisation_id: int
    number: str
    category: str


@dataclass(frozen=True)
class _Corpus:
    index: TfidfIndex[int]
    appeals: dict[int, _Past]
    built_at: float


_corpus: _Corpus | None = None
_lock: asyncio.Lock | None = None
_lock_loop: asyncio.AbstractEventLoop | None = None


def clear_corpus_cache() -> None:
    """Forget this process's similarity corpus (tests, or after a bulk import of past appeals)."""
    global _corpus
    _corpus = None


def rule_keywords(keywords: str) -> list[str]:
    """A rule's keywords: separated by 、 or a comma (half- or full-width), blanks dropped."""
    return [word.strip() for word in _KEYWORD_SEPARATORS.split(keywords) if word.strip()]


async def suggest_organisations(
    *, category: str, district: str | None, text: str, limit: int = 3
) -> list[Suggestion]:
    """Up to `limit` organisations to lead an appeal, best first (see the module docstring).

    `text` is the appeal's title and description; `district` a GB/T 2260 code or None.
    """
    if limit <= 0:
        return []
    suggestions: list[Suggestion] = []
    rule_suggestions = await _from_rules(category=category, district=district, text=text)
    _extend(suggestions, rule_suggestions, limit)
    if len(suggestions) < limit:
        _extend(suggestions, await _from_similar(category=category, text=text), limit)
    if not rule_suggestions and len(suggestions) < limit:
        _extend(suggestions, await _from_category(category), limit)
    return suggestions


def _extend(suggestions: list[Suggestion], more: Sequence[Suggestion], limit: int) -> None:
    seen = {suggestion.organisation_id for suggestion in suggestions}
    for suggestion in more:
        if len(suggestions) >= limit:
            return
        if suggestion.organisation_id not in seen:
            seen.add(suggestion.organisation_id)
            suggestions.append(suggestion)


# -- rules ----------------------------------------------------------------------------


async def _from_rules(*, category: str, district: str | None, text: str) -> list[Suggestion]:
    query = AppealRoutingRule.filter(is_active=True, organisation__is_active=True).filter(
        Q(category="") | Q(category=category)
    )
    if district:
        query = query.filter(Q(district__isnull=True) | Q(district=district))
    else:
        query = query.filter(district__isnull=True)
    rules = await query.select_related("organisation").order_by("id")
    haystack = segment.normalise(text)
    matched: list[tuple[int, int, int, str, AppealRoutingRule]] = []
    for rule in rules:
        conditions: list[str] = []
        if rule.category:
            conditions.append(f"类别「{_category_label(rule.category)}」")
        if rule.district:
            conditions.append(District(rule.district).label)
        keywords = rule_keywords(rule.keywords)
        if keywords:
            keyword = next((word for word in keywords if segment.normalise(word) in haystack), None)
            if keyword is None:
                continue
            conditions.append(f"关键词「{keyword}」")
        reason = "规则：" + (_joined(conditions) if conditions else "适用于全部诉求")
        matched.append((-len(conditions), -rule.priority, rule.id, reason, rule))
    matched.sort(key=lambda item: item[:3])
    return [
        Suggestion(
            organisation_id=rule.organisation.id,
            organisation_name=rule.organisation.name,
            score=float(-specificity),
            reason=reason,
            source="rule",
        )
        for specificity, _, _, reason, rule in matched
    ]


def _joined(conditions: Sequence[str]) -> str:
    """类别「融资贷款」+ 浦东新区 + 关键词「贷款」: no space after a closing corner bracket."""
    text = conditions[0]
    for condition in conditions[1:]:
        text += ("+ " if text.endswith("」") else " + ") + condition
    return text


def _category_label(code: str) -> str:
    category = CATEGORIES.get(code)
    return category.label if category else code


# -- similar past appeals -------------------------------------------------------------


async def _from_similar(*, category: str, text: str) -> list[Suggestion]:
    corpus = await _current_corpus()
    if not len(corpus.index):
        return []
    neighbours = corpus.index.similar(text, limit=NEIGHBOURS * 3, threshold=MIN_SIMILARITY)
    boosted = sorted(
        (
            (score * SAME_CATEGORY_BOOST if corpus.appeals[key].category == category else score, key)
            for key, score in neighbours
        ),
        reverse=True,
    )[:NEIGHBOURS]
    votes: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    example: dict[int, str] = {}
    for score, key in boosted:
        past = corpus.appeals[key]
        votes[past.organisation_id] += score
        counts[past.organisation_id] += 1
        example.setdefault(past.organisation_id, past.number)  # the nearest one
    if not votes:
        return []
    names = dict(
        await Organisation.filter(id__in=list(votes), is_active=True).values_list("id", "name")
    )
    ranked = sorted((organisation for organisation in votes if organisation in names), key=lambda o: (-votes[o], o))
    return [
        Suggestion(
            organisation_id=organisation,
            organisation_name=names[organisation],
            score=votes[organisation],
            reason=f"与 {counts[organisation]} 件历史诉求相似（如 {example[organisation]}）",
            source="similar",
        )
        for organisation in ranked
    ]


async def _current_corpus() -> _Corpus:
    corpus = _corpus
    if corpus is not None and time.monotonic() - corpus.built_at < CORPUS_TTL_SECONDS:
        return corpus
    async with _build_lock():
        # Whoever waited on the lock finds the corpus the first caller just built.
        corpus = _corpus
        if corpus is not None and time.monotonic() - corpus.built_at < CORPUS_TTL_SECONDS:
            return corpus
        return await _build_corpus()


async def _build_corpus() -> _Corpus:
    global _corpus
    rows = (
        await Appeal.filter(
            lead_organisation_id__isnull=False, status__in=[AppealStatus.replied, AppealStatus.closed]
        )
        # A merged appeal was answered through the one it was merged into: it would vote twice.
        .filter(Q(close_reason__isnull=True) | ~Q(close_reason=CloseReason.merged))
        .order_by("-created_at", "-id")
        .limit(CORPUS_SIZE)
        .values("id", "number", "category", "title", "description", "lead_organisation_id")
    )
    # Cutting ~3,000 texts into words takes jieba a few seconds the first time (later rebuilds
    # find most texts' words memoised): not on the event loop.
    await segment.ensure_ready()
    documents = [(row["id"], f"{row['title']}\n{row['description']}") for row in rows]
    index = await asyncio.to_thread(TfidfIndex, documents)
    appeals = {
        row["id"]: _Past(organisation_id=row["lead_organisation_id"], number=row["number"], category=row["category"])
        for row in rows
    }
    corpus = _Corpus(index=index, appeals=appeals, built_at=time.monotonic())
    _corpus = corpus
    return corpus


def _build_lock() -> asyncio.Lock:
    """One rebuild at a time per event loop (a lock belongs to the loop it is first used on)."""
    global _lock, _lock_loop
    loop = asyncio.get_running_loop()
    if _lock is None or _lock_loop is not loop:
        _lock, _lock_loop = asyncio.Lock(), loop
    return _lock


# -- the category's usual organisation ------------------------------------------------


async def _from_category(category: str) -> list[Suggestion]:
    known = CATEGORIES.get(category)
    if known is None:
        return []
    organisation = await Organisation.filter(code=known.default_organisation, is_active=True).first()
    if organisation is None:
        return []
    return [
        Suggestion(
            organisation_id=organisation.id,
            organisation_name=organisation.name,
            score=0.0,
            reason=f"类别「{known.label}」的常规承办单位",
            source="rule",
        )
    ]
