#!/usr/bin/env bash
# Servers the farm's scale-out tests run against: redis-server (the tests start their own instances)
# and PostgreSQL (a throwaway database). Debian packages, installed as root. Prints the exports.
set -euo pipefail
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  if ! command -v redis-server >/dev/null || ! command -v pg_ctlcluster >/dev/null; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server postgresql >&2
  fi
fi
if command -v pg_ctlcluster >/dev/null; then
  read -r ver name port _ < <(pg_lsclusters --no-header | head -1)
  pg_ctlcluster "$ver" "$name" start >&2 2>/dev/null || true
  as_pg() { su postgres -c "$1"; }
  as_pg "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='hush'\"" | grep -q 1 \
    || as_pg "psql -p $port -q -c \"CREATE ROLE hush LOGIN PASSWORD 'hush'\"" >&2
  as_pg "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='hush_test'\"" | grep -q 1 \
    || as_pg "createdb -p $port -O hush hush_test" >&2
  echo "export HUSH_TEST_POSTGRES_URL=postgresql+psycopg://hush:hush@127.0.0.1:$port/hush_test"
fi
