"""The synthetic register: deterministic, valid, unique, and shaped like Shanghai's."""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from datetime import date
from itertools import islice
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from app.enterprise import credit_code, industry
from app.enterprise.reference import District, LifecycleStage, SizeClass
from app.enterprise.register_import import REGISTER_HEADERS
from app.enterprise.synthetic import (
    REFERENCE_DATE,
    generate_enterprises,
    write_register_csv,
    write_register_xlsx,
)

DIVISION_OF_DISTRICT = {district.label: district.value for district in District}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return list(generate_enterprises(20_000, seed=2017))


def test_same_seed_same_rows_and_a_longer_run_extends_a_shorter_one() -> None:
    first = list(generate_enterprises(300, seed=11))
    assert first == list(generate_enterprises(300, seed=11))
    assert first[:100] == list(generate_enterprises(100, seed=11))


def test_different_seeds_give_different_rows() -> None:
    one = list(generate_enterprises(200, seed=1))
    other = list(generate_enterprises(200, seed=2))
    assert sum(a == b for a, b in zip(one, other)) == 0
    assert not {row["统一社会信用代码"] for row in one} & {row["统一社会信用代码"] for row in other}


def test_rows_have_the_import_columns(rows: list[dict[str, str]]) -> None:
    assert all(list(row) == list(REGISTER_HEADERS) for row in rows[:50])
    assert all(row["企业名称"] and row["法定代表人"] and row["地址"] for row in rows)


def test_codes_are_valid_unique_and_registered_in_the_district(rows: list[dict[str, str]]) -> None:
    codes = [row["统一社会信用代码"] for row in rows]
    assert len(set(codes)) == len(codes) == 20_000
    for row in rows:
        code = row["统一社会信用代码"]
        assert credit_code.is_valid(code), code
        assert code[2:8] == DIVISION_OF_DISTRICT[row["所属区"]]
        assert code[:2] == ("92" if row["企业规模"] == SizeClass.individual.label else "91")


def test_codes_stay_unique_over_a_large_run() -> None:
    codes = {row["统一社会信用代码"] for row in generate_enterprises(150_000, seed=5)}
    assert len(codes) == 150_000


def test_size_and_district_distributions(rows: list[dict[str, str]]) -> None:
    sizes = Counter(row["企业规模"] for row in rows)
    assert sizes.most_common(1)[0][0] == "微型"
    assert 0.65 < sizes["微型"] / len(rows) < 0.75
    assert sizes["小型"] > sizes["个体工商户"] > sizes["大型"] > 0
    assert sizes["中型"] > sizes["大型"]
    districts = Counter(row["所属区"] for row in rows)
    assert districts.most_common(1)[0][0] == "浦东新区"
    assert districts["崇明区"] < districts["闵行区"]
    assert set(districts) == {district.label for district in District}


def test_ownership_is_mostly_private_with_some_of_each_other_kind(rows: list[dict[str, str]]) -> None:
    ownership = Counter(row["经济类型"] for row in rows)
    assert 0.8 < ownership["民营"] / len(rows) < 0.9
    assert all(ownership[label] > 0 for label in ("外资", "港澳台", "地方国企", "央企"))


def test_industries_lean_to_services_and_divisions_sit_in_their_sections(rows: list[dict[str, str]]) -> None:
    sections = Counter(row["行业门类"] for row in rows)
    assert sections.most_common(1)[0][0] == "F"
    assert sections["L"] > sections["A"] and sections["M"] > sections["B"]
    assert sections["C"] > 0.05 * len(rows)
    assert all(industry.section_of(row["行业大类"]) == row["行业门类"] for row in rows)


def test_capital_grows_with_size(rows: list[dict[str, str]]) -> None:
    medians = {
        size: statistics.median(float(row["注册资本(万元)"]) for row in rows if row["企业规模"] == size)
        for size in ("个体工商户", "微型", "小型", "中型", "大型")
    }
    assert medians["个体工商户"] < medians["微型"] < medians["小型"] < medians["中型"] < medians["大型"]
    assert all(float(row["注册资本(万元)"]) > 0 for row in rows)


def test_dates_are_between_1990_and_the_reference_date_and_skew_recent(rows: list[dict[str, str]]) -> None:
    dates = [date.fromisoformat(row["成立日期"]) for row in rows]
    assert min(dates) >= date(1990, 1, 1) and max(dates) <= REFERENCE_DATE
    recent = sum(day.year >= 2016 for day in dates)
    assert recent > 0.6 * len(dates)


def test_lifecycle_stage_is_consistent_with_age(rows: list[dict[str, str]]) -> None:
    def age(row: dict[str, str]) -> float:
        return (REFERENCE_DATE - date.fromisoformat(row["成立日期"])).days / 365.25

    startups = [age(row) for row in rows if row["生命周期"] == LifecycleStage.startup.label]
    expanding = [age(row) for row in rows if row["生命周期"] == LifecycleStage.expansion.label]
    assert startups and max(startups) < 10
    assert expanding and min(expanding) >= 3
    assert statistics.mean(startups) < statistics.mean(expanding)


def test_tags_are_sparse_and_mostly_in_technology_and_manufacturing(rows: list[dict[str, str]]) -> None:
    tagged = [row for row in rows if row["标签"]]
    assert 0.01 < len(tagged) / len(rows) < 0.15
    in_tech = sum(row["行业门类"] in ("C", "I", "M") for row in tagged)
    assert in_tech > 0.7 * len(tagged)
    known = {"专精特新", "专精特新小巨人", "高新技术企业", "科技型中小企业"}
    assert all(set(row["标签"].split("；")) <= known for row in tagged)
    assert not any(row["标签"] for row in rows if row["企业规模"] == "个体工商户")


def test_names_and_phones_look_real_but_reveal_nothing_a_mask_hides(rows: list[dict[str, str]]) -> None:
    companies = [row["企业名称"] for row in rows if row["企业规模"] != "个体工商户"]
    assert all(name.endswith("有限公司") for name in companies)
    shops = [row["企业名称"] for row in rows if row["企业规模"] == "个体工商户"]
    assert all(name.startswith("上海市") for name in shops)
    assert len(set(companies)) > 0.95 * len(companies)
    surnames = Counter(row["法定代表人"][0] for row in rows)
    assert {name for name, _ in surnames.most_common(5)} <= set("王李张刘陈杨黄赵吴周")
    for phone in (row["联系电话"] for row in islice(rows, 2000)):
        digits = phone.replace("-", "")
        assert digits[3:7] == "0000" or digits[4:7] == "000", phone


def test_write_csv_streams_the_rows_with_progress(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    path = tmp_path / "register.csv"
    write_register_csv(path, 25_000, seed=3, progress=lambda done, total: calls.append((done, total)))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        written = list(csv.reader(handle))
    assert written[0] == list(REGISTER_HEADERS)
    assert written[1:] == [list(row.values()) for row in generate_enterprises(25_000, seed=3)]
    assert calls[-1] == (25_000, 25_000)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_write_csv_in_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "register-gbk.csv"
    write_register_csv(path, 20, seed=3, encoding="gb18030")
    assert path.read_bytes()[:3] != b"\xef\xbb\xbf"
    assert path.read_text(encoding="gb18030").splitlines()[0].split(",")[0] == "统一社会信用代码"


def test_write_xlsx_with_typed_cells(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    write_register_xlsx(path, 50, seed=3)
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    expected = list(generate_enterprises(50, seed=3))
    assert sheet[0] == list(REGISTER_HEADERS)
    assert len(sheet) == 51
    first = dict(zip(REGISTER_HEADERS, sheet[1]))
    assert first["统一社会信用代码"] == expected[0]["统一社会信用代码"]
    assert first["成立日期"] == date.fromisoformat(expected[0]["成立日期"])  # an Excel date, not text
    assert first["注册资本(万元)"] == float(expected[0]["注册资本(万元)"])
