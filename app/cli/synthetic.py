"""`qiyun generate-year`: a year of synthetic data on top of the demo data (app.reporting.synthetic)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from app.cli import command
from app.cli.common import Progress, run_with_database, settings_and_logging


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--appeals", type=int, default=100_000, help="appeals over the year (default 100,000)")
    parser.add_argument("--deliveries", type=int, default=100_000, help="push deliveries over the year (default 100,000)")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--end", type=_day, default=None, help="the year's last day, YYYY-MM-DD (default: today, Shanghai)")
    parser.add_argument("--replace", action="store_true", help="delete what an earlier run generated first")


@command("generate-year", help="load a year of synthetic appeals, pushes, followers, ratings and activities (not in production)",
         arguments=_arguments)
def generate_year_command(args: argparse.Namespace) -> int:
    from app.reporting.periods import today
    from app.reporting.synthetic import generate_year

    settings = settings_and_logging()
    if settings.is_production:
        print("qiyun: generate-year is refused in production", file=sys.stderr)
        return 2
    if args.appeals < 0 or args.deliveries < 0:
        print("qiyun: counts must not be negative", file=sys.stderr)
        return 2
    bars: dict[str, Progress] = {}

    def progress(label: str, done: int, total: int) -> None:
        bars.setdefault(label, Progress(label))(done, total)

    try:
        summary = run_with_database(settings, lambda: generate_year(
            settings=settings, appeals=args.appeals, deliveries=args.deliveries, seed=args.seed,
            end=args.end or today(), replace=args.replace, progress=progress,
        ))
    except RuntimeError as exc:
        print(f"qiyun: {exc}", file=sys.stderr)
        return 1
    for line in summary.lines():
        print(line)
    # The year was written into the past, where the summaries' incremental refresh does not
    # look for new deliveries: rebuild them whole so dashboards show the year at once.
    from app.reporting.refresh import refresh_summaries

    rebuilt = run_with_database(settings, lambda: refresh_summaries(settings=settings, full=True))
    print(f"summary tables rebuilt: {rebuilt.rows:,} rows in {rebuilt.seconds:.1f} s")
    return 0
