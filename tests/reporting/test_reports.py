"""Generating reports: asked for by staff (and run by the arq worker), made on a schedule,
idempotent on retry, and told to staff by WeChat through the outbox."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest
from arq import create_pool
from arq.worker import Worker
from openpyxl import load_workbook

from app.cli.reports import UsageError, generate_now
from app.jobs.worker import worker_settings
from app.organisation.models import Organisation, OrganisationKind
from app.outbox.delivery import deliver_pending
from app.outbox.models import OutboxMessage
from app.reporting import reports as reports_module
from app.reporting.figures import period_figures
from app.reporting.models import Report, ReportKind, ReportStatus
from app.reporting.reports import (
    ReportError,
    build_report,
    generate_report,
    generate_scheduled_reports,
    may_view,
    quarterly_due,
    report_file,
    request_report,
    scope_choices,
)
from app.reporting.scope import CITY
from app.staff.models import StaffRole
from tests.admin.support import make_staff
from tests.appeal.notify_support import delivered, link_wechat
from tests.reporting.report_data import NOW, PUDONG, Q2, SH, seed_two_quarters

TEMPLATE_ID = "TPL_report_ready"


def configured(resources):
    settings = resources.settings.model_copy(update={"template_report_ready": TEMPLATE_ID,
                                                     "public_base_url": "https://qiyun.example.gov.cn"})
    return dataclasses.replace(resources, settings=settings)


@pytest.fixture
async def orgs(db, settings):
    return await seed_two_quarters(settings)


async def test_asked_for_run_by_the_worker_ready_with_files_and_the_requester_is_told(orgs, resources, wechat):
    notify = configured(resources)
    admin = await make_staff("report-admin", StaffRole.city_admin, "city.coordination")
    follower = await link_wechat(admin)
    report = await request_report(staff=admin, scope_organisation_id=None, kind=ReportKind.quarterly, **Q2,
                                  redis=resources.redis, now=NOW)
    assert report.status is ReportStatus.queued and report.requested_by_id == admin.id
    assert report.title == "上海市企业服务动态（2025年第二季度）"

    options = worker_settings(notify.settings, open_database=False)
    worker = Worker(**{**options, "cron_jobs": [], "burst": True, "handle_signals": False, "poll_delay": 0.05})
    try:
        await worker.main()
    finally:
        await worker.close()
    await deliver_pending(notify)  # whatever the worker's wake-ups had not delivered yet

    report = await Report.get(id=report.id)
    assert report.status is ReportStatus.ready and report.attempts == 1 and report.error == ""
    paths = {kind: report_file(notify.settings, getattr(report, f"{kind}_key")) for kind in ("html", "pdf", "xlsx")}
    assert all(path is not None and path.is_file() for path in paths.values())
    assert paths["pdf"].parent == notify.settings.resolved_var_dir / "reports" / str(report.id)
    assert paths["pdf"].read_bytes().startswith(b"%PDF-")
    # The kept figures and the workbook are the dashboard's figures for the same period and scope.
    figures = await period_figures(scope=CITY, **Q2, settings=notify.settings)
    assert report.figures["values"]["appeals.received"] == figures.appeals.received == 14
    summary = list(load_workbook(paths["xlsx"])["汇总"].iter_rows(min_row=4, values_only=True))
    assert summary[0][1:3] == ("收到诉求", 14)

    [message] = await delivered(wechat, kind="template", openid=follower.openid)
    assert message["payload"]["template_id"] == TEMPLATE_ID
    assert message["payload"]["url"] == f"https://qiyun.example.gov.cn/admin/reports/{report.id}"
    assert message["payload"]["data"]["thing3"]["value"] == "2025年第二季度"


async def test_a_retry_does_not_regenerate_a_ready_report(orgs, resources):
    report = await reports_module.create_report(organisation_id=None, kind=ReportKind.quarterly, **Q2)
    ctx = {"resources": configured(resources)}
    assert await generate_report(ctx, report.id) == "ready"
    first = await Report.get(id=report.id)
    pdf = report_file(resources.settings, first.pdf_key)
    stamp = pdf.stat().st_mtime_ns
    assert await generate_report(ctx, report.id) == "ready"  # arq retrying, or the job enqueued twice
    again = await Report.get(id=report.id)
    assert (again.attempts, again.finished_at, pdf.stat().st_mtime_ns) == (1, first.finished_at, stamp)
    assert await OutboxMessage.filter(topic="report.ready").count() == 1  # told once
    assert await generate_report(ctx, 999_999) == "missing"


async def test_a_failure_is_kept_and_a_retry_generates_it(orgs, resources, monkeypatch):
    report = await reports_module.create_report(organisation_id=None, kind=ReportKind.quarterly, **Q2)

    async def broken(**kwargs):
        raise RuntimeError("数据库暂时不可用")

    real = reports_module.compose_report
    monkeypatch.setattr(reports_module, "compose_report", broken)
    failed = await build_report(report.id, settings=resources.settings)
    assert failed.status is ReportStatus.failed and "数据库暂时不可用" in failed.error and failed.pdf_key == ""
    assert not await OutboxMessage.filter(topic="report.ready").exists()
    monkeypatch.setattr(reports_module, "compose_report", real)
    ready = await build_report(report.id, settings=resources.settings)
    assert ready.status is ReportStatus.ready and ready.attempts == 2 and ready.error == ""


async def test_a_running_report_is_not_claimed_twice_unless_its_worker_died(orgs, resources):
    report = await reports_module.create_report(organisation_id=None, kind=ReportKind.quarterly, **Q2)
    started = datetime.now(timezone.utc)
    await Report.filter(id=report.id).update(status=ReportStatus.running, started_at=started, attempts=1)
    still = await build_report(report.id, settings=resources.settings)
    assert still.status is ReportStatus.running and still.attempts == 1  # another worker is on it
    await Report.filter(id=report.id).update(started_at=started - timedelta(hours=1))
    taken_over = await build_report(report.id, settings=resources.settings, notify=False)
    assert taken_over.status is ReportStatus.ready and taken_over.attempts == 2


async def test_the_schedule_makes_the_city_and_each_district_report_once(orgs, resources, wechat):
    notify = configured(resources)
    districts = await Organisation.filter(kind=OrganisationKind.district_government, is_active=True).count()
    pool = await create_pool(worker_settings(notify.settings, open_database=False)["redis_settings"])
    first_of_july = datetime(2025, 7, 1, 2, 35, tzinfo=SH)
    try:
        assert await generate_scheduled_reports({"redis": pool}, now=first_of_july) == 1 + districts
        assert await generate_scheduled_reports({"redis": pool}, now=first_of_july + timedelta(hours=1)) == 0
        queued = await pool.queued_jobs()
    finally:
        await pool.aclose()
    assert sorted(job.function for job in queued) == ["generate_report"] * (1 + districts)
    reports = await Report.all().order_by("id")
    assert {(r.kind, r.period_start, r.period_end, r.requested_by_id) for r in reports} == {
        (ReportKind.quarterly, date(2025, 4, 1), date(2025, 6, 30), None)}
    assert [r.scope_organisation_id for r in reports][0] is None
    assert {r.scope_organisation_id for r in reports[1:]} == {
        o.id for o in await Organisation.filter(kind=OrganisationKind.district_government)}
    # A failed one is made again by the next tick; a ready, queued or running one is not.
    await Report.filter(id=reports[1].id).update(status=ReportStatus.failed)
    pool = await create_pool(worker_settings(notify.settings, open_database=False)["redis_settings"])
    try:
        assert await generate_scheduled_reports({"redis": pool}, now=first_of_july + timedelta(hours=2)) == 1
    finally:
        await pool.aclose()


async def test_a_scheduled_report_is_told_to_the_staff_who_may_read_it(orgs, resources, wechat):
    notify = configured(resources)
    city = await make_staff("report-city", StaffRole.city_admin, "city.coordination")
    pudong = await make_staff("report-pudong", StaffRole.district_admin, PUDONG)
    xuhui = await make_staff("report-xuhui", StaffRole.district_admin, "district.310104")
    keji = await make_staff("report-keji", StaffRole.department_handler, "city.science-tech")  # no report.view
    followers = {staff.username: await link_wechat(staff) for staff in (city, pudong, xuhui, keji)}
    report = await reports_module.create_report(organisation_id=orgs[PUDONG].id, kind=ReportKind.quarterly, **Q2)
    await build_report(report.id, settings=notify.settings)
    await deliver_pending(notify)
    await deliver_pending(notify)
    told = {name for name, follower in followers.items()
            if await delivered(wechat, kind="template", openid=follower.openid)}
    assert told == {"report-city", "report-pudong"}


def test_the_cron_acts_early_on_the_first_days_of_a_quarter_in_shanghai():
    assert quarterly_due(datetime(2025, 6, 30, 18, 35, tzinfo=timezone.utc))  # 1 July 02:35 Shanghai
    assert not quarterly_due(datetime(2025, 6, 30, 17, 35, tzinfo=timezone.utc))  # 01:35: not yet
    assert quarterly_due(datetime(2025, 7, 2, 9, 0, tzinfo=SH))  # a missed first day is caught up
    assert not quarterly_due(datetime(2025, 7, 3, 9, 0, tzinfo=SH))
    assert not quarterly_due(datetime(2025, 8, 1, 9, 0, tzinfo=SH))
    assert [job.name for job in reports_module.CRON_JOBS] == ["cron:generate_scheduled_reports"]


async def test_who_may_ask_for_which_scope(orgs, resources):
    city = await make_staff("ask-city", StaffRole.service_manager, "city.coordination")
    pudong = await make_staff("ask-pudong", StaffRole.district_admin, PUDONG)
    handler = await make_staff("ask-keji", StaffRole.department_handler, "city.science-tech")
    evaluator = await make_staff("ask-pinggu", StaffRole.evaluator, "city.coordination")
    assert [c.organisation_id for c in await scope_choices(pudong)] == [orgs[PUDONG].id]
    assert (await scope_choices(city))[0].organisation_id is None and len(await scope_choices(city)) > 2
    for staff in (handler, evaluator):
        with pytest.raises(ReportError):
            await request_report(staff=staff, scope_organisation_id=None, kind="quarterly", **Q2, now=NOW)
    with pytest.raises(ReportError) as refused:  # a district reports on itself, not the city
        await request_report(staff=pudong, scope_organisation_id=None, kind="quarterly", **Q2, now=NOW)
    assert refused.value.code == "forbidden"
    with pytest.raises(ReportError):  # not a whole quarter
        await request_report(staff=city, scope_organisation_id=None, kind="quarterly",
                             period_start=date(2025, 4, 1), period_end=date(2025, 5, 31), now=NOW)
    mine = await request_report(staff=pudong, scope_organisation_id=orgs[PUDONG].id, kind="quarterly", **Q2, now=NOW)
    chosen = await request_report(staff=city, scope_organisation_id=orgs[PUDONG].id, kind="custom",
                                  period_start=date(2025, 5, 1), period_end=date(2025, 5, 31), now=NOW)
    assert mine.scope_label == chosen.scope_label == orgs[PUDONG].short_name
    city_report = await request_report(staff=city, scope_organisation_id=None, kind="quarterly", **Q2, now=NOW)
    assert await may_view(pudong, mine) and not await may_view(pudong, city_report)
    assert await may_view(evaluator, mine) and await may_view(evaluator, city_report)
    assert not await may_view(handler, mine)


async def test_the_command_line_generates_now_without_telling_anyone(orgs, resources):
    report = await generate_now(settings=resources.settings, quarter="2025Q2", organisation=PUDONG)
    assert report.status is ReportStatus.ready and report.requested_by_id is None
    assert report.scope_organisation_id == orgs[PUDONG].id and report.kind is ReportKind.quarterly
    assert report_file(resources.settings, report.pdf_key).is_file()
    assert not await OutboxMessage.filter(topic="report.ready").exists()
    with pytest.raises(UsageError):
        await generate_now(settings=resources.settings, quarter="2025Q5")
    with pytest.raises(UsageError):
        await generate_now(settings=resources.settings, quarter="2025Q2", organisation="no.such")
