"""Importing approval-service usage (办件记录): all or nothing, row-numbered errors, resends change nothing."""

from __future__ import annotations

import csv
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from app.audit.models import AuditLog
from app.enterprise.reference import District, Ownership, SizeClass
from app.organisation.models import Organisation
from app.staff.models import StaffRole
from app.survey import service_use
from app.survey.models import ServiceUse
from tests.admin.support import make_staff, seed_organisations
from tests.survey.sampling_support import make_register

pytestmark = pytest.mark.usefixtures("db")
SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADERS = ["统一社会信用代码", "事项编码", "事项名称", "办理部门", "办结时间", "办件编号"]


@pytest.fixture
async def manager():
    await seed_organisations()
    return await make_staff("survey-manager", StaffRole.service_manager, "city.coordination")


@pytest.fixture
async def enterprises():
    return await make_register({(District.pudong, SizeClass.small, Ownership.private): 3})


def write_csv(path, rows, *, encoding="utf-8-sig"):
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


async def test_a_csv_export_is_imported_with_times_in_shanghai_and_departments_matched(tmp_path, manager, enterprises):
    organisation = await Organisation.exclude(short_name="").first()
    a, b, _ = enterprises
    path = write_csv(tmp_path / "cases.csv", [
        [a.credit_code, "KB-001", "企业开办", organisation.short_name, "2026-03-05 14:30", "KB0001"],
        [b.credit_code.lower(), "KB-001", "企业开办", "", "2026/3/6", "KB0002"],
        [a.credit_code, "SG-002", "施工许可", organisation.name, "2026年3月7日", "SG0001"],
    ], encoding="gb18030")
    report = await service_use.import_service_uses(staff=manager, path=path)
    assert report.rejected == [] and (report.total, report.created, report.unchanged) == (3, 3, 0)
    first = await ServiceUse.get(external_id="KB0001")
    assert first.enterprise_id == a.id and first.organisation_id == organisation.id
    assert first.completed_at == datetime(2026, 3, 5, 14, 30, tzinfo=SHANGHAI)
    second = await ServiceUse.get(external_id="KB0002")
    assert second.enterprise_id == b.id and second.organisation_id is None and second.source == "import"
    assert (await AuditLog.get(action="survey.service_uses")).detail["created"] == 3

    services = await service_use.list_services()
    assert [(s.service_code, s.service_name, s.uses, s.enterprises) for s in services] == [
        ("KB-001", "企业开办", 2, 2), ("SG-002", "施工许可", 1, 1)]
    assert services[0].first.astimezone(SHANGHAI).date().isoformat() == "2026-03-05"


async def test_a_file_with_a_bad_row_imports_nothing_and_names_each_row(tmp_path, manager, enterprises):
    a, b, _ = enterprises
    path = write_csv(tmp_path / "cases.csv", [
        [a.credit_code, "KB-001", "企业开办", "", "2026-03-05", "KB0001"],
        ["91310000NOTINREGI", "KB-001", "企业开办", "", "2026-03-05", "KB0002"],
        [b.credit_code, "", "企业开办", "不存在的部门", "昨天", "KB0003"],
        [b.credit_code, "KB-001", "企业开办", "", "2026-03-09", "KB0001"],
    ])
    report = await service_use.import_service_uses(staff=manager, path=path)
    assert [row.line for row in report.rejected] == [3, 4, 5]
    reasons = {row.line: row.reason for row in report.rejected}
    assert "法人库中没有" in reasons[3]
    assert "事项编码不能为空" in reasons[4] and "不存在的部门" in reasons[4] and "办结时间「昨天」无法识别" in reasons[4]
    assert "与第2行重复" in reasons[5]
    assert await ServiceUse.all().count() == 0


async def test_a_resent_case_changes_nothing(tmp_path, manager, enterprises):
    a, b, _ = enterprises
    rows = [[a.credit_code, "KB-001", "企业开办", "", "2026-03-05", "KB0001"]]
    await service_use.import_service_uses(staff=manager, path=write_csv(tmp_path / "one.csv", rows))
    again = rows + [[b.credit_code, "KB-001", "企业开办", "", "2026-03-06", "KB0002"], rows[0]]
    report = await service_use.import_service_uses(staff=manager, path=write_csv(tmp_path / "two.csv", again))
    assert report.rejected == [] and (report.created, report.unchanged) == (1, 2)
    assert await ServiceUse.all().count() == 2


async def test_an_xlsx_with_real_dates_and_rows_from_a_partner_are_read_alike(tmp_path, manager, enterprises):
    a, b, c = enterprises
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append([a.credit_code, "HD-003", "获得电力", None, datetime(2026, 4, 1, 10, 15), "HD0001"])
    book.save(tmp_path / "cases.xlsx")
    report = await service_use.import_service_uses(staff=manager, path=tmp_path / "cases.xlsx")
    assert report.rejected == [] and report.created == 1
    assert (await ServiceUse.get(external_id="HD0001")).completed_at == datetime(2026, 4, 1, 10, 15, tzinfo=SHANGHAI)

    partner = await service_use.import_service_uses(staff=None, source="partner", rows=[
        {"统一社会信用代码": b.credit_code, "事项编码": "HD-003", "事项名称": "获得电力", "办结时间": "2026-04-02 09:00",
         "办件编号": "HD0002"},
    ])
    assert partner.created == 1 and (await ServiceUse.get(external_id="HD0002")).source == "partner"


async def test_a_file_without_the_required_columns_or_a_role_without_the_permission_is_refused(tmp_path, manager):
    path = tmp_path / "wrong.csv"
    path.write_text("企业名称,事项名称\n某公司,企业开办\n", encoding="utf-8")
    report = await service_use.import_service_uses(staff=manager, path=path)
    assert report.rejected[0].line == 1 and "缺少必需的列" in report.rejected[0].reason
    evaluator = await make_staff("pinggu", StaffRole.evaluator, "city.coordination")
    refused = await service_use.import_service_uses(staff=evaluator, path=path)
    assert "无权导入" in refused.rejected[0].reason
