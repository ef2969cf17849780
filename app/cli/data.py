"""Data commands: the enterprise register and demo data."""

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
        f"{summary['enterprises']:,} enterprises added"
    )
    if summary["staff"]:
        print("demo staff accounts (development only):")
        for member in DEMO_STAFF:
            print(f"  {member.username:<8} {member.password:<20} {member.role.label}")
    return 0
