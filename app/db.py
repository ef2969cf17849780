"""The database: one tortoise app (`qiyun`) over every domain's models, with committed migrations.

The same migrations run on SQLite (the embedded default) and PostgreSQL (production),
so schema changes are written once with `qiyun makemigrations` and applied everywhere
with `qiyun migrate`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.migrations.api import migrate as migrate_api
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor

logger = logging.getLogger("qiyun.db")

APP_LABEL = "qiyun"
MIGRATIONS_MODULE = "app.migrations"
MODEL_MODULES: tuple[str, ...] = (
    "app.enterprise.models",
    "app.organisation.models",
    "app.staff.models",
    "app.identity.models",
    "app.policy.models",
    "app.push.models",
    "app.appeal.models",
    "app.provider.models",
    "app.engagement.models",
    "app.directory.models",
    "app.survey.models",
    "app.activity.models",
    "app.reporting.models",
    "app.messagelog.models",
    "app.notification.models",
    "app.audit.models",
    "app.autoreply.models",
    "app.menustore.models",
    "app.outbox.models",
    "app.content_check.models",
)
TIMEZONE = "Asia/Shanghai"


def backend_name(database_url: str) -> str:
    """'sqlite' or 'postgres': the two backends Qiyun supports."""
    scheme = database_url.split(":", 1)[0]
    if scheme == "sqlite":
        return "sqlite"
    if scheme in {"postgres", "postgresql", "asyncpg", "psycopg"}:
        return "postgres"
    raise ValueError(f"DATABASE_URL: unsupported scheme {scheme!r}, use sqlite:// or postgres://")


def _connection(database_url: str) -> str | dict[str, Any]:
    if backend_name(database_url) == "postgres":
        return database_url
    path = database_url.removeprefix("sqlite://")
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the server workers read while the job worker writes; busy_timeout makes
    # concurrent writers wait for each other instead of failing with "database is locked".
    return {
        "engine": "app.sqlite_backend",  # BEGIN IMMEDIATE: see the module
        "credentials": {
            "file_path": path,
            # busy_timeout first: the pragmas run in this order, and the journal-mode
            # pragma meets the lock of a process starting at the same moment.
            "busy_timeout": 15000,
            "journal_mode": "WAL",
            "synchronous": "NORMAL",
            "foreign_keys": "ON",
        },
    }


def _sqlite_datetime(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(TIMEZONE))
    return moment.isoformat(" ")


def _register_sqlite_datetimes() -> None:
    """Every datetime parameter reaches SQLite as text in TIMEZONE.

    SQLite keeps times as text and compares text. Tortoise converts times to TIMEZONE when it
    creates rows, but not in `.update()` or in filters, so without this a row updated with a
    UTC time would be stored as "…+00:00" beside "…+08:00" rows, and `due_at__lte=now` would
    compare the wrong instants. PostgreSQL stores instants and needs none of this."""
    sqlite3.register_adapter(datetime, _sqlite_datetime)


def tortoise_config(database_url: str) -> dict[str, Any]:
    if backend_name(database_url) == "sqlite":
        _register_sqlite_datetimes()
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            APP_LABEL: {
                "models": list(MODEL_MODULES),
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": TIMEZONE,
    }


async def open_database(database_url: str) -> None:
    """Open the process's database. One per process, so it is the global fallback context:
    Sanic's request tasks and arq's job tasks do not inherit the listener's contextvars."""
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    await _connect_now(connections.get("default"))


CONNECT_ATTEMPTS = 8


async def _connect_now(client: BaseDBAsyncClient) -> None:
    """Open the connection here, in the start-up listener, rather than in the first request.

    tortoise opens a SQLite connection lazily while holding the client's lock and does not
    release that lock when opening fails (a `database is locked` from a process starting at
    the same moment) or is cancelled (a probe's timeout): every later query would then wait
    forever. Opened here, with a retry, no request ever opens it.
    """
    if not isinstance(client, SqliteClient):  # PostgreSQL: asyncpg's pool is created by init
        return
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            await client.create_connection(with_db=True)
            return
        except sqlite3.OperationalError as exc:
            await client.close()  # drop the half-configured connection
            if attempt == CONNECT_ATTEMPTS:
                raise
            logger.warning("opening the SQLite database failed (%s), retrying", exc)
            await asyncio.sleep(0.2 * attempt)


async def close_database() -> None:
    await Tortoise.close_connections()


async def apply_migrations(
    database_url: str, *, progress: Callable[[str, str, str], object] | None = None
) -> None:
    """Apply every pending migration; safe to run from several processes in turn."""
    try:
        await migrate_api(config=tortoise_config(database_url), progress=progress)
    finally:
        await Tortoise.close_connections()


async def pending_migrations() -> list[str]:
    """Names of migrations not yet applied on the open database (empty when up to date)."""
    config = tortoise_config("sqlite://:memory:")["apps"]
    executor = MigrationExecutor(connections.get("default"), config)
    plan = await executor.plan()
    return [f"{step.migration.app_label}.{step.migration.name}" for step in plan if not step.backward]


async def make_migrations(database_url: str, *, name: str | None = None, write: bool = True) -> list[str]:
    """Migrations the models need beyond the committed ones; written to disk unless `write=False`.

    A developer's command, run against a scratch database that has the committed migrations
    applied. With `write=False` it is the check that models and migrations agree.
    """
    config = tortoise_config(database_url)
    await Tortoise.init(config=config)
    try:
        autodetector = MigrationAutodetector(Tortoise.apps, config["apps"])
        writers = await autodetector.changes()
        names = []
        for writer in writers:
            if name:
                number = writer.name.split("_", 1)[0]
                writer.name = f"{number}_{name}"
            names.append(str(writer.write()) if write else f"{writer.app_label}.{writer.name}")
        return names
    finally:
        await Tortoise.close_connections()


async def ping_database() -> None:
    await connections.get("default").execute_query("SELECT 1")


def db_time(moment: datetime) -> datetime:
    """`moment` in the database's zone, for comparisons in filters.

    SQLite stores times as text in TIMEZONE and compares text, so a parameter in another
    zone (e.g. UTC from `datetime.now(timezone.utc)`) would compare wrongly; PostgreSQL
    compares instants either way."""
    return moment.astimezone(ZoneInfo(TIMEZONE))
