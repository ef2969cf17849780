"""`qiyun generate-report`: make a 《企业服务动态》 report now, in this process, and print its files.

For an operator (a report the schedule missed, or one wanted before the quarter's cron): the
report is recorded like a scheduled one (listed in the admin, nobody asked for it), but no
WeChat notice is sent — whoever ran the command has the paths. The summary tables are
brought up to date first (`--no-refresh` to skip), so the figures include today's changes.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from app.cli import command
from app.cli.common import run_with_database, settings_and_logging


def _arguments(parser: argparse.ArgumentParser) -> None:
    period = parser.add_mutually_exclusive_group(required=True)
    period.add_argument("--quarter", metavar="YYYYQn", help="a calendar quarter, e.g. 2026Q3")
    period.add_argument("--period", nargs=2, metavar=("START", "END"), help="custom dates, e.g. 2026-07-01 2026-08-15")
    parser.add_argument("--organisation", metavar="CODE",
                        help="a district government's (or other organisation's) code; default: the whole city")
    parser.add_argument("--no-refresh", action="store_true", help="do not bring the summary tables up to date first")


class UsageError(ValueError):
    pass


async def generate_now(*, settings, quarter: str | None = None, period: tuple[str, str] | None = None,
                       organisation: str | None = None, refresh: bool = True):
    """Create and generate one report synchronously; returns the report (ready or failed)."""
    from app.organisation.models import Organisation
    from app.reporting.models import ReportKind
    from app.reporting.periods import quarter_of
    from app.reporting.refresh import refresh_summaries
    from app.reporting.reports import build_report, create_report, parse_quarter

    if quarter:
        found = parse_quarter(quarter)
        if found is None:
            raise UsageError(f"not a quarter: {quarter!r} (expected e.g. 2026Q3)")
        start, end = found
    else:
        try:
            start, end = (date.fromisoformat(value) for value in period or ())
        except ValueError as exc:
            raise UsageError(f"not a date: {exc}") from exc
        if start > end:
            raise UsageError("the period starts after it ends")
    organisation_id = None
    if organisation:
        found_org = await Organisation.get_or_none(code=organisation)
        if found_org is None:
            raise UsageError(f"no organisation with code {organisation!r}")
        organisation_id = found_org.id
    if refresh:
        await refresh_summaries(settings=settings)
    kind = ReportKind.quarterly if (start, end) == quarter_of(start) else ReportKind.custom
    report = await create_report(organisation_id=organisation_id, kind=kind, period_start=start, period_end=end)
    return await build_report(report.id, settings=settings, notify=False)


@command("generate-report", help="generate a 企业服务动态 report now (HTML, PDF, XLSX) and print the file paths",
         arguments=_arguments)
def generate_report_command(args: argparse.Namespace) -> int:
    from app.reporting.reports import report_file

    settings = settings_and_logging()
    try:
        report = run_with_database(settings, lambda: generate_now(
            settings=settings, quarter=args.quarter, period=tuple(args.period) if args.period else None,
            organisation=args.organisation, refresh=not args.no_refresh))
    except UsageError as exc:
        print(f"qiyun: {exc}", file=sys.stderr)
        return 2
    print(f"report {report.id}: {report.title} — {report.status.label}")
    if report.status.value != "ready":
        print(f"qiyun: generation failed: {report.error}", file=sys.stderr)
        return 1
    for key in ("pdf_key", "xlsx_key", "html_key"):
        print(report_file(settings, getattr(report, key)))
    return 0
