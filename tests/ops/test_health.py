"""/healthz says the process is alive; /readyz says it can serve (database, Redis, migrations)."""

from tortoise import connections

from app import db


async def test_healthz_answers_with_a_request_id(server, http):
    async with http.get(f"{server}/healthz") as response:
        assert response.status == 200
        assert (await response.json()) == {"status": "ok"}
        assert len(response.headers["X-Request-ID"]) >= 8


async def test_a_well_formed_incoming_request_id_is_kept(server, http):
    async with http.get(f"{server}/healthz", headers={"X-Request-ID": "lb-trace-0001"}) as response:
        assert response.headers["X-Request-ID"] == "lb-trace-0001"
    async with http.get(f"{server}/healthz", headers={"X-Request-ID": "bad id\twith tab"}) as response:
        assert response.headers["X-Request-ID"] != "bad id\twith tab"


async def test_readyz_ok_when_database_redis_and_migrations_are(server, http):
    async with http.get(f"{server}/readyz") as response:
        body = await response.json()
    assert response.status == 200, body
    assert body == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "migrations": "ok"}}


async def test_readyz_unavailable_when_a_migration_is_pending(server, http):
    connection = connections.get("default")
    _, rows = await connection.execute_query("SELECT name FROM tortoise_migrations ORDER BY id DESC LIMIT 1")
    latest = rows[0]["name"]
    await connection.execute_query("DELETE FROM tortoise_migrations WHERE name = '%s'" % latest)
    try:
        async with http.get(f"{server}/readyz") as response:
            body = await response.json()
        assert response.status == 503
        assert body["checks"]["migrations"].startswith("error: RuntimeError: 1 pending")
        assert latest in body["checks"]["migrations"]
    finally:
        await connection.execute_query(
            "INSERT INTO tortoise_migrations (app, name, applied_at) VALUES ('qiyun', '%s', CURRENT_TIMESTAMP)" % latest
        )
    assert await db.pending_migrations() == []


async def test_readyz_unavailable_when_redis_is_unreachable(server, http, resources):
    real = resources.redis

    class Unreachable:
        async def ping(self):
            raise ConnectionError("connection refused")

    resources.redis = Unreachable()
    try:
        async with http.get(f"{server}/readyz") as response:
            body = await response.json()
    finally:
        resources.redis = real
    assert response.status == 503
    assert body["checks"]["redis"].startswith("error: ConnectionError")
    assert body["checks"]["database"] == "ok"


async def test_readyz_unavailable_while_a_worker_is_still_opening_its_connections(running_app, http):
    app, url = running_app
    assert getattr(app.ctx, "resources", None) is None  # as between a worker's start and its listener
    async with http.get(f"{url}/readyz") as response:
        body = await response.json()
    assert response.status == 503 and response.headers["Retry-After"] == "1"
    assert body["status"] == "starting"
