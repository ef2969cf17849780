"""统一社会信用代码 per GB 32100-2015: real codes pass, every kind of mistake is named."""

from __future__ import annotations

import random

import pytest

from app.enterprise import credit_code
from app.enterprise.credit_code import CHARSET, InvalidCreditCode

# Published codes of well-known enterprises (Tencent, Huawei, Baidu, Alibaba, Xiaomi, SAIC,
# BYD, CNPC): real-world evidence for both check characters, not just our own arithmetic.
KNOWN_VALID = (
    "9144030071526726XG",
    "914403001922038216",
    "91110000802100433B",
    "91330100716105852F",
    "91110108558521630L",
    "91310000132260250X",
    "91440300192317458F",
    "91110000100010433L",
)


def reason(code: str) -> str:
    with pytest.raises(InvalidCreditCode) as caught:
        credit_code.validate(code)
    return caught.value.reason


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_published_codes_are_valid(code: str) -> None:
    credit_code.validate(code)
    assert credit_code.is_valid(code)
    assert credit_code.check_character(code[:17]) == code[17]
    assert credit_code.organisation_check_character(code[8:16]) == code[16]


def test_check_characters_of_a_known_code() -> None:
    # Tencent: organisation code 71526726-X, the credit code's own check character G.
    assert credit_code.organisation_check_character("71526726") == "X"
    assert credit_code.check_character("9144030071526726X") == "G"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("", "统一社会信用代码为空"),
        ("9144030071526726X", "统一社会信用代码应为18位，实际为17位"),
        ("9144030071526726XGG", "统一社会信用代码应为18位，实际为19位"),
        ("914403007152I726XG", "第13位「I」不是合法字符（统一社会信用代码不使用字母 I、O、Z、S、V）"),
        ("9144030071526726xG", "第17位「x」是小写字母（应为大写）"),
        ("91440300715267-6XG", "第15位「-」不是合法字符（只允许数字和除 I、O、Z、S、V 以外的大写字母）"),
        ("B144030071526726XG", "第1位登记管理部门代码「B」不存在（应为 1、2、3、4、5、6、7、8、9、A、N、Y 之一）"),
        ("9444030071526726XG", "第2位机构类别代码「4」不适用于登记管理部门「9 工商」（可用：1 企业、2 个体工商户、3 农民专业合作社）"),
        ("Y244030071526726XG", "第2位机构类别代码「2」不适用于登记管理部门「Y 其他」（可用：1 其他）"),
        ("9144A30071526726XG", "第3–8位登记管理机关行政区划码「44A300」应为6位数字"),
        ("9199030071526726XG", "第3–8位登记管理机关行政区划码「990300」不是有效的行政区划代码（省级代码「99」不存在）"),
        ("91440300715267261G", "第17位组织机构代码校验码错误：主体标识码「715267261」的校验码应为「X」，实际为「1」"),
        ("9144030071526726XH", "第18位校验码错误：应为「G」，实际为「H」"),
    ],
)
def test_each_mistake_is_named(code: str, expected: str) -> None:
    assert reason(code) == expected
    assert not credit_code.is_valid(code)


def test_mistakes_are_reported_by_position_even_when_the_check_character_is_recomputed() -> None:
    # A forged code with a correct 18th character still fails on what it gets wrong.
    first17 = "9" + "4" + "310115" + "71526726" + "X"
    assert reason(first17 + credit_code.check_character(first17)).startswith("第2位机构类别代码「4」")
    first17 = "91310115" + "71526726" + "3"
    assert reason(first17 + credit_code.check_character(first17)).startswith("第17位组织机构代码校验码错误")


@pytest.mark.parametrize("code", KNOWN_VALID[:3])
def test_every_single_character_substitution_is_caught(code: str) -> None:
    for position in range(18):
        for char in CHARSET:
            if char != code[position]:
                mutated = code[:position] + char + code[position + 1 :]
                assert not credit_code.is_valid(mutated), mutated


def test_normalise_accepts_codes_as_people_paste_them() -> None:
    assert credit_code.normalise(" 9144 0300 7152 6726xg\u3000") == "9144030071526726XG"
    assert credit_code.normalise("９１４４０３００７１５２６７２６ＸＧ") == "9144030071526726XG"  # full-width
    assert credit_code.normalise("") == ""


def test_non_enterprise_authorities_are_accepted() -> None:
    social_group = credit_code.compose(division="310000", body="50000001", authority="5", category="1")
    institution = credit_code.compose(division="100000", body="00001312", authority="1", category="2")
    assert social_group.startswith("51310000") and credit_code.is_valid(social_group)
    assert institution.startswith("12100000") and credit_code.is_valid(institution)


def test_generate_produces_valid_codes_in_the_division_deterministically() -> None:
    codes = [credit_code.generate(random.Random(7), division="310104") for _ in range(3)]
    assert len(set(codes)) == 1  # same seed, same code
    rng = random.Random(42)
    generated = [credit_code.generate(rng, division="310104") for _ in range(2000)]
    assert all(credit_code.is_valid(code) and code.startswith("91310104") for code in generated)
    assert len(set(generated)) == len(generated)
    individual = credit_code.generate(rng, division="310151", category="2")
    assert individual.startswith("92310151") and credit_code.is_valid(individual)


def test_compose_refuses_what_it_cannot_make_valid() -> None:
    with pytest.raises(InvalidCreditCode, match="第2位机构类别代码"):
        credit_code.compose(division="310115", body="12345678", authority="9", category="9")
