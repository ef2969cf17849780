"""Similarity between appeals (`app.appeal.similarity`), on texts as enterprises write them.

Four enterprises in the same park chase the same delayed 厂房租金补贴, three wait for 用电报装
and 电力增容, one asks about a school place: what a dispatcher and the coordination office
expect to see grouped and flagged.
"""

from __future__ import annotations

import itertools

import pytest

from app.appeal.similarity import Cluster, TfidfIndex, cluster, find_duplicates, hot_words, tokens

RENT = {
    1: "2025年度厂房租金补贴至今未拨付\n我司在临港产业园租赁厂房，2025年度厂房租金补贴已于3月公示，"
    "至今未拨付到账，请协调区经委尽快拨付。",
    2: "厂房租金补贴公示后迟迟不到账\n本公司申报的2025年度厂房租金补贴已经公示，经委说资金在走财政流程，"
    "半年了补贴还没有拨付到账。",
    3: "询问厂房租金补贴拨付时间\n我们是园区内的小微企业，去年申报的厂房租金补贴公示通过后一直没有拨付，"
    "想了解补贴资金什么时候到账。",
    4: "厂房租金补贴申报通过但未兑现\n我司按通知申报了厂房租金补贴并通过审核公示，但补贴资金至今没有到账，"
    "企业经营困难，请帮助催办拨付。",
}
POWER = {
    5: "新建厂房用电报装进度缓慢\n我司新建厂房已竣工，向供电公司申请用电报装和电力增容，两个月了还没有安排"
    "现场勘查和接电，设备无法投产。",
    6: "电力增容申请迟迟没有答复\n企业扩大产能需要电力增容，已向供电公司提交用电报装申请，至今没有确定接电"
    "时间和供电方案，新生产线无法投产。",
    7: "用电报装后供电公司迟迟不接电\n公司厂房新装变压器办理了用电报装，供电公司说需要电力增容改造线路，"
    "一直没有接电，生产线无法投产。",
}
SCHOOL = {
    8: "员工子女入学咨询\n我司引进的技术骨干持有居住证，其子女今年秋季需要在区内入读小学，想了解学位申请条件"
    "和办理流程。",
}
#: Appeal 1's enterprise writing again a week later about the same subsidy.
RENT_AGAIN = (
    "厂房租金补贴到现在还没拨付\n我司在临港产业园租赁厂房，2025年度的厂房租金补贴3月份就公示了，"
    "到现在还没有拨付到账，请区经委尽快拨付。"
)

OPEN_APPEALS = sorted({**RENT, **POWER, **SCHOOL}.items())


# -- words ----------------------------------------------------------------------------


def test_words_keep_the_topic_and_drop_the_rest() -> None:
    words = tokens("我司申请的厂房租金补贴至今未拨付，希望尽快解决问题。2025年")
    assert {"厂房", "租金", "补贴", "租金补贴", "拨付"} <= set(words)
    assert not {"希望", "问题", "至今", "尽快", "2025", "我司"} & set(words)
    assert all(len(word) > 1 for word in words)


def test_appeal_terms_jieba_would_cut_wrongly_stay_whole() -> None:
    words = tokens("新建厂房用电报装进度缓慢")
    assert {"用电报装", "用电", "报装"} <= set(words)
    assert "电报" not in words  # 用 电报 装 is what the general dictionary makes of it


def test_empty_text_has_no_words() -> None:
    assert tokens("") == []
    assert tokens("？？？ 123") == []


# -- the index ------------------------------------------------------------------------


def test_a_text_is_most_similar_to_itself_and_then_to_its_topic() -> None:
    index = TfidfIndex(OPEN_APPEALS)
    found = index.similar(POWER[6], limit=3)
    assert found[0][0] == 6 and found[0][1] == pytest.approx(1.0)
    assert {key for key, _ in found[1:]} == {5, 7}
    assert [score for _, score in found] == sorted((score for _, score in found), reverse=True)


def test_only_documents_sharing_a_word_are_returned() -> None:
    index = TfidfIndex(OPEN_APPEALS)
    assert index.similar("完全无关的火星探测话题", limit=10) == []


def test_a_threshold_and_a_limit_cut_the_results() -> None:
    index = TfidfIndex(OPEN_APPEALS)
    assert len(index.similar(RENT[2], limit=2)) == 2
    assert all(score >= 0.45 for _, score in index.similar(RENT[2], limit=10, threshold=0.45))


def test_keys_must_be_unique() -> None:
    with pytest.raises(ValueError):
        TfidfIndex([(1, RENT[1]), (1, RENT[2])])


def test_pairs_above_finds_exactly_the_pairs_a_full_comparison_finds() -> None:
    index = TfidfIndex([*OPEN_APPEALS, (9, RENT_AGAIN)])
    keys = index.keys()
    for threshold in (0.05, 0.2, 0.45, 0.6):
        everything = {
            (a, b)
            for a, b in itertools.combinations(keys, 2)
            if sum(w * index.weights(b).get(t, 0.0) for t, w in index.weights(a).items()) >= threshold
        }
        found = {tuple(sorted((a, b))) for a, b, _ in index.pairs_above(threshold)}
        assert found == everything, threshold


# -- duplicates -----------------------------------------------------------------------


def test_a_resubmission_is_flagged_as_a_duplicate_of_the_open_appeal() -> None:
    found = find_duplicates(RENT_AGAIN, OPEN_APPEALS)
    assert [key for key, _ in found] == [1]
    assert found[0][1] >= 0.6


def test_other_enterprises_with_the_same_topic_are_not_duplicates() -> None:
    # Same subsidy, different enterprises and wording: related, but below the duplicate threshold.
    scores = dict(find_duplicates(RENT_AGAIN, OPEN_APPEALS, threshold=0.0, limit=10))
    assert all(0.2 < scores[key] < 0.6 for key in (2, 3, 4))


def test_an_unrelated_appeal_is_far_below_the_threshold() -> None:
    scores = dict(find_duplicates(SCHOOL[8], sorted({**RENT, **POWER}.items()), threshold=0.0, limit=10))
    assert max(scores.values(), default=0.0) < 0.15
    assert find_duplicates(SCHOOL[8], sorted({**RENT, **POWER}.items())) == []


def test_no_candidates_no_duplicates() -> None:
    assert find_duplicates(RENT_AGAIN, []) == []


# -- topics ---------------------------------------------------------------------------


def test_clusters_group_the_rent_subsidy_and_the_power_connection_appeals() -> None:
    clusters = cluster(OPEN_APPEALS)
    assert [c.keys for c in clusters] == [(1, 2, 3, 4), (5, 6, 7)]
    assert [c.size for c in clusters] == [4, 3]
    rent, power = clusters
    assert {"租金", "补贴"} <= set(rent.hot_words)
    assert {"用电报装", "电力增容"} <= set(power.hot_words)
    assert len(rent.hot_words) == 8


def test_a_lone_appeal_is_in_no_cluster_unless_singletons_are_asked_for() -> None:
    assert all(8 not in c.keys for c in cluster(OPEN_APPEALS))
    singletons = cluster(OPEN_APPEALS, min_size=1)
    assert Cluster(keys=(8,), hot_words=singletons[-1].hot_words) == singletons[-1]


def test_a_higher_threshold_splits_a_topic() -> None:
    clusters = cluster(OPEN_APPEALS, threshold=0.9)
    assert clusters == []


def test_hot_words_of_a_period_lead_with_the_rent_subsidy() -> None:
    words = hot_words([text for _, text in OPEN_APPEALS], limit=6)
    assert len(words) == 6
    assert {"租金", "补贴"} <= set(words[:4])
    assert "子女" not in words
