"""The committed migrations are all applied in the test database."""

from app.db import pending_migrations


async def test_no_migration_is_pending(db):
    assert await pending_migrations() == []
