#!/usr/bin/env bash
# A private PostgreSQL primary with streaming hot standbys, for the replica and
# failover tests (the shared server on 5432 is never touched). Uses the Debian
# binaries in /usr/lib/postgresql/<version>/bin (PG_BIN overrides); as root, the nodes
# run as the `postgres` user, since initdb refuses root. Nodes live in DIR/primary,
# DIR/replica1, DIR/replica2, ... and listen on 127.0.0.1 only.
#
#   pg-cluster.sh available                 exit 0 when the server binaries exist
#   pg-cluster.sh start DIR SYNC PORT REPLICA_PORT...
#                                           initdb the primary on PORT, then one
#                                           `pg_basebackup -R` standby per REPLICA_PORT;
#                                           SYNC=1 makes the standbys synchronous
#                                           (synchronous_standby_names = 'ANY 1 (*)')
#   pg-cluster.sh stop DIR NODE             fast shutdown of a node (primary, replica1, ...)
#   pg-cluster.sh resume DIR NODE           start a stopped node again
#   pg-cluster.sh kill DIR NODE             SIGKILL a node's postmaster (a crash)
#   pg-cluster.sh promote DIR NODE          promote a standby (waits until it is primary)
#   pg-cluster.sh destroy DIR               stop every node (immediate) and remove DIR
set -euo pipefail
cmd=${1:?usage: pg-cluster.sh available|start|stop|resume|kill|promote|destroy DIR ...}
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_basebackup" ]; then
  echo "pg-cluster: no PostgreSQL server binaries (set PG_BIN)" >&2
  exit 2
fi
[ "$cmd" = available ] && exit 0
dir=${2:?the cluster directory}
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
node_start() {
  as_owner "$bin/pg_ctl" -D "$1" -l "$1/log" -w -t 60 start >/dev/null
}
case "$cmd" in
  start)
    sync=${3:?SYNC (0 or 1)}
    port=${4:?the primary port}
    shift 4
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    primary="$dir/primary"
    as_owner "$bin/initdb" -D "$primary" -U postgres -A trust --no-sync >/dev/null
    # wal_keep_size: a standby stopped for a while catches up from the primary's WAL.
    # hot_standby_feedback: a standby's list reads are not cancelled by the cleanup of
    # rows they still see. fsync off: these clusters hold test data only.
    cat >>"$primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
max_connections = 100
wal_level = replica
max_wal_senders = 10
wal_keep_size = '256MB'
hot_standby = on
hot_standby_feedback = on
CONF
    if [ "$sync" = 1 ]; then
      echo "synchronous_standby_names = 'ANY 1 (*)'" >>"$primary/postgresql.conf"
    fi
    node_start "$primary"
    n=0
    for replica_port in "$@"; do
      n=$((n + 1))
      replica="$dir/replica$n"
      as_owner "$bin/pg_basebackup" -d "host=127.0.0.1 port=$port user=postgres application_name=replica$n" \
        -D "$replica" -R -X stream --no-sync -c fast >/dev/null
      # The base backup copied the primary's settings: a standby promoted with the
      # primary's synchronous_standby_names and no standby of its own would make
      # every commit wait forever.
      cat >>"$replica/postgresql.conf" <<CONF
port = $replica_port
unix_socket_directories = '$dir'
synchronous_standby_names = ''
CONF
      node_start "$replica"
    done
    ;;
  stop) as_owner "$bin/pg_ctl" -D "$dir/${3:?the node}" -m fast -w stop >/dev/null ;;
  resume) node_start "$dir/${3:?the node}" ;;
  kill) kill -KILL "$(head -n 1 "$dir/${3:?the node}/postmaster.pid")" ;;
  promote) as_owner "$bin/pg_ctl" -D "$dir/${3:?the node}" -w -t 60 promote >/dev/null ;;
  destroy)
    for node in "$dir"/*/; do
      [ -f "$node/PG_VERSION" ] || continue
      as_owner "$bin/pg_ctl" -D "$node" -m immediate -w stop >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
    ;;
  *) echo "pg-cluster: unknown command $cmd" >&2; exit 2 ;;
esac
