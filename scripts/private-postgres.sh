#!/usr/bin/env bash
# A private PostgreSQL cluster for tests that stop, kill or restart their database
# (the shared server on 5432 must never be touched). Uses the Debian binaries in
# /usr/lib/postgresql/<version>/bin (PG_BIN overrides). As root, the cluster runs as
# the `postgres` user, since initdb refuses root.
#
#   private-postgres.sh start DIR PORT   initdb (first time) and start on 127.0.0.1:PORT
#   private-postgres.sh stop DIR         fast shutdown
#   private-postgres.sh restart DIR      fast shutdown, then start again
#   private-postgres.sh kill DIR         SIGKILL the postmaster (a crash)
#   private-postgres.sh destroy DIR      stop (immediate) and remove DIR
set -euo pipefail
cmd=${1:?usage: private-postgres.sh start|stop|restart|kill|destroy DIR [PORT]}
dir=${2:?the cluster directory}
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "private-postgres: no PostgreSQL server binaries (set PG_BIN)" >&2
  exit 2
fi
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    port=${3:?the port}
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres "$dir"
      as_owner "$bin/initdb" -D "$dir" -U postgres -A trust --no-sync >/dev/null
      cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
max_connections = 100
CONF
    fi
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/log" -w -t 30 start >/dev/null
    ;;
  stop) as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null ;;
  restart) as_owner "$bin/pg_ctl" -D "$dir" -m fast -w -t 30 restart -l "$dir/log" >/dev/null ;;
  kill) kill -KILL "$(head -n 1 "$dir/postmaster.pid")" ;;
  destroy)
    as_owner "$bin/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "private-postgres: unknown command $cmd" >&2; exit 2 ;;
esac
