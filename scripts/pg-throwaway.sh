# Sourced by .ci/run and scripts/bench: starts a throwaway PostgreSQL cluster on port
# ${PG_PORT:-55432} (installing PostgreSQL if absent), exports PG_ADMIN_URL, and stops and
# removes it on exit. As root it runs the server as the `postgres` user.

pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

pg_start() {
  PG_PORT=${PG_PORT:-55432}
  PG_BIN=$(pg_bin_dir || true)
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PG_BIN=$(pg_bin_dir)
  fi
  PG_DIR=$(mktemp -d /tmp/motcua-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; fi
  trap pg_stop EXIT
  pg_as "$PG_BIN/initdb -D $PG_DIR/data -A trust -U postgres -E UTF8 --no-locale" >/dev/null
  pg_as "$PG_BIN/pg_ctl -D $PG_DIR/data -l $PG_DIR/log -o '-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 ${PG_EXTRA_OPTS:-}' -w start" >/dev/null
  export PG_ADMIN_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
}

pg_as() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  pg_as "$PG_BIN/pg_ctl -D $PG_DIR/data -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
