#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 cluster from Debian's packages (installed when missing;
# needs root): PG15_URL names its server. CI uses it to check db/schema.sql (dumped with pg_dump 15) and to
# run the RFM tests on the oldest PostgreSQL the project supports, beside the embedded 18.
#   scripts/with-pg15.sh make schema-check
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
if [ ! -x "$bin/postgres" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
fi
port=${PG15_PORT:-55415}
dir=$(mktemp -d /tmp/salesdash-pg15.XXXXXX)
chmod 755 "$dir"
chown postgres "$dir"
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
as_postgres "$bin/initdb -D $dir/data -A trust --locale=C -E UTF8 >/dev/null"
as_postgres "$bin/pg_ctl -D $dir/data -l $dir/log -w -o '-p $port -k /tmp -c listen_addresses=127.0.0.1 -c work_mem=64MB -c max_connections=200' start >/dev/null"
stop() {
  [ -d "$dir/standby" ] && { as_postgres "$bin/pg_ctl -D $dir/standby -m fast stop >/dev/null" || true; }
  as_postgres "$bin/pg_ctl -D $dir/data -m fast stop >/dev/null" || true
  rm -rf "$dir"
}
trap stop EXIT
export PG15_URL="postgres://postgres@127.0.0.1:$port/postgres"
# PG15_STANDBY=1: also a hot standby streaming from it on the next port (PG15_STANDBY_URL), with the
# settings docs/scale.md asks for: feedback to the primary, and replay that waits for readers at most 30 s.
if [ "${PG15_STANDBY:-}" = 1 ]; then
  standby_port=$((port + 1))
  as_postgres "$bin/pg_basebackup -h 127.0.0.1 -p $port -U postgres -D $dir/standby -R -X stream >/dev/null"
  as_postgres "$bin/pg_ctl -D $dir/standby -l $dir/standby.log -w -o '-p $standby_port -k /tmp -c listen_addresses=127.0.0.1 -c hot_standby=on -c hot_standby_feedback=on -c wal_receiver_status_interval=1s -c max_standby_streaming_delay=30s -c work_mem=64MB -c max_connections=200' start >/dev/null"
  export PG15_STANDBY_URL="postgres://postgres@127.0.0.1:$standby_port/postgres"
fi
export PATH="$bin:$PATH"
"$@"
