"""Staff accounts from the command line (the first administrator, or scripted set-up)."""

from __future__ import annotations

import argparse
import getpass
import sys

from app.cli import command
from app.cli.common import run_with_database, settings_and_logging
from app.staff.models import StaffRole


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username", required=True)
    parser.add_argument("--name", required=True, help="display name")
    parser.add_argument("--role", required=True, choices=[role.value for role in StaffRole])
    parser.add_argument("--organisation", required=True, help="organisation code, e.g. city.coordination")
    parser.add_argument("--phone", default="")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input instead of prompting"
    )


@command("create-staff", help="create a staff account", arguments=_arguments)
def create_staff_command(args: argparse.Namespace) -> int:
    from app.staff.service import StaffError, create_staff

    settings = settings_and_logging()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("qiyun: passwords differ", file=sys.stderr)
            return 2
    try:
        staff = run_with_database(
            settings,
            lambda: create_staff(
                username=args.username,
                display_name=args.name,
                password=password,
                role=StaffRole(args.role),
                organisation_code=args.organisation,
                phone=args.phone,
            ),
        )
    except StaffError as exc:
        print(f"qiyun: {exc}", file=sys.stderr)
        return 2
    print(f"created {staff.username} ({StaffRole(staff.role).label})")
    return 0
