#!/bin/sh
# Nightly logical backup of Qiyun's PostgreSQL database, with rotation.
#
#   qiyun-pg-backup.sh [BACKUP_DIR]
#
# Connection: the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE, ~/.pgpass) or
# BACKUP_DATABASE_URL (postgres://user@host:5432/qiyun; keep the password in ~/.pgpass,
# not in the URL). Keeps KEEP_DAYS days (default 14) of dumps plus the KEEP_MONTHLY
# (default 12) newest dumps made on the 1st of a month.
#
# Writes qiyun-YYYYMMDDTHHMMSSZ.dump (pg_dump custom format: compressed, restorable table by
# table, in parallel with pg_restore -j) through a .partial file, so a file with the final
# name is always complete; then lists its table of contents to prove it is readable.
# Restore: docs/deploy.md, "Restore drill" (pg_restore --no-owner -d NEWDB FILE).
#
# This is the nightly safety net, not point-in-time recovery: for that, WAL archiving
# (archive_mode / archive_command, or pgBackRest / WAL-G) as docs/deploy.md describes.
set -eu

BACKUP_DIR=${1:-${BACKUP_DIR:-/var/backups/qiyun}}
KEEP_DAYS=${KEEP_DAYS:-14}
KEEP_MONTHLY=${KEEP_MONTHLY:-12}
PG_BIN=${PG_BIN:-}            # e.g. /usr/lib/postgresql/15/bin/ : pg_dump no older than the server

umask 077
mkdir -p "$BACKUP_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$BACKUP_DIR/qiyun-$stamp.dump"
partial="$final.partial"
trap 'rm -f "$partial"' EXIT

set --
if [ -n "${BACKUP_DATABASE_URL:-}" ]; then
    set -- --dbname="${BACKUP_DATABASE_URL%%\?*}"     # tortoise's ?options are not libpq's
fi
"${PG_BIN}pg_dump" --format=custom --compress=6 --no-owner --no-privileges --file="$partial" "$@"
"${PG_BIN}pg_restore" --list "$partial" > /dev/null    # readable, complete table of contents
mv "$partial" "$final"
echo "qiyun-pg-backup: wrote $final ($(wc -c < "$final") bytes)"

# Rotation: daily dumps older than KEEP_DAYS go, except the newest KEEP_MONTHLY made on a 1st.
monthly=$(ls -1 "$BACKUP_DIR" | grep -E '^qiyun-[0-9]{6}01T[0-9]{6}Z\.dump$' | sort -r | head -n "$KEEP_MONTHLY" || true)
find "$BACKUP_DIR" -maxdepth 1 -name 'qiyun-*.dump' -mtime "+$KEEP_DAYS" | while read -r old; do
    name=$(basename "$old")
    if ! printf '%s\n' "$monthly" | grep -qx "$name"; then
        rm -f "$old" && echo "qiyun-pg-backup: removed $name"
    fi
done
