"""The search index on each backend: its schema from the migration, and rebuilding it with
`qiyun reindex-policies` as an operator would."""

from __future__ import annotations

from datetime import date

from tortoise import connections

from app import db as database_module
from app.policy.models import Policy, PolicyStatus, SupportType
from app.policy.search import search_policies
from tests.cli.test_cli import qiyun
from tests.conftest import settings_env


async def test_the_migration_creates_the_native_index(db, settings):
    connection = connections.get("default")
    if database_module.backend_name(settings.effective_database_url) == "postgres":
        _, rows = await connection.execute_query(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'policy_search'"
        )
        assert any("USING gin (document)" in row["indexdef"] for row in rows)
        _, rows = await connection.execute_query(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'policy_search' AND column_name = 'document'"
        )
        assert rows[0]["data_type"] == "tsvector"
    else:
        _, rows = await connection.execute_query("SELECT sql FROM sqlite_master WHERE name = 'policy_search'")
        assert "USING fts5(title, summary, body" in rows[0]["sql"]


async def test_reindex_policies_command_indexes_existing_policies(db, settings):
    for number in range(3):
        await Policy.create(
            title=f"知识产权质押融资贴息{number}", support_type=SupportType.financing,
            status=PolicyStatus.published, publish_date=date(2024, 1, 1),
        )
    assert (await search_policies(query="质押融资", today=date(2024, 6, 1))).total == 0

    result = await qiyun("reindex-policies", env=settings_env(settings))

    assert result.returncode == 0, result.stderr
    assert "indexed 3 policies" in result.stdout
    found = await search_policies(query="质押融资", today=date(2024, 6, 1))
    assert found.total == 3
    assert all("质押融资" in hit.policy.search_text.split() for hit in found.hits)
