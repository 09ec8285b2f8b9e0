#!/usr/bin/env bash
# Benchmarks: an embedded PostgreSQL of its own (fsync and synchronous_commit on), a Release build, then the scenario(s)
# named as arguments (default: all), each interleaved with its raw-PostgreSQL baseline. Prints bench/results/latest.md.
#
#   BENCH_PG_PORT / BENCH_DATA_DIR   the benchmark PostgreSQL         (default 55434 / /var/tmp/provenance/bench-pg)
#   BENCH_CONNECTION_STRING          use this PostgreSQL instead
#   BENCH_REPETITIONS, BENCH_SECONDS, BENCH_STORE_SECONDS, BENCH_WORKERS: see bench/README.md
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/ops/lib/postgres.sh"

pg_port=${BENCH_PG_PORT:-55434}
data_dir=${BENCH_DATA_DIR:-/var/tmp/provenance/bench-pg}

started_pg=""
if [ -z "${BENCH_CONNECTION_STRING:-}" ]; then
  pg_start "$data_dir" "$pg_port"
  started_pg=$PG_STARTED_HERE
  pg_create_db "$pg_port" provenance_bench
  # Statement counts per request come from pg_stat_statements, which must be preloaded (a restart, once per data directory).
  if [ "$(pg_as_owner "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tAc 'show shared_preload_libraries')" != pg_stat_statements ]; then
    pg_as_owner "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "alter system set shared_preload_libraries = 'pg_stat_statements'"
    pg_stop "$data_dir"; pg_start "$data_dir" "$pg_port"; started_pg=1
  fi
  export BENCH_CONNECTION_STRING="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=provenance_bench;Maximum Pool Size=64"
fi
stop() { status=$?; if [ -n "$started_pg" ]; then pg_stop "$data_dir"; fi; exit $status; }
trap stop EXIT

echo "Building the benchmarks (Release)..."
dotnet build "$root/bench/Provenance.Bench/Provenance.Bench.csproj" -c Release -nologo -v q >/dev/null
cd "$root"
export BENCH_RESULTS="$root/bench/results"
dotnet "$root/bench/Provenance.Bench/bin/Release/net10.0/Provenance.Bench.dll" "$@"
