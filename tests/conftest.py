"""Project-wide fixtures: the real database, the real Redis and the WeChat simulator.

The backend is the embedded default (a SQLite file and an embedded redis-server, both
in a temporary directory) unless the suite runs with
`QIYUN_TEST_DATABASE_URL=postgres://...` and `QIYUN_TEST_REDIS_URL=redis://...`:
then a fresh PostgreSQL database is created for the session and dropped after it, and
the Redis database named in the URL is flushed before each test.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest
from redis.asyncio import Redis
from tortoise import connections

from app import db as database_module
from app.config import Settings
from app.redis_client import EmbeddedRedis, connect
from app.resources import Resources, open_resources

TEST_APPID = "wx" + "0123456789abcdef"
TEST_SECRET = "0123456789abcdef0123456789abcdef"
TEST_MP_APPID = "wx" + "fedcba9876543210"
TEST_MP_SECRET = "fedcba9876543210fedcba9876543210"
TEST_TOKEN = "qiyuntesttoken"
TEST_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
# The mini-program's message push (/wechat/miniprogram) has its own token and key.
TEST_MP_TOKEN = "qiyunmptesttoken"
TEST_MP_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"


def free_port() -> int:
    """A port nothing listens on right now (Sanic treats port 0 as "use the default")."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- backends -----------------------------------------------------------------


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def redis_url(var_dir: Path) -> Iterator[str]:
    url = os.environ.get("QIYUN_TEST_REDIS_URL")
    if url:
        yield url
        return
    embedded = EmbeddedRedis(var_dir / "redis")
    yield embedded.ensure_started()
    embedded.stop()


@pytest.fixture(scope="session")
async def database_url(var_dir: Path) -> AsyncIterator[str]:
    server_url = os.environ.get("QIYUN_TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite://{var_dir / 'test.sqlite3'}"
        return
    import asyncpg

    name = f"qiyun_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    parts = urlsplit(server_url)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _asyncpg_dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


@pytest.fixture(scope="session")
async def simulator():
    """The WeChat simulator on a random local port, shared by the session; reset per test by `wechat`."""
    from app.simulator import SimulatorConfig, start_simulator

    config = SimulatorConfig(
        apps={TEST_APPID: TEST_SECRET, TEST_MP_APPID: TEST_MP_SECRET},
        callback_token=TEST_TOKEN,
        callback_aes_key=TEST_AES_KEY,
        callback_appid=TEST_APPID,
        miniprogram_token=TEST_MP_TOKEN,
        miniprogram_aes_key=TEST_MP_AES_KEY,
        miniprogram_appid=TEST_MP_APPID,
    )
    running = await start_simulator(config, port=0)
    yield running
    await running.stop()


@pytest.fixture(scope="session")
def settings(var_dir: Path, database_url: str, redis_url: str, simulator) -> Settings:
    return Settings(
        _env_file=None,
        qiyun_env="test",
        var_dir=var_dir,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=secrets.token_urlsafe(32),
        wechat_appid=TEST_APPID,
        wechat_secret=TEST_SECRET,
        wechat_token=TEST_TOKEN,
        wechat_aes_key=TEST_AES_KEY,
        wechat_api_base=simulator.url,
        miniprogram_appid=TEST_MP_APPID,
        miniprogram_secret=TEST_MP_SECRET,
        miniprogram_token=TEST_MP_TOKEN,
        miniprogram_aes_key=TEST_MP_AES_KEY,
        log_format="text",
        # Tests publish and search within the same second; the shared search cache has its own
        # tests (tests/policy/test_search_cache.py and the chat's), which turn it on.
        policy_search_cache_seconds=0,
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment a child process needs to see the same configuration as the tests."""
    env = dict(os.environ)
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        raw = getattr(settings, name)
        if hasattr(raw, "get_secret_value"):
            value = raw.get_secret_value()
        elif isinstance(raw, dict) and any(hasattr(v, "get_secret_value") for v in raw.values()):
            value = {k: v.get_secret_value() for k, v in raw.items()}
        # Lists and mappings travel as JSON, which pydantic-settings parses back.
        env[name.upper()] = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
    return env


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[str]:
    """The migrated test database, open for the whole session."""
    await database_module.apply_migrations(settings.effective_database_url)
    await database_module.open_database(settings.effective_database_url)
    yield settings.effective_database_url
    await database_module.close_database()


@pytest.fixture
async def db(database: str) -> AsyncIterator[None]:
    """A test that touches the database gets it open, and empty again afterwards."""
    yield
    await _empty_tables(database)


async def _empty_tables(url: str) -> None:
    connection = connections.get("default")
    if database_module.backend_name(url) == "postgres":
        _, rows = await connection.execute_query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'tortoise_migrations'"
        )
        names = [f'"{row["tablename"]}"' for row in rows]
        if not names:
            return
        # DELETE with the foreign-key triggers off, then every sequence back to 1: what
        # TRUNCATE ... RESTART IDENTITY does, without TRUNCATE's new files for every table and
        # index (fsync-bound, ~0.7 s a test on a slow disk, most of the PostgreSQL suite's time).
        # Turning the triggers off needs a superuser (CI's and the default test role); any
        # other role gets the TRUNCATE.
        try:
            await connection.execute_script(
                "BEGIN; SET LOCAL session_replication_role = replica; "
                + " ".join(f"DELETE FROM {name};" for name in names)
                # The sequences of the emptied tables only (not tortoise_migrations').
                + " SELECT setval(s.oid, 1, false) FROM pg_class s JOIN pg_depend d ON d.objid = s.oid"
                " AND d.deptype IN ('a', 'i') JOIN pg_class t ON t.oid = d.refobjid"
                " JOIN pg_namespace n ON n.oid = t.relnamespace"
                " WHERE s.relkind = 'S' AND n.nspname = 'public' AND t.relname <> 'tortoise_migrations'; COMMIT;"
            )
        except Exception:
            await connection.execute_script("ROLLBACK")
            await connection.execute_script(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
        return
    _, rows = await connection.execute_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' AND name <> 'tortoise_migrations'"
    )
    # A virtual table (the FTS5 policy search index) is emptied through itself; deleting from
    # its shadow tables (<name>_data, _idx, _content, _docsize, _config) would corrupt it.
    virtual = [row["name"] for row in rows if (row["sql"] or "").upper().startswith("CREATE VIRTUAL TABLE")]
    shadow = {f"{name}_{suffix}" for name in virtual for suffix in ("data", "idx", "content", "docsize", "config")}
    statements = ["PRAGMA foreign_keys = OFF"]
    statements += [f'DELETE FROM "{row["name"]}"' for row in rows if row["name"] not in shadow]
    statements += ["DELETE FROM sqlite_sequence" if await _has_sqlite_sequence(connection) else "SELECT 1"]
    statements += ["PRAGMA foreign_keys = ON"]
    await connection.execute_script(";\n".join(statements))


async def _has_sqlite_sequence(connection) -> bool:
    _, rows = await connection.execute_query("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
    return bool(rows)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """The real Redis, emptied before each test."""
    client = connect(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def wechat(simulator):
    """The simulator, reset to a clean state for this test."""
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{simulator.url}/_sim/reset") as response:
            assert response.status == 200
    return simulator


@pytest.fixture
async def resources(settings: Settings, db, redis: Redis, wechat) -> AsyncIterator[Resources]:
    opened = await open_resources(settings, open_database=False)
    yield opened
    await opened.aclose()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(scope="session")
async def running_app(settings: Settings) -> AsyncIterator[tuple[object, str]]:
    """One Sanic app serving real HTTP on a random local port for the whole session.

    Sanic rewrites its protocol classes when an app starts ("touch-up"), so it is started
    once; each test hands it that test's resources through `server`.
    """
    from app.factory import create_app

    app = create_app(settings, name="qiyun_test", manage_resources=False)
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    yield app, f"http://127.0.0.1:{port}"
    await server.before_stop()
    await server.close()
    await server.after_stop()


@pytest.fixture
async def server(running_app, resources: Resources) -> AsyncIterator[str]:
    """The app's base URL, serving with this test's resources."""
    app, url = running_app
    app.ctx.resources = resources
    yield url
    app.ctx.resources = None
