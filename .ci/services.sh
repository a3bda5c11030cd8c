#!/usr/bin/env bash
# Redis and PostgreSQL on this machine (Debian packages, installed when run as root), for the farm's
# scale-out tests and for an operator's local scale-out farm.
#
#   .ci/services.sh          the tests' servers: PostgreSQL with a throwaway database; prints
#                            `export HUSH_TEST_POSTGRES_URL=...` (the Redis tests start their own
#                            redis-server instances on free ports)
#   .ci/services.sh --farm   (`make farm-services`) also a redis-server on 127.0.0.1:6379, a role
#                            `hush_farm` with a fresh random password and a database `hush_farm`, and a
#                            payload key; writes them to build/farm/scaleout.env (mode 0600): load it
#                            (`set -a; . build/farm/scaleout.env; set +a`) then run `hush api` and
#                            `hush worker` (or `hush serve`)
set -euo pipefail
farm=0
[ "${1:-}" = "--farm" ] && farm=1
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  if ! command -v redis-server >/dev/null || ! command -v pg_ctlcluster >/dev/null; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server postgresql >&2
  fi
fi
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sh -c "$1"; fi; }
if command -v pg_ctlcluster >/dev/null; then
  read -r ver name port _ < <(pg_lsclusters --no-header | head -1)
  pg_ctlcluster "$ver" "$name" start >&2 2>/dev/null || true
  as_pg "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='hush'\"" | grep -q 1 \
    || as_pg "psql -p $port -q -c \"CREATE ROLE hush LOGIN PASSWORD 'hush'\"" >&2
  as_pg "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='hush_test'\"" | grep -q 1 \
    || as_pg "createdb -p $port -O hush hush_test" >&2
  echo "export HUSH_TEST_POSTGRES_URL=postgresql+psycopg://hush:hush@127.0.0.1:$port/hush_test"
fi
[ "$farm" = 1 ] || exit 0

cd "$(dirname "$0")/.."
env_file=build/farm/scaleout.env
mkdir -p build/farm
if [ -f "$env_file" ]; then
  echo "$env_file exists (delete it to make a new password and payload key)" >&2
else
  command -v pg_ctlcluster >/dev/null || { echo "PostgreSQL is not installed" >&2; exit 1; }
  pass=$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(24))")
  if as_pg "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='hush_farm'\"" | grep -q 1; then
    as_pg "psql -p $port -q -c \"ALTER ROLE hush_farm LOGIN PASSWORD '$pass'\"" >&2
  else
    as_pg "psql -p $port -q -c \"CREATE ROLE hush_farm LOGIN PASSWORD '$pass'\"" >&2
  fi
  as_pg "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='hush_farm'\"" | grep -q 1 \
    || as_pg "createdb -p $port -O hush_farm hush_farm" >&2
  as_pg "psql -p $port -d hush_farm -q -c 'ALTER DATABASE hush_farm OWNER TO hush_farm' \
         -c 'ALTER SCHEMA public OWNER TO hush_farm'" >&2
  umask 077
  {
    echo "HUSH_DATABASE_URL=postgresql+psycopg://hush_farm:$pass@127.0.0.1:$port/hush_farm"
    echo "HUSH_BROKER_URL=redis://127.0.0.1:6379/0"
    .venv/bin/hush farm keygen 2>/dev/null
  } > "$env_file"
  echo "wrote $env_file (mode 0600): the store's URL with its password, the broker and the payload key" >&2
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save "" --appendonly no \
    --dir "$PWD/build/farm" --logfile "$PWD/build/farm/redis.log" >&2
fi
echo "Redis on 127.0.0.1:6379, PostgreSQL database hush_farm on port $port; now:" >&2
echo "  set -a; . $env_file; set +a; .venv/bin/hush api & .venv/bin/hush worker" >&2
