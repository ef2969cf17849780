"""Commands that talk to WeChat."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from app.cli import command
from app.cli.common import run_with_database, settings_and_logging
from app.menu import MenuError, load_menu, menu_substitutions, validate_menu


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--file", type=Path, default=None,
        help="upload this file; default: the newest menu saved in the admin panel, else handlers/menu.json",
    )
    parser.add_argument("--check", action="store_true", help="validate only, do not upload")


@command("sync-menu", help="validate the official account's menu and upload it to WeChat", arguments=_arguments)
def sync_menu(args: argparse.Namespace) -> int:
    from app.redis_client import connect, resolve_redis_url
    from app.resources import wechat_clients

    settings = settings_and_logging()
    substitutions = menu_substitutions(
        public_base_url=settings.public_base_url, miniprogram_appid=settings.miniprogram_appid
    )
    try:
        if args.file is not None:
            menu, source = load_menu(args.file, substitutions=substitutions), str(args.file)
        else:
            menu, source = run_with_database(settings, lambda: _saved_menu(substitutions))
        validate_menu(menu)
    except MenuError as exc:
        print(f"qiyun: menu not valid: {exc}", file=sys.stderr)
        return 2
    if args.check:
        print(f"menu is valid ({source})")
        return 0

    async def upload() -> None:
        redis = connect(resolve_redis_url(settings.redis_url, settings.resolved_var_dir))
        official_account, miniprogram = wechat_clients(settings, redis)
        try:
            await official_account.menu.create(menu)
        finally:
            await official_account.aclose()
            await miniprogram.aclose()
            await redis.aclose()

    asyncio.run(upload())
    print(f"menu uploaded ({len(menu['button'])} buttons, {source})")
    return 0


async def _saved_menu(substitutions: dict[str, str]) -> tuple[dict[str, Any], str]:
    """The newest version saved in the panel, else the repository file; and which it was."""
    from app import db
    from app.menu import MENU_FILE
    from app.menustore.service import menu_for_upload

    if await db.pending_migrations():
        print("qiyun: the database is not migrated; using the repository menu file", file=sys.stderr)
        return load_menu(MENU_FILE, substitutions=substitutions), str(MENU_FILE)
    menu, version = await menu_for_upload(substitutions=substitutions)
    return menu, (f"saved version {version.id}" if version is not None else str(MENU_FILE))
