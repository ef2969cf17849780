"""Reputation: the Bayesian score with recency, what is shown, and the ranking it gives."""

from __future__ import annotations

import pytest

from app.engagement.models import EngagementStatus
from app.provider import queries
from app.provider.management import refresh_provider
from app.provider.models import Provider
from app.provider.reputation import bayesian, rating_flags, recency_weight

from .factories import add_engagements, add_ratings, admitted_provider


def test_the_bayesian_average_pulls_few_ratings_towards_the_prior():
    assert bayesian(v=0, r=0, m=10, c=4.0) == 4.0
    assert bayesian(v=10, r=5.0, m=10, c=4.0) == pytest.approx(4.5)
    assert bayesian(v=1000, r=3.0, m=10, c=4.0) == pytest.approx(3.0099, abs=1e-4)


def test_a_rating_one_half_life_old_counts_half():
    assert recency_weight(0, half_life_days=365) == 1.0
    assert recency_weight(365, half_life_days=365) == pytest.approx(0.5)
    assert recency_weight(730, half_life_days=365) == pytest.approx(0.25)


async def test_three_five_star_ratings_do_not_outrank_two_hundred_averaging_4_7(db, settings):
    newcomer, _ = await admitted_provider(name="上海新秀知识产权代理有限公司")
    veteran, _ = await admitted_provider(name="上海老牌知识产权代理有限公司")
    await add_ratings(newcomer, [5, 5, 5])
    await add_ratings(veteran, [5] * 140 + [4] * 60)  # 200 ratings, mean 4.7

    for provider in (newcomer, veteran):
        await refresh_provider(provider_id=provider.id, settings=settings)
    page = await queries.public_list(category="ip")

    assert [p.id for p in page.items] == [veteran.id, newcomer.id]
    shown = {p.id: queries.reputation_of(p) for p in page.items}
    assert shown[veteran.id].rating_count == 200 and not shown[veteran.id].few_ratings
    assert shown[veteran.id].raw_average == pytest.approx(4.7)
    assert shown[newcomer.id].rating_count == 3 and shown[newcomer.id].few_ratings  # 评价较少
    # Sorting by rating count agrees; newest puts the later admission first.
    assert [p.id for p in (await queries.public_list(sort="ratings")).items] == [veteran.id, newcomer.id]


async def test_recent_ratings_weigh_more_than_old_ones(db, settings):
    recovered, _ = await admitted_provider()
    declined, _ = await admitted_provider()
    await add_ratings(recovered, [2] * 10, age_days=1500)
    await add_ratings(recovered, [5] * 10)
    await add_ratings(declined, [5] * 10, age_days=1500)
    await add_ratings(declined, [2] * 10)

    for provider in (recovered, declined):
        await refresh_provider(provider_id=provider.id, settings=settings)
    a, b = await Provider.get(id=recovered.id), await Provider.get(id=declined.id)

    assert a.raw_average == b.raw_average == pytest.approx(3.5)
    assert a.score > b.score


async def test_dimensions_and_completion_rate_are_kept_with_the_score(db, settings):
    provider, _ = await admitted_provider()
    await add_ratings(provider, [4, 5], dimensions={"专业能力": 5, "响应速度": 3, "服务态度": 4, "收费合理": 4})
    await add_engagements(provider, status=EngagementStatus.cancelled, count=1, closed_by_role="provider")
    await add_engagements(provider, status=EngagementStatus.cancelled, count=3, closed_by_role="enterprise")
    await add_engagements(provider, status=EngagementStatus.declined, count=1, closed_by_role="provider")

    await refresh_provider(provider_id=provider.id, settings=settings)
    provider = await Provider.get(id=provider.id)

    assert provider.dimension_averages == {"专业能力": 5.0, "响应速度": 3.0, "服务态度": 4.0, "收费合理": 4.0}
    # 2 completed (the rated ones) / (2 completed + 1 cancelled by the provider + 1 declined);
    # the enterprise's own cancellations are nobody's failure.
    assert provider.completion_rate == pytest.approx(0.5)
    assert provider.completion_counts == {"completed": 2, "failed": 2}


async def test_excluded_and_held_ratings_do_not_count(db, settings):
    provider, _ = await admitted_provider()
    ratings = await add_ratings(provider, [5, 5, 1])
    await type(ratings[2]).filter(id=ratings[2].id).update(counts=False)

    await refresh_provider(provider_id=provider.id, settings=settings)

    provider = await Provider.get(id=provider.id)
    assert provider.rating_count == 2 and provider.raw_average == 5.0


class _R:
    def __init__(self, id, overall, enterprise_id, counts=True):
        self.id, self.overall, self.enterprise_id, self.counts = id, overall, enterprise_id, counts


def test_outliers_from_one_enterprise_are_flagged_for_staff():
    ratings = [_R(i, 4, 100 + i) for i in range(1, 8)]
    ratings += [_R(20, 1, 7), _R(21, 5, 9), _R(22, 5, 9), _R(23, 5, 9), _R(24, 5, 9)]

    flags = rating_flags(ratings)

    assert "相差较大" in flags[20][0]  # 1 star against a mean of about 4.4
    assert all("同一企业评价 4 次" in flags[i][0] for i in (21, 22, 23, 24))  # 4 of 12
    assert 1 not in flags
    assert rating_flags(ratings[:4]) == {}  # too few to judge
