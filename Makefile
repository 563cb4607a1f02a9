# The commands the README names. Everything builds in the one dev profile, into one
# target directory, so `make test` after `make run` rebuilds nothing.

POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
CARGO ?= cargo
NEXTEST := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo "nextest run --no-fail-fast" || echo "test --no-fail-fast")
# The `_postgres` tests are #[ignore]d with a reason (they show as skipped, never as a
# silent pass); test-postgres asks for them, and they fail without a server.
WITH_IGNORED := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo "--run-ignored all" || echo "-- --include-ignored")

# Crates whose tests touch a database: run again on PostgreSQL.
DB_CRATES := -p rookery-store -p rookery-tests -p rookery

.PHONY: bench-domain run test test-sqlite test-postgres layers lint fmt build release fuzz bench bench-quick

## Run Rookery on its embedded SQLite default (rookery.db in this directory).
run:
	$(CARGO) run -p rookery -- serve

build:
	$(CARGO) build --workspace --all-targets

release:
	$(CARGO) build --release -p rookery

## The whole suite on SQLite, then the database-facing tests again on PostgreSQL (with
## the replica and failover tests, on private clusters from scripts/pg-cluster.sh).
test: layers test-sqlite test-postgres

test-sqlite:
	scripts/ensure-chromium.sh
	$(CARGO) $(NEXTEST) --workspace

test-postgres:
	scripts/ensure-postgres.sh
	@scripts/pg-cluster.sh available 2>/dev/null || echo "NOTE: no PostgreSQL server binaries (initdb, pg_basebackup): the replica and failover tests (crates/server/tests/cluster) say SKIPPED"
	ROOKERY_TEST_DATABASE=postgres ROOKERY_TEST_POSTGRES_URL=$(POSTGRES_URL) $(CARGO) $(NEXTEST) $(DB_CRATES) $(WITH_IGNORED)

## The dependency rule: domain without diesel/actix, http without diesel, store without actix;
## and no module of any crate importing one that imports it back.
layers:
	scripts/check-layers.sh
	python3 scripts/module-cycles.py crates

lint: layers
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## Schemathesis against a running server and its own /openapi.json (see docs/fuzzing.md).
fuzz:
	CARGO=$(CARGO) scripts/fuzz.sh

## HTTP throughput and latency against the in-process and raw-database ceilings, the
## connection sweep (plotted to target/bench/sweep.svg), idle streams and import (see
## docs/benchmarks.md): SQLite, then PostgreSQL ($(POSTGRES_URL)), one table.
## BENCH_ARGS="--backend sqlite" runs one backend; `rookery-bench --help` lists the rest.
BENCH_BUILD := $(CARGO) build --release -p rookery -p rookery-bench
BENCH_PLOT := if ls target/bench/sweep-*.csv >/dev/null 2>&1 && command -v python3 >/dev/null; then \
	python3 scripts/plot-sweep.py target/bench/sweep-*.csv; fi

bench:
	$(BENCH_BUILD)
	-scripts/ensure-postgres.sh
	rm -f target/bench/sweep-*.csv
	POSTGRES_URL=$(POSTGRES_URL) target/release/rookery-bench $(BENCH_ARGS)
	$(BENCH_PLOT)

## The same in under two minutes after the build: 100,000 followers, 1 s per phase and
## per sweep point, 100,000 edges imported on PostgreSQL (1,000,000 on SQLite).
bench-quick:
	$(BENCH_BUILD)
	-scripts/ensure-postgres.sh
	rm -f target/bench/sweep-*.csv
	POSTGRES_URL=$(POSTGRES_URL) target/release/rookery-bench --quick $(BENCH_ARGS)
	$(BENCH_PLOT)

## The criterion micro-benchmark of the domain's decisions.
bench-domain:
	$(CARGO) bench -p rookery-domain --bench transitions
