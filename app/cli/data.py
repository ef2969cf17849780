"""Data commands: the enterprise register, policies and demo data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tortoise.exceptions import BaseORMException

from app.cli import command
from app.cli.common import Progress, run_with_database, settings_and_logging


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="CSV or XLSX export of the legal-person register")
    parser.add_argument("--strict", action="store_true", help="import nothing if any row is rejected")


@command("import-enterprises", help="import or update enterprises from a register export (CSV/XLSX)", arguments=_import_arguments)
def import_enterprises(args: argparse.Namespace) -> int:
    from app.enterprise.register_import import import_register

    settings = settings_and_logging()
    if not args.file.is_file():
        print(f"qiyun: no such file: {args.file}", file=sys.stderr)
        return 2
    try:
        report = run_with_database(
            settings, lambda: import_register(path=args.file, progress=Progress("rows"), strict=args.strict)
        )
    except BaseORMException as exc:
        print(f"qiyun: the import failed and nothing was imported: {exc}", file=sys.stderr)
        return 1
    for rejected in report.rejected:
        print(f"line {rejected.line}: {rejected.credit_code or '-'}: {rejected.reason}", file=sys.stderr)
    print(
        f"{report.total:,} rows: {report.created:,} created, {report.updated:,} updated, "
        f"{len(report.rejected):,} rejected"
    )
    return 1 if report.rejected and (args.strict or report.created + report.updated == 0) else 0


def _import_policies_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="XLSX or CSV with Chinese headers (标题, 文号, 发文单位, 支持方式, ...)")
    parser.add_argument("--publish", action="store_true", help="publish the policies at once instead of importing drafts")
    parser.add_argument("--staff", metavar="USERNAME", help="import as this staff member (recorded as the author)")


@command("import-policies", help="import policies from a spreadsheet, all or nothing (drafts unless --publish)", arguments=_import_policies_arguments)
def import_policies_command(args: argparse.Namespace) -> int:
    from app.policy.importer import import_policies
    from app.staff.models import Staff

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
        return await import_policies(path=args.file, staff=staff, publish=args.publish)

    try:
        report = run_with_database(settings, run)
    except BaseORMException as exc:
        print(f"qiyun: the import failed and nothing was imported: {exc}", file=sys.stderr)
        return 1
    if report is None:
        print(f"qiyun: no active staff member {args.staff!r}", file=sys.stderr)
        return 2
    for rejected in report.rejected:
        print(f"line {rejected.line}: {rejected.title or '-'}: {rejected.reason}", file=sys.stderr)
    if report.rejected:
        print(f"{report.total:,} rows: {len(report.rejected):,} rejected, nothing imported")
        return 1
    state = "published" if report.published else "drafts"
    print(f"{report.total:,} rows: {report.imported:,} policies imported ({state})")
    return 0


def _generate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="where to write (.csv or .xlsx)")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2017)


@command("generate-register", help="write a synthetic register file (deterministic by seed)", arguments=_generate_arguments)
def generate_register(args: argparse.Namespace) -> int:
    from app.enterprise.synthetic import write_register_csv, write_register_xlsx

    writer = write_register_xlsx if args.file.suffix.lower() == ".xlsx" else write_register_csv
    writer(args.file, args.count, seed=args.seed, progress=Progress("rows"))
    print(f"wrote {args.count:,} enterprises to {args.file}")
    return 0


def _seed_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--enterprises", type=int, default=2000)


@command("seed-demo", help="load demo organisations, staff and a synthetic register (not in production)", arguments=_seed_arguments)
def seed_demo_command(args: argparse.Namespace) -> int:
    from app.demo import DEMO_STAFF, seed_demo

    settings = settings_and_logging()
    if settings.is_production:
        print("qiyun: seed-demo is refused in production", file=sys.stderr)
        return 2
    progress = Progress("enterprises")
    summary = run_with_database(
        settings, lambda: seed_demo(enterprises=args.enterprises, progress=lambda _, d, t: progress(d, t))
    )
    print(
        f"demo data: {summary['organisations']} organisations, {summary['staff']} staff, "
        f"{summary['enterprises']:,} enterprises, {summary.get('policies', 0)} policies, "
        f"{summary.get('followers', 0)} bound demo followers, {summary.get('appeals', 0)} appeals, "
        f"{summary.get('providers', 0)} providers, {summary.get('engagements', 0)} engagements, "
        f"{summary.get('directory', 0)} directory entries, {summary.get('activities', 0)} activities, "
        f"{summary.get('surveys', 0)} surveys added"
    )
    if summary["staff"]:
        print("demo staff accounts (development only):")
        for member in DEMO_STAFF:
            print(f"  {member.username:<8} {member.password:<20} {member.role.label}")
    return 0


@command("reindex-policies", help="rebuild the policy search index (after changing the search dictionary, or upgrading)")
def reindex_policies_command(args: argparse.Namespace) -> int:
    import time

    from app.policy.search import rebuild_index

    settings = settings_and_logging()
    started = time.monotonic()
    count = run_with_database(settings, lambda: rebuild_index(progress=Progress("policies")))
    print(f"indexed {count:,} policies in {time.monotonic() - started:.1f}s")
    return 0


@command("reindex-directory", help="rebuild the public service directory's search index (after changing the search dictionary)")
def reindex_directory_command(args: argparse.Namespace) -> int:
    import time

    from app.directory.search import rebuild_index

    settings = settings_and_logging()
    started = time.monotonic()
    count = run_with_database(settings, rebuild_index)
    print(f"indexed {count:,} published directory entries in {time.monotonic() - started:.1f}s")
    return 0
