"""The shared list writer (app/exports.py): masking by role, formula-like text kept as text,
the row cap said on the sheet, Shanghai time, the Chinese file name and the audit entry."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from urllib.parse import unquote

from openpyxl import load_workbook

from app import exports
from app.audit.models import AuditLog
from app.exports import Column, content_disposition, export_list, mask_id_number, may_unmask, write_xlsx, xlsx_response
from app.staff.models import StaffRole
from tests.admin.support import make_staff, seed_organisations

COLUMNS = (Column("名称", 20), Column("手机号", 15, "phone"), Column("身份证号", 20, "id_number"),
           Column("时间", 17, "datetime"))


def _rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


async def test_phone_and_id_numbers_are_masked_unless_unmasked_and_times_are_shanghai():
    row = ["企业甲", "13812345678", "310101199001011234", datetime(2026, 3, 1, 2, 30, tzinfo=UTC)]
    masked = await write_xlsx(sheet_title="测试", columns=COLUMNS, rows=[row], unmasked=False)
    full = await write_xlsx(sheet_title="测试", columns=COLUMNS, rows=[row], unmasked=True)
    assert _rows(masked.content) == [("名称", "手机号", "身份证号", "时间"),
                                     ("企业甲", "138****5678", "3101**********1234", datetime(2026, 3, 1, 10, 30))]
    assert _rows(full.content)[1][1:3] == ("13812345678", "310101199001011234")
    book = load_workbook(io.BytesIO(masked.content))
    assert book.active.freeze_panes == "A2" and book.active["A1"].font.b


def test_id_number_mask():
    assert mask_id_number("31010119900101123X") == "3101**********123X"
    assert mask_id_number("") == "" and mask_id_number("1234") == "**34"


async def test_formula_like_text_stays_text():
    evil = ['=HYPERLINK("http://x.example","点我")', "+1+1", "-2+3", "@SUM(A1)"]
    written = await write_xlsx(sheet_title="s", columns=[Column(str(i)) for i in range(4)], rows=[evil], unmasked=False)
    sheet = load_workbook(io.BytesIO(written.content)).active
    cells = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    assert [c.value for c in cells] == evil and all(c.data_type == "s" for c in cells)


async def test_a_list_longer_than_the_cap_is_cut_and_the_sheet_says_so():
    written = await write_xlsx(sheet_title="s", columns=[Column("n")], rows=([n] for n in range(10)), unmasked=False,
                               cap=3, preamble=("标题",))
    rows = _rows(written.content)
    assert written.rows == 3 and written.truncated
    assert rows[0] == ("标题",) and rows[1] == ("n",) and [r[0] for r in rows[2:5]] == [0, 1, 2]
    assert "仅导出前 3 行" in rows[-1][0] and len(rows) == 6
    exact = await write_xlsx(sheet_title="s", columns=[Column("n")], rows=([n] for n in range(3)), unmasked=False, cap=3)
    assert not exact.truncated and len(_rows(exact.content)) == 4


def test_the_download_names_the_file_in_chinese_with_an_ascii_fallback():
    header = content_disposition("企业诉求-待受理-20261203.xlsx", fallback="appeals.xlsx")
    assert header.startswith('attachment; filename="appeals.xlsx"; ')
    assert unquote(header.split("filename*=UTF-8''")[1]) == "企业诉求-待受理-20261203.xlsx"
    response = xlsx_response(exports.Export(content=b"x", filename="粉丝.xlsx", rows=0, truncated=False,
                                            unmasked=False, fallback="followers.xlsx"))
    assert response.content_type == exports.XLSX and "%E7%B2%89%E4%B8%9D.xlsx" in response.headers["content-disposition"]


async def test_only_the_city_administrator_exports_unmasked_and_every_export_is_audited(db):
    await seed_organisations()
    city = await make_staff("city", StaffRole.city_admin, "city.coordination")
    manager = await make_staff("manager", StaffRole.service_manager, "city.coordination")
    assert may_unmask(city) and not may_unmask(manager)
    row = [["甲", "13812345678", "", None]]
    for staff, phone in ((city, "13812345678"), (manager, "138****5678")):
        exported = await export_list(staff=staff, kind="test", filters={"q": "甲", "empty": ""}, filename="测试.xlsx",
                                     sheet_title="测试", columns=COLUMNS, rows=row)
        assert _rows(exported.content)[1][1] == phone and exported.unmasked == (staff is city)
        entry = await AuditLog.filter(action="export.test", staff_id=staff.id).get()
        assert entry.detail == {"filters": {"q": "甲"}, "rows": 1, "truncated": False, "unmasked": staff is city}
