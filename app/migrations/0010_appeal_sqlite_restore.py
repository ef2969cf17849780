"""Restore on SQLite what 0009's table rebuilds dropped.

SQLite cannot alter a column in place: for 0009's status-enum changes tortoise rebuilds
`appeal`, `appeal_event` and `appeal_attachment`, and the rebuilt tables lose 0001's
UNIQUE (channel, external_id) — the rule that makes a 12345 ticket one appeal — and their
indexes. They are recreated here as indexes. PostgreSQL alters in place and keeps them.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

SQLITE_RESTORE = (
    "CREATE UNIQUE INDEX IF NOT EXISTS uid_appeal_channel_external ON appeal (channel, external_id)",
    "CREATE INDEX IF NOT EXISTS idx_appeal_status_created ON appeal (status, created_at)",
    "CREATE INDEX IF NOT EXISTS idx_appeal_lead_status ON appeal (lead_organisation_id, status)",
    "CREATE INDEX IF NOT EXISTS idx_appeal_district_created ON appeal (district, created_at)",
    "CREATE INDEX IF NOT EXISTS idx_appeal_event_appeal_created ON appeal_event (appeal_id, created_at)",
    "CREATE INDEX IF NOT EXISTS idx_appeal_attachment_trace ON appeal_attachment (check_trace_id)",
)


async def restore_sqlite_constraints(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect != "sqlite":
        return
    for statement in SQLITE_RESTORE:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(statement)
        else:
            await schema_editor.client.execute_query(statement)


class Migration(migrations.Migration):
    dependencies = [('qiyun', '0009_appeal_workflow')]

    initial = False

    operations = [
        ops.RunPython(restore_sqlite_constraints, ops.RunPython.noop),
    ]
