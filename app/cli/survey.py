"""`qiyun` subcommands of the business-environment evaluation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tortoise.exceptions import BaseORMException

from app.cli import command
from app.cli.common import run_with_database, settings_and_logging


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path,
                        help="XLSX or CSV with Chinese headers (统一社会信用代码, 事项编码, 事项名称, 办理部门, 办结时间, 办件编号)")
    parser.add_argument("--staff", metavar="USERNAME", help="import as this staff member (recorded in the audit log)")


@command("import-service-uses", help="import approval-service cases (办件记录) for service surveys, all or nothing",
         arguments=_import_arguments)
def import_service_uses_command(args: argparse.Namespace) -> int:
    from app.staff.models import Staff
    from app.survey.service_use import import_service_uses

    settings = settings_and_logging()
    if not args.file.is_file():
        print(f"qiyun: no such file: {args.file}", file=sys.stderr)
        return 2

    async def run():
        staff = None
        if args.staff:
            staff = await Staff.get_or_none(username=args.staff.strip().lower(), is_active=True)
            if staff is None:
                return None
        return await import_service_uses(staff=staff, path=args.file)

    try:
        report = run_with_database(settings, run)
    except BaseORMException as exc:
        print(f"qiyun: the import failed and nothing was imported: {exc}", file=sys.stderr)
        return 1
    if report is None:
        print(f"qiyun: no active staff member {args.staff!r}", file=sys.stderr)
        return 2
    for rejected in report.rejected:
        print(f"line {rejected.line}: {rejected.external_id or '-'}: {rejected.reason}", file=sys.stderr)
    if report.rejected:
        print(f"{report.total:,} rows: {len(report.rejected):,} rejected, nothing imported")
        return 1
    print(f"{report.total:,} rows: {report.created:,} cases imported, {report.unchanged:,} already known")
    return 0
