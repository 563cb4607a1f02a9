#!/usr/bin/env bash
# The benchmark's picture from an independent load generator (docs/benchmarks.md):
# `rookery serve` (release) on a fresh SQLite file, 64 followers and 20,000 targets
# loaded with `rookery import`, tokens from `rookery token`, then wrk (Debian's `wrk`
# package): follows on distinct pairs from 64 connections, and profile reads from 8.
# Ends with `rookery check`. Needs `cargo build --release -p rookery` first.
# With OUTSIDE_POSTGRES_URL set (a server, e.g. postgres://postgres@127.0.0.1:5432), the
# same runs on a fresh PostgreSQL database there, dropped afterwards, instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
R=target/release/rookery
export CHECK_DIR
CHECK_DIR=$(mktemp -d)
PG_DB="rookery_outside_$$"
cleanup() {
  kill "${PID:-}" 2>/dev/null || true
  rm -rf "$CHECK_DIR"
  if [ -n "${OUTSIDE_POSTGRES_URL:-}" ]; then psql -q "$OUTSIDE_POSTGRES_URL/postgres" -c "DROP DATABASE IF EXISTS $PG_DB" || true; fi
}
trap cleanup EXIT
if [ -n "${OUTSIDE_POSTGRES_URL:-}" ]; then
  psql -q "$OUTSIDE_POSTGRES_URL/postgres" -c "CREATE DATABASE $PG_DB"
  # Loopback needs no TLS (docs/operations.md).
  export DATABASE_URL="$OUTSIDE_POSTGRES_URL/$PG_DB?sslmode=disable"
else
  export DATABASE_URL="sqlite://$CHECK_DIR/rookery.db"
fi
export ROOKERY_JWT_SECRET=outside-check-secret-of-at-least-32-bytes ROOKERY_LOG=warn ROOKERY_RATE_LIMIT_FOLLOWS_PER_HOUR=0
python3 - "$CHECK_DIR" <<'PY'
import sys, uuid
d = sys.argv[1]
followers = [str(uuid.uuid4()) for _ in range(64)]
targets = [str(uuid.uuid4()) for _ in range(20000)]
with open(f"{d}/accounts.jsonl", "w") as out:
    for n, i in enumerate(followers + targets):
        out.write('{"type":"account","id":"%s","username":"ext%06d","full_name":null,"bio":null,'
                  '"profile_image_url":null,"banner_image_url":null,"is_private":false,'
                  '"is_verified":false,"posts_count":0,"created_at":"2024-01-01T00:00:00Z"}\n' % (i, n))
open(f"{d}/followers.txt", "w").write("\n".join(followers) + "\n")
open(f"{d}/targets.txt", "w").write("\n".join(targets) + "\n")
PY
$R import "$CHECK_DIR/accounts.jsonl" >/dev/null 2>&1
while read -r id; do $R token "$id"; done < "$CHECK_DIR/followers.txt" > "$CHECK_DIR/tokens.txt"
$R serve --bind 127.0.0.1:8099 & PID=$!
sleep 2
wrk -t2 -c64 -d10s --latency -s scripts/wrk-follows.lua http://127.0.0.1:8099
TOKEN=$(head -1 "$CHECK_DIR/tokens.txt"); TARGET=$(head -1 "$CHECK_DIR/targets.txt")
wrk -t2 -c8 -d10s --latency -H "Authorization: Bearer $TOKEN" \
  "http://127.0.0.1:8099/api/v1/community/profiles/$TARGET"
kill "$PID"; wait "$PID" || true
$R check
