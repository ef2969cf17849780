"""The policy search index: an FTS5 table and a facet table on SQLite, a side table with
tsvectors and a GIN index on PostgreSQL (see app/policy/search_index.py, whose DDL constants
this copies literally so the migration never changes with the app code). Existing policies are indexed by
`qiyun reindex-policies`; new and edited ones by the policy service."""

from tortoise import migrations
from tortoise.migrations import operations as ops

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS policy_search USING fts5(title, summary, body, tokenize = 'unicode61')",
    "CREATE TABLE IF NOT EXISTS policy_search_facet (policy_id INTEGER NOT NULL PRIMARY KEY REFERENCES policy (id) ON DELETE CASCADE, status VARCHAR(16) NOT NULL, support_type VARCHAR(24) NOT NULL, publish_date DATE, expiry_date DATE, apply_start DATE, apply_end DATE, districts TEXT NOT NULL DEFAULT '')",
)
SQLITE_DROP = ('DROP TABLE IF EXISTS policy_search_facet', 'DROP TABLE IF EXISTS policy_search')
POSTGRES_CREATE = (
    "CREATE TABLE IF NOT EXISTS policy_search (policy_id INT NOT NULL PRIMARY KEY REFERENCES policy (id) ON DELETE CASCADE, status VARCHAR(16) NOT NULL, support_type VARCHAR(24) NOT NULL, publish_date DATE, expiry_date DATE, apply_start DATE, apply_end DATE, districts TEXT[] NOT NULL DEFAULT '{}', head TSVECTOR NOT NULL, document TSVECTOR NOT NULL)",
    'CREATE INDEX IF NOT EXISTS policy_search_document_gin ON policy_search USING GIN (document)',
    'ALTER TABLE policy_search ALTER COLUMN document SET STATISTICS 0',
)
POSTGRES_DROP = ('DROP TABLE IF EXISTS policy_search',)


async def _run(schema_editor, statements) -> None:
    # One statement per call, inside the migration's transaction (SQLite's executescript
    # would commit it).
    for statement in statements:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(statement)
        else:
            await schema_editor.client.execute_query(statement)


def _for_backend(sqlite, postgres):
    async def run(apps, schema_editor) -> None:
        dialect = schema_editor.client.capabilities.dialect
        if dialect == "sqlite":
            await _run(schema_editor, sqlite)
        elif dialect == "postgres":
            await _run(schema_editor, postgres)
        else:
            raise RuntimeError(f"policy search supports SQLite and PostgreSQL, not {dialect}")

    return run


class Migration(migrations.Migration):
    dependencies = [('qiyun', '0005_notification_grants')]

    initial = False

    operations = [
        ops.RunPython(
            _for_backend(SQLITE_CREATE, POSTGRES_CREATE),
            reverse_code=_for_backend(SQLITE_DROP, POSTGRES_DROP),
        ),
    ]
