#!/usr/bin/env bash
# Start a throwaway PostgreSQL server in a temporary directory, on its own port,
# and print the SQLAlchemy URL for it. Used by .ci/run and for local testing:
#   eval "$(scripts/pg_throwaway.sh)"   # sets QUIZ_TEST_POSTGRES_URL and PGDATA_DIR
# Stop it with: pg_ctl -D "$PGDATA_DIR" stop   (or it dies with the machine).
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
  echo "pg_throwaway: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
port=${PGPORT_THROWAWAY:-55432}
# Take the first free port from there, so a second throwaway server can run beside the first.
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
dir=$(mktemp -d /tmp/quiz-pg.XXXXXX)
# initdb refuses to run as root; run the server as the postgres user when we are root.
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
run "$bin/initdb -D $dir/data -U quiz --auth=trust -E UTF8 --no-locale" >/dev/null
run "$bin/pg_ctl -D $dir/data -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300' -l $dir/log -w start" >/dev/null
run "$bin/createdb -h 127.0.0.1 -p $port -U quiz quiz"
echo "export QUIZ_TEST_POSTGRES_URL='postgresql+psycopg://quiz@127.0.0.1:$port/quiz'"
echo "export PGDATA_DIR='$dir/data'"
