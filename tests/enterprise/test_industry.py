"""GB/T 4754-2017: which division belongs to which section, and reading them from exports."""

from __future__ import annotations

import pytest

from app.enterprise import industry
from app.enterprise.industry import InvalidIndustry


@pytest.mark.parametrize(
    ("section", "first", "last"),
    [("A", 1, 5), ("B", 6, 12), ("C", 13, 43), ("F", 51, 52), ("I", 63, 65), ("L", 71, 72), ("M", 73, 75), ("N", 76, 79), ("S", 91, 96), ("T", 97, 97)],
)
def test_sections_span_their_divisions(section: str, first: int, last: int) -> None:
    assert industry.divisions_of(section) == [f"{number:02d}" for number in range(first, last + 1)]
    assert industry.section_of(f"{first:02d}") == section
    assert industry.section_of(f"{last:02d}") == section


def test_every_division_01_to_97_has_a_name_and_exactly_one_section() -> None:
    assert list(industry.DIVISIONS) == [f"{number:02d}" for number in range(1, 98)]
    assert len(industry.SECTIONS) == 20
    covered = [division for section in industry.SECTIONS for division in industry.divisions_of(section)]
    assert covered == list(industry.DIVISIONS)


def test_labels() -> None:
    assert industry.section_label("I") == "I 信息传输、软件和信息技术服务业"
    assert industry.division_label("65") == "65 软件和信息技术服务业"
    assert industry.DIVISIONS["39"] == "计算机、通信和其他电子设备制造业"


@pytest.mark.parametrize("text", ["I", "i", " I ", "信息传输、软件和信息技术服务业", "I 信息传输、软件和信息技术服务业"])
def test_parse_section(text: str) -> None:
    assert industry.parse_section(text) == "I"


@pytest.mark.parametrize("text", ["65", "65 软件和信息技术服务业", "软件和信息技术服务业"])
def test_parse_division(text: str) -> None:
    assert industry.parse_division(text) == "65"


def test_a_division_that_lost_its_leading_zero_in_a_spreadsheet() -> None:
    assert industry.parse_division("6") == "06"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("98", "行业大类「98」不存在（应为 01–97）"),
        ("00", "行业大类「00」不存在（应为 01–97）"),
        ("65 批发业", "行业大类「65 批发业」的代码与名称不符（65 是「软件和信息技术服务业」）"),
        ("软件业", "行业大类「软件业」不是 GB/T 4754-2017 的大类（应为 01–97 或大类名称）"),
    ],
)
def test_bad_divisions_are_named(text: str, expected: str) -> None:
    with pytest.raises(InvalidIndustry) as caught:
        industry.parse_division(text)
    assert str(caught.value) == expected


def test_bad_sections_are_named() -> None:
    with pytest.raises(InvalidIndustry, match="行业门类「U」不是 GB/T 4754-2017 的门类"):
        industry.parse_section("U")
    with pytest.raises(InvalidIndustry, match="行业大类「99」不存在"):
        industry.section_of("99")


def test_a_division_outside_its_section_is_refused_with_both_named() -> None:
    industry.check_division_in_section("C", "39")
    with pytest.raises(InvalidIndustry) as caught:
        industry.check_division_in_section("C", "65")
    assert str(caught.value) == (
        "行业大类「65 软件和信息技术服务业」属于门类「I 信息传输、软件和信息技术服务业」，不属于门类「C 制造业」"
    )
