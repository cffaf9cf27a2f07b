#!/usr/bin/env bash
# pg_dump of DATABASE_URL into DIR (custom format, 14 kept), then a restore
# check: the dump is restored into a scratch database and its rows counted.
set -euo pipefail
dir=${1:?usage: backup.sh DIR}
mkdir -p "$dir"
file="$dir/outdials-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --no-owner --file="$file.partial" "$DATABASE_URL"
mv "$file.partial" "$file"

scratch="outdials_restore_check"
admin="${DATABASE_URL%/*}/postgres"
psql "$admin" -qc "DROP DATABASE IF EXISTS $scratch" -c "CREATE DATABASE $scratch"
pg_restore --no-owner --dbname="${DATABASE_URL%/*}/$scratch" "$file"
count=$(psql "${DATABASE_URL%/*}/$scratch" -tAc "SELECT count(*) FROM outdials_outdialtarget")
psql "$admin" -qc "DROP DATABASE $scratch"
echo "backup $file restores: $count targets"

ls -1t "$dir"/outdials-*.dump | tail -n +15 | xargs -r rm --
