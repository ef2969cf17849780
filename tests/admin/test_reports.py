"""统计报表 pages: asking for a report, reading it and downloading its files, each within the
reader's scope (a district sees its own reports only; outside the scope is 404)."""

from __future__ import annotations

import re

from arq.connections import ArqRedis

from app.organisation.models import Organisation
from app.reporting.models import Report, ReportKind, ReportStatus
from app.reporting.reports import build_report, create_report
from tests.reporting.report_data import PUDONG, Q2, seed_two_quarters

REPORT_URL = re.compile(r"^/admin/reports/(\d+)$")


async def test_a_district_asks_for_its_report_reads_and_downloads_it(signed_in, accounts, resources, settings):
    await seed_two_quarters(settings)
    pudong = await signed_in("pudong")
    status, page, _ = await pudong.get("/admin/reports")
    assert status == 200 and 'id="report-request"' in page and "浦东新区" in page
    assert 'href="/admin/reports/league"' in page and 'href="/admin/reports/common-issues"' in page
    assert '<select name="scope">' not in page  # a district reports on itself only

    status, _, response = await pudong.post("/admin/reports", {"mode": "quarter", "quarter": "2025Q2"},
                                            token_from="/admin/reports")
    assert status == 303
    report_id = int(REPORT_URL.match(response.headers["Location"]).group(1))
    report = await Report.get(id=report_id)
    district = await Organisation.get(code=PUDONG)
    assert (report.status, report.kind, report.scope_organisation_id) == (ReportStatus.queued, ReportKind.quarterly,
                                                                          district.id)
    assert (report.period_start, report.period_end) == (Q2["period_start"], Q2["period_end"])
    queued = await ArqRedis(connection_pool=resources.redis.connection_pool).queued_jobs()
    assert [(job.function, job.args) for job in queued] == [("generate_report", (report_id,))]

    status, page, _ = await pudong.get(f"/admin/reports/{report_id}")
    assert status == 200 and '<meta http-equiv="refresh"' in page and "排队中" in page
    status, _, _ = await pudong.get(f"/admin/reports/{report_id}/download/pdf")
    assert status == 404  # nothing to download yet

    await build_report(report_id, settings=resources.settings)
    status, page, _ = await pudong.get(f"/admin/reports/{report_id}")
    assert status == 200 and "已生成" in page and 'http-equiv="refresh"' not in page
    assert f'src="/admin/reports/{report_id}/report.html"' in page

    async with pudong.http.get(f"{pudong.base}/admin/reports/{report_id}/download/pdf") as download:
        assert download.status == 200 and download.headers["Content-Type"] == "application/pdf"
        assert (await download.read()).startswith(b"%PDF-")
        disposition = download.headers["Content-Disposition"]
    assert f'filename="report-{report_id}-2025-04-01-2025-06-30.pdf"' in disposition
    assert "filename*=UTF-8''" in disposition
    async with pudong.http.get(f"{pudong.base}/admin/reports/{report_id}/download/xlsx") as download:
        assert download.status == 200 and (await download.read())[:2] == b"PK"
        assert download.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheet")
    status, body, response = await pudong.get(f"/admin/reports/{report_id}/report.html")
    assert status == 200 and response.headers["Content-Type"].startswith("text/html")
    assert "style-src 'unsafe-inline'" in response.headers["Content-Security-Policy"]
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'none': no script
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN" and "上海市企业服务动态" in body
    status, _, _ = await pudong.get(f"/admin/reports/{report_id}/download/exe")
    assert status == 404


async def test_reports_outside_the_readers_scope_are_not_found(signed_in, accounts, settings):
    await seed_two_quarters(settings)
    pudong_org = await Organisation.get(code=PUDONG)
    city = await create_report(organisation_id=None, kind=ReportKind.quarterly, **Q2)
    district = await create_report(organisation_id=pudong_org.id, kind=ReportKind.quarterly, **Q2)

    pudong = await signed_in("pudong")
    status, page, _ = await pudong.get("/admin/reports")
    assert f'data-report="{district.id}"' in page and f'data-report="{city.id}"' not in page
    assert (await pudong.get(f"/admin/reports/{city.id}"))[0] == 404
    assert (await pudong.get(f"/admin/reports/{city.id}/report.html"))[0] == 404
    xuhui = await signed_in("xuhui")
    assert (await xuhui.get(f"/admin/reports/{district.id}"))[0] == 404
    assert (await xuhui.get(f"/admin/reports/{district.id}/download/pdf"))[0] == 404

    evaluator = await signed_in("pinggu")  # reads every report, asks for none
    status, page, _ = await evaluator.get("/admin/reports")
    assert status == 200 and f'data-report="{city.id}"' in page and 'id="report-request"' not in page
    assert (await evaluator.get(f"/admin/reports/{district.id}"))[0] == 200
    status, _, _ = await evaluator.post("/admin/reports", {"mode": "quarter", "quarter": "2025Q2"},
                                        token_from="/admin/reports")
    assert status == 403

    handler = await signed_in("keji")  # no report.view
    assert (await handler.get("/admin/reports"))[0] == 403
    assert (await handler.get(f"/admin/reports/{district.id}"))[0] == 403


async def test_scope_and_period_are_checked(signed_in, accounts, settings):
    await seed_two_quarters(settings)
    pudong = await signed_in("pudong")
    xuhui = await Organisation.get(code="district.310104")
    status, page, _ = await pudong.post("/admin/reports", {"mode": "quarter", "quarter": "2025Q2", "scope": str(xuhui.id)},
                                        token_from="/admin/reports")
    assert status == 403 and "只能生成本人管辖范围内的报告" in page
    status, page, _ = await pudong.post("/admin/reports", {"mode": "custom", "start": "2025-06-30", "end": "2025-06-01"},
                                        token_from="/admin/reports")
    assert status == 400 and "开始日期不能晚于结束日期" in page
    status, page, _ = await pudong.post("/admin/reports", {"mode": "quarter", "quarter": "nonsense"},
                                        token_from="/admin/reports")
    assert status == 400 and "请选择统计季度" in page
    assert not await Report.exists()

    admin = await signed_in("admin")  # city-wide: may choose a district government
    status, page, _ = await admin.get("/admin/reports")
    assert '<select name="scope">' in page and "全市" in page
    district = await Organisation.get(code=PUDONG)
    status, _, response = await admin.post(
        "/admin/reports", {"mode": "custom", "start": "2025-05-01", "end": "2025-05-31", "scope": str(district.id)},
        token_from="/admin/reports")
    assert status == 303
    report = await Report.get(id=int(REPORT_URL.match(response.headers["Location"]).group(1)))
    assert (report.kind, report.scope_organisation_id, report.requested_by_id) == (
        ReportKind.custom, district.id, accounts["admin"].id)
