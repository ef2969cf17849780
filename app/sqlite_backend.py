"""The SQLite engine Qiyun configures (`app.db`): tortoise's, with write transactions that
take the database's write lock when they begin (`BEGIN IMMEDIATE`).

Why: with several processes on one SQLite file (`qiyun serve` beside `qiyun worker`, or two
workers) a transaction begun with a plain `BEGIN` reads under a snapshot and asks for the
write lock only at its first write. If another process committed in between, SQLite cannot
let it write (its snapshot is stale) and fails at once with "database is locked", without
waiting for `busy_timeout`: a job or a request lost to a harmless overlap. Taking the lock
at `BEGIN` makes the second transaction wait for the first (up to `busy_timeout`) instead.
Each process already runs one transaction at a time on its single connection, so this only
orders transactions across processes. PostgreSQL needs none of this.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.exceptions import TransactionManagementError

__all__ = ["ImmediateSqliteClient", "client_class"]


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient
