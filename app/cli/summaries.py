"""Summary commands: bring the dashboards' daily summary tables up to date by hand."""

from __future__ import annotations

import argparse

from app.cli import command
from app.cli.common import run_with_database, settings_and_logging


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--full", action="store_true", help="rebuild the summaries from scratch instead of the recent days")


@command("refresh-summaries", help="bring the dashboard summary tables up to date (what the 5-minute job does)",
         arguments=_arguments)
def refresh_summaries_command(args: argparse.Namespace) -> int:
    from app.reporting.refresh import refresh_summaries

    settings = settings_and_logging()
    result = run_with_database(settings, lambda: refresh_summaries(settings=settings, full=args.full))
    appeal_days = "all days" if result.appeal_since is None else f"days from {result.appeal_since}"
    delivery_days = "all days" if result.delivery_since is None else f"days from {result.delivery_since}"
    print(f"appeal summary: {result.appeal_rows:,} rows written ({appeal_days})")
    print(f"delivery summary: {result.delivery_rows:,} rows written ({delivery_days})")
    print(f"{result.rows:,} rows in {result.seconds:.2f} s")
    return 0
