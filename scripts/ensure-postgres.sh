#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at $ROOKERY_TEST_POSTGRES_URL's host
# (default 127.0.0.1:5432); starts the machine's local cluster when it is down.
set -euo pipefail
host=${PGHOST_CHECK:-127.0.0.1}
port=${PGPORT_CHECK:-5432}
if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
  exit 0
fi
echo "PostgreSQL is not answering on $host:$port; starting the local cluster"
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi
for _ in $(seq 1 30); do
  pg_isready -q -h "$host" -p "$port" 2>/dev/null && exit 0
  sleep 1
done
echo "PostgreSQL did not come up on $host:$port" >&2
exit 1
