"""Segmentation for policy search (`app.policy.segment`): jieba with the policy dictionary,
synonyms and stop words."""

from __future__ import annotations

import subprocess
import sys

from app.policy import segment
from app.policy.segment import analyse_query


def test_policy_terms_come_out_whole_with_the_words_inside_them():
    words = segment.segment("对符合条件的企业实行研发费用加计扣除")

    assert {"研发费用加计扣除", "研发费用", "加计扣除", "研发", "费用"} <= set(words)
    assert "专精特新" in segment.segment("专精特新小巨人企业")
    assert "首台套" in segment.segment("首台套保险补偿")


def test_punctuation_and_stop_words_are_dropped():
    assert segment.segment("有没有研发方面的补贴政策？") == ["研发", "补贴"]
    assert segment.segment("，。！？《》") == []


def test_full_width_and_upper_case_are_normalised():
    assert segment.segment("ＡＩ产业") == segment.segment("ai产业") == ["ai", "产业"]


def test_query_terms_carry_their_synonyms():
    terms = {term.term: term.alternatives for term in analyse_query("研发补贴")}

    assert list(terms) == ["研发", "补贴"]
    assert {"科研", "技术开发"} <= set(terms["研发"])
    assert {"资助", "扶持", "奖励", "补助"} <= set(terms["补贴"])


def test_synonyms_in_one_query_are_one_term():
    assert [term.term for term in analyse_query("补贴 资助 扶持")] == ["补贴"]


def test_single_characters_are_dropped_when_the_query_has_words():
    assert [term.term for term in analyse_query("科技型的小企业")] == ["科技型", "小企业", "科技"]
    assert [term.term for term in analyse_query("税")] == ["税"]


def test_a_long_query_keeps_its_whole_words():
    terms = [term.term for term in analyse_query("对符合条件的科技型中小企业给予研发费用加计扣除和贷款贴息以及人才公寓支持")]

    assert len(terms) == segment.MAX_QUERY_TERMS
    assert {"科技型中小企业", "研发费用加计扣除", "贷款贴息", "人才公寓"} <= set(terms)


def test_the_tokenizer_is_built_once_per_process():
    assert segment.tokenizer() is segment.tokenizer()
    assert segment.is_ready()


def test_loading_jieba_in_a_fresh_process_prints_nothing():
    result = subprocess.run(
        [sys.executable, "-c", "from app.policy.segment import segment; assert segment('专精特新') == ['专精', '专精特新']"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
