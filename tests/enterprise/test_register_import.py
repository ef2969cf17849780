"""Importing the register: every bad row named, the good ones imported in one go, never half."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from tortoise import connections

from app.enterprise.credit_code import check_character
from app.enterprise.models import Enterprise
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.enterprise.register_import import (
    REGISTER_HEADERS,
    RejectedRow,
    import_register,
)
from app.enterprise.synthetic import generate_enterprises, write_register_csv

from .factories import credit_code, register_row, with_wrong_check_character, write_csv

pytestmark = pytest.mark.usefixtures("db")


def by_line(rejected: list[RejectedRow]) -> dict[int, str]:
    return {row.line: row.reason for row in rejected}


async def test_corrupt_rows_are_named_with_line_and_reason_and_the_rest_imported(tmp_path: Path) -> None:
    first = register_row(name="上海甲科技有限公司")
    wrong_check = with_wrong_check_character(credit_code())
    rows = [
        first,  # line 2
        register_row(code=wrong_check),  # 3
        register_row(district="浦西区"),  # 4
        register_row(**{"行业门类": "C", "行业大类": "65"}),  # 5
        register_row(date="2019-02-30"),  # 6
        register_row(**{"注册资本(万元)": "-5"}),  # 7
        register_row(code=first["统一社会信用代码"], name="上海甲科技有限公司（重复）"),  # 8
        register_row(name="", **{"联系电话": "12345"}),  # 9
        register_row(name="上海乙贸易有限公司", **{"企业规模": "特大型"}),  # 10
        register_row(date="2099-01-01"),  # 11
        register_row(name="上海丙咨询有限公司"),  # 12
    ]
    report = await import_register(path=write_csv(tmp_path / "register.csv", rows))

    assert (report.total, report.created, report.updated) == (11, 2, 0)
    reasons = by_line(report.rejected)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    expected_check = check_character(wrong_check[:17])
    assert reasons[3] == f"统一社会信用代码「{wrong_check}」：第18位校验码错误：应为「{expected_check}」，实际为「{wrong_check[17]}」"
    assert reasons[4].startswith("所属区「浦西区」不是可用的值（可用：黄浦区、徐汇区、")
    assert reasons[5] == "行业大类「65 软件和信息技术服务业」属于门类「I 信息传输、软件和信息技术服务业」，不属于门类「C 制造业」"
    assert reasons[6] == "成立日期「2019-02-30」不是有效日期（格式应为 YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD）"
    assert reasons[7] == "注册资本(万元)「-5」不能为负数"
    assert reasons[8] == f"统一社会信用代码「{first['统一社会信用代码']}」与第2行重复"
    assert reasons[9].startswith("企业名称为空；联系电话「12345」格式不正确")
    assert reasons[10] == "企业规模「特大型」不是可用的值（可用：大型、中型、小型、微型、个体工商户）"
    assert reasons[11].startswith("成立日期「2099-01-01」晚于今天")
    assert report.rejected[0] == RejectedRow(line=3, credit_code=wrong_check, reason=reasons[3])

    assert await Enterprise.all().count() == 2
    assert set(await Enterprise.all().values_list("name", flat=True)) == {"上海甲科技有限公司", "上海丙咨询有限公司"}


async def test_a_valid_row_is_stored_in_the_models_terms(tmp_path: Path) -> None:
    row = register_row(
        code=credit_code(301, division="310104"),
        district="310104",
        date="2020/1/5",
        **{
            "行业门类": "",  # taken from the division
            "行业大类": "39 计算机、通信和其他电子设备制造业",
            "企业规模": "中型企业",
            "经济类型": "外商投资",
            "注册资本(万元)": "1,234.565",
            "生命周期": "壮大期",
            "标签": "专精特新, 高新技术企业|专精特新、 科技型中小企业",
            "联系电话": "13812345678",
        },
    )
    report = await import_register(path=write_csv(tmp_path / "one.csv", [row]))
    assert (report.created, report.rejected) == (1, [])

    stored = await Enterprise.get(credit_code=row["统一社会信用代码"])
    assert stored.district is District.xuhui
    assert (stored.industry_section, stored.industry_division) == ("C", "39")
    assert stored.size_class is SizeClass.medium
    assert stored.ownership is Ownership.foreign
    assert stored.registered_capital == Decimal("1234.57")
    assert stored.established_on == date(2020, 1, 5)
    assert stored.lifecycle_stage is LifecycleStage.expansion
    assert stored.tags == ["专精特新", "高新技术企业", "科技型中小企业"]
    assert stored.contact_phone == "13812345678"
    assert stored.legal_representative == "张三"


async def test_a_missing_lifecycle_stage_is_taken_from_the_age(tmp_path: Path) -> None:
    young = register_row(date=date.today().replace(day=1).isoformat(), **{"生命周期": ""})
    old = register_row(date="2001-03-01", **{"生命周期": ""})
    await import_register(path=write_csv(tmp_path / "stages.csv", [young, old]))
    assert (await Enterprise.get(credit_code=young["统一社会信用代码"])).lifecycle_stage is LifecycleStage.startup
    assert (await Enterprise.get(credit_code=old["统一社会信用代码"])).lifecycle_stage is LifecycleStage.expansion


@pytest.mark.parametrize("written", ["2019-05-20", "2019/05/20", "20190520", "2019/5/20", "2019-05-20 00:00:00", "2019年5月20日"])
async def test_date_formats(tmp_path: Path, written: str) -> None:
    row = register_row(date=written)
    report = await import_register(path=write_csv(tmp_path / "dates.csv", [row]))
    assert report.rejected == []
    assert (await Enterprise.get(credit_code=row["统一社会信用代码"])).established_on == date(2019, 5, 20)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
async def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    rows = [register_row(name="上海镕铧精密机械有限公司", **{"法定代表人": "欧阳丽娟"}), register_row()]
    report = await import_register(path=write_csv(tmp_path / f"{encoding}.csv", rows, encoding=encoding))
    assert (report.created, report.rejected) == (2, [])
    stored = await Enterprise.get(credit_code=rows[0]["统一社会信用代码"])
    assert (stored.name, stored.legal_representative) == ("上海镕铧精密机械有限公司", "欧阳丽娟")


async def test_english_headers_extra_columns_and_column_order(tmp_path: Path) -> None:
    fields = [
        "contact_phone", "credit_code", "name", "legal_representative", "district", "industry_section",
        "industry_division", "size_class", "ownership", "registered_capital", "established_on", "remarks",
    ]  # fmt: skip
    path = tmp_path / "english.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        writer.writerow(["", credit_code(), "上海丁科技有限公司", "李四", "pudong", "M", "75", "micro", "private", "10", "2024-02-29", "备注随便写"])
    report = await import_register(path=path)
    assert (report.created, report.rejected) == (1, [])
    stored = await Enterprise.get(name="上海丁科技有限公司")
    assert (stored.district, stored.size_class, stored.tags, stored.address) == (District.pudong, SizeClass.micro, [], "")


async def test_missing_columns_reject_the_file_and_import_nothing(tmp_path: Path) -> None:
    headers = [header for header in REGISTER_HEADERS if header not in ("成立日期", "法定代表人")]
    report = await import_register(path=write_csv(tmp_path / "short.csv", [register_row()], headers=headers))
    assert report.total == 0 and report.imported == 0
    assert len(report.rejected) == 1
    assert report.rejected[0].line == 1
    assert report.rejected[0].reason.startswith("表头第1行缺少必需的列：法定代表人、成立日期（可用的列：统一社会信用代码、")
    assert await Enterprise.all().count() == 0


async def test_a_column_given_twice_rejects_the_file(tmp_path: Path) -> None:
    headers = [*REGISTER_HEADERS, "信用代码"]  # an alias of 统一社会信用代码
    report = await import_register(path=write_csv(tmp_path / "twice.csv", [register_row()], headers=headers))
    assert report.rejected == [
        RejectedRow(line=1, credit_code="", reason="表头第1行：列「统一社会信用代码」出现了两次（第1列和第15列）")
    ]
    assert await Enterprise.all().count() == 0


async def test_an_empty_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"\xef\xbb\xbf\r\n\r\n")
    report = await import_register(path=path)
    assert report.rejected == [RejectedRow(line=1, credit_code="", reason="文件是空的：没有表头行")]


async def test_an_undecodable_file_is_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "register.csv", [register_row(), register_row()], encoding="utf-8")
    path.write_bytes(path.read_bytes() + b"\xff\xff\xff\n")  # neither UTF-8 nor GB18030
    report = await import_register(path=path)
    assert report.rejected == [
        RejectedRow(line=4, credit_code="", reason="无法识别文件编码：第4行起既不是 UTF-8 也不是 GB18030/GBK 文本（请另存为 UTF-8 CSV）")
    ]
    assert await Enterprise.all().count() == 0


async def test_an_unreadable_workbook_is_named(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")
    report = await import_register(path=path)
    assert report.total == 0 and len(report.rejected) == 1
    assert report.rejected[0].reason.startswith("无法读取 Excel 文件")


async def test_line_numbers_are_as_a_person_sees_the_file(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    bad_phone = register_row(**{"联系电话": "call me"})
    bad_district = register_row(district="")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REGISTER_HEADERS)  # line 1
        writer.writerow(register_row(**{"地址": "上海市浦东新区\n张江路1号"}).values())  # lines 2-3
        writer.writerow(bad_phone.values())  # line 4
        handle.write("\r\n")  # line 5, blank
        writer.writerow(bad_district.values())  # line 6
        writer.writerow([*register_row().values(), "多出来的一列"])  # line 7
    report = await import_register(path=path)
    assert report.total == 4 and report.created == 1
    reasons = by_line(report.rejected)
    assert sorted(reasons) == [4, 6, 7]
    assert reasons[4].startswith("联系电话「call me」格式不正确")
    assert reasons[6] == "所属区为空"
    assert reasons[7] == "本行有15列，表头只有14列（某个字段中的逗号或换行是否未加引号？）"
    stored = await Enterprise.all().first()
    assert stored.address == "上海市浦东新区\n张江路1号"


async def test_xlsx_with_excel_cells(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(REGISTER_HEADERS))  # row 1

    def typed(row: dict, **cells) -> list:
        return [cells.get(header, value) for header, value in row.items()]

    date_cell = register_row()
    serial = register_row()
    compact = register_row()
    numeric_code = register_row()
    bad = register_row()
    sheet.append(typed(date_cell, 成立日期=date(2019, 5, 20), **{"注册资本(万元)": 500.0, "行业大类": 65, "联系电话": 13812345678}))
    sheet.append(typed(serial, 成立日期=43605, 所属区="浦东"))  # Excel serial of 2019-05-20
    sheet.append(typed(compact, 成立日期=20190520))  # YYYYMMDD typed as a number
    sheet.append(typed(numeric_code, 统一社会信用代码=913101150000000000))  # row 5
    sheet.append([])  # row 6, blank
    sheet.append(typed(bad, 成立日期="去年"))  # row 7
    path = tmp_path / "register.xlsx"
    workbook.save(path)

    report = await import_register(path=path)
    assert (report.total, report.created) == (5, 3)
    reasons = by_line(report.rejected)
    assert sorted(reasons) == [5, 7]
    assert reasons[5].startswith("统一社会信用代码「913101150000000000」在表格中被存成了数字")
    assert reasons[7] == "成立日期「去年」不是有效日期（格式应为 YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD）"
    for row in (date_cell, serial, compact):
        stored = await Enterprise.get(credit_code=row["统一社会信用代码"])
        assert stored.established_on == date(2019, 5, 20)
        assert stored.district is District.pudong
    first = await Enterprise.get(credit_code=date_cell["统一社会信用代码"])
    assert (first.industry_division, first.contact_phone, first.registered_capital) == ("65", "13812345678", Decimal("500.00"))


async def test_reimport_updates_instead_of_duplicating(tmp_path: Path) -> None:
    rows = list(generate_enterprises(40, seed=9))
    path = write_csv(tmp_path / "register.csv", rows)
    first = await import_register(path=path)
    assert (first.created, first.updated) == (40, 0)
    code = rows[0]["统一社会信用代码"]
    before = await Enterprise.get(credit_code=code)

    again = await import_register(path=path)
    assert (again.total, again.created, again.updated, again.rejected) == (40, 0, 40, [])
    assert await Enterprise.all().count() == 40

    rows[0] = {**rows[0], "企业名称": "上海改名科技有限公司", "标签": "专精特新", "所属区": "崇明区", "注册资本(万元)": "888"}
    changed = await import_register(path=write_csv(tmp_path / "changed.csv", [*rows, register_row()]))
    assert (changed.created, changed.updated) == (1, 40)
    after = await Enterprise.get(credit_code=code)
    assert (after.name, after.tags, after.district, after.registered_capital) == (
        "上海改名科技有限公司", ["专精特新"], District.chongming, Decimal("888.00"),
    )  # fmt: skip
    assert after.id == before.id and after.created_at == before.created_at
    assert after.updated_at >= before.updated_at


async def test_strict_mode_imports_nothing_if_any_row_is_rejected(tmp_path: Path) -> None:
    rows = [register_row(), register_row(), register_row(date="不详"), register_row()]
    report = await import_register(path=write_csv(tmp_path / "register.csv", rows), strict=True)
    assert (report.total, report.created, report.updated) == (4, 0, 0)
    assert [row.line for row in report.rejected] == [4]
    assert await Enterprise.all().count() == 0

    clean = await import_register(path=write_csv(tmp_path / "clean.csv", [rows[0], rows[1]]), strict=True)
    assert (clean.created, clean.rejected) == (2, [])


REFUSED_NAME = "数据库拒绝写入的企业"


@pytest.fixture
async def database_refuses_a_name() -> AsyncIterator[str]:
    """A trigger that makes the database itself fail on rows named `REFUSED_NAME`: a real
    database error in the middle of an import, on SQLite and PostgreSQL alike."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_script(
            f"""
            CREATE FUNCTION refuse_enterprise() RETURNS trigger AS $$
            BEGIN
                IF NEW.name = '{REFUSED_NAME}' THEN RAISE EXCEPTION 'provoked failure'; END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_enterprise BEFORE INSERT OR UPDATE ON enterprise
                FOR EACH ROW EXECUTE FUNCTION refuse_enterprise();
            """
        )
        yield REFUSED_NAME
        await connection.execute_script("DROP TRIGGER refuse_enterprise ON enterprise; DROP FUNCTION refuse_enterprise();")
    else:
        await connection.execute_script(
            f"""
            CREATE TRIGGER refuse_enterprise BEFORE INSERT ON enterprise WHEN NEW.name = '{REFUSED_NAME}'
            BEGIN SELECT RAISE(ABORT, 'provoked failure'); END;
            """
        )
        yield REFUSED_NAME
        await connection.execute_script("DROP TRIGGER refuse_enterprise")


async def test_a_database_failure_in_a_later_batch_leaves_nothing(tmp_path: Path, database_refuses_a_name: str) -> None:
    rows = [register_row() for _ in range(40)]
    rows[24] = register_row(name=database_refuses_a_name)  # in the third batch of ten
    written: list[int] = []
    with pytest.raises(Exception, match="provoked failure"):  # OperationalError, or asyncpg's RaiseError
        await import_register(
            path=write_csv(tmp_path / "register.csv", rows),
            batch_size=10,
            progress=lambda done, total: written.append(done),
        )
    assert written[-1] == (40 + 20) // 2  # all rows validated and two batches written before the failure
    assert await Enterprise.all().count() == 0


async def test_a_failed_refresh_leaves_the_register_as_it_was(tmp_path: Path, database_refuses_a_name: str) -> None:
    original = list(generate_enterprises(30, seed=4))
    await import_register(path=write_csv(tmp_path / "original.csv", original))

    renamed = [{**row, "企业名称": row["企业名称"] + "（新）"} for row in original]
    new = [register_row() for _ in range(20)]
    new[15] = register_row(name=database_refuses_a_name)
    with pytest.raises(Exception, match="provoked failure"):  # OperationalError, or asyncpg's RaiseError
        await import_register(path=write_csv(tmp_path / "update.csv", [*renamed, *new]), batch_size=10)

    assert await Enterprise.all().count() == 30
    assert sorted(await Enterprise.all().values_list("name", flat=True)) == sorted(row["企业名称"] for row in original)


async def test_progress_is_in_rows_and_completes_with_the_import(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    write_register_csv(path, 5000, seed=8)
    calls: list[tuple[int, int]] = []
    report = await import_register(path=path, batch_size=1000, progress=lambda done, total: calls.append((done, total)))
    assert report.created == 5000
    assert calls[-1] == (5000, 5000)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert all(done <= total for done, total in calls)
    assert calls[1][0] < 2500 < calls[-2][0]  # half the work is validating, half writing
    assert len(calls) >= 2 + 5  # during validation, and once per batch


async def test_progress_counts_rejected_rows_as_done(tmp_path: Path) -> None:
    rows = [register_row(), register_row(date="不详"), register_row(district="")]
    calls: list[tuple[int, int]] = []
    await import_register(path=write_csv(tmp_path / "r.csv", rows), progress=lambda *call: calls.append(call))
    assert calls[-1] == (3, 3)
    calls.clear()
    await import_register(path=write_csv(tmp_path / "s.csv", rows), strict=True, progress=lambda *call: calls.append(call))
    assert calls[-1] == (3, 3)


async def test_a_generated_register_imports_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "demo.csv"
    write_register_csv(path, 2000, seed=2017)
    report = await import_register(path=path)
    assert (report.total, report.created, report.rejected) == (2000, 2000, [])
    sample = await Enterprise.all().limit(50)
    assert all(enterprise.credit_code[2:8] == enterprise.district.value for enterprise in sample)


@pytest.mark.slow
async def test_100k_rows_with_3_corrupt_imports_99997_and_names_the_3(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    corrupt = {
        10: ("统一社会信用代码", lambda code: with_wrong_check_character(code)),
        50_000: ("成立日期", lambda _: "2019-13-45"),
        99_999: ("所属区", lambda _: "火星区"),
    }
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REGISTER_HEADERS)
        for index, row in enumerate(generate_enterprises(100_000, seed=100)):
            if index in corrupt:
                header, spoil = corrupt[index]
                row[header] = spoil(row[header])
            writer.writerow(row.values())

    report = await import_register(path=path)
    assert (report.total, report.created, report.updated) == (100_000, 99_997, 0)
    reasons = by_line(report.rejected)
    assert sorted(reasons) == [12, 50_002, 100_001]
    assert "第18位校验码错误" in reasons[12]
    assert reasons[50_002].startswith("成立日期「2019-13-45」不是有效日期")
    assert reasons[100_001].startswith("所属区「火星区」不是可用的值")
    assert await Enterprise.all().count() == 99_997
