#!/usr/bin/env bash
# Benchmarks: an embedded PostgreSQL of its own (fsync and synchronous_commit on), a Release build, then the scenario(s)
# named as arguments (default: all), each interleaved with its raw-PostgreSQL baseline. Prints bench/results/latest.md.
#
#   BENCH_PG_PORT / BENCH_DATA_DIR   the benchmark PostgreSQL         (default 55434 / /var/tmp/provenance/bench-pg)
#   BENCH_CONNECTION_STRING          use this PostgreSQL instead
#   BENCH_PG2_PORT / BENCH_DATA_DIR2 the second PostgreSQL server, started only for the tenants scenario (or a run of all)
#                                    (default 55437 / /var/tmp/provenance/bench-pg2)
#   BENCH_CONNECTION_STRING2         use this second PostgreSQL instead
#   BENCH_REPETITIONS, BENCH_SECONDS, BENCH_STORE_SECONDS, BENCH_WORKERS: see bench/README.md
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/ops/lib/postgres.sh"

pg_port=${BENCH_PG_PORT:-55434}
data_dir=${BENCH_DATA_DIR:-/var/tmp/provenance/bench-pg}

pg2_port=${BENCH_PG2_PORT:-55437}
data_dir2=${BENCH_DATA_DIR2:-/var/tmp/provenance/bench-pg2}

# bench_pg DATA_DIR PORT: starts a benchmark server with provenance_bench; sets STARTED_HERE when this call started it.
bench_pg() {
  local data=$1 port=$2
  pg_start "$data" "$port"
  STARTED_HERE=$PG_STARTED_HERE
  pg_create_db "$port" provenance_bench
  # Statement counts per request come from pg_stat_statements, which must be preloaded (a restart, once per data directory).
  if [ "$(pg_as_owner "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc 'show shared_preload_libraries')" != pg_stat_statements ]; then
    pg_as_owner "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "alter system set shared_preload_libraries = 'pg_stat_statements'"
    pg_stop "$data"; pg_start "$data" "$port"; STARTED_HERE=1
  fi
}

started_pg=""
started_pg2=""
stop() {
  status=$?
  if [ -n "$started_pg2" ]; then pg_stop "$data_dir2"; fi
  if [ -n "$started_pg" ]; then pg_stop "$data_dir"; fi
  exit $status
}
trap stop EXIT
if [ -z "${BENCH_CONNECTION_STRING:-}" ]; then
  bench_pg "$data_dir" "$pg_port"
  started_pg=$STARTED_HERE
  export BENCH_CONNECTION_STRING="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=provenance_bench;Maximum Pool Size=64"
fi
# The tenants scenario places a tenant on a second server, configured the same way (issue #20).
if [ -z "${BENCH_CONNECTION_STRING2:-}" ] && { [ $# -eq 0 ] || printf '%s\n' "$@" | grep -qx tenants; }; then
  bench_pg "$data_dir2" "$pg2_port"
  started_pg2=$STARTED_HERE
  export BENCH_CONNECTION_STRING2="Host=127.0.0.1;Port=$pg2_port;Username=postgres;Database=provenance_bench;Maximum Pool Size=64"
fi

echo "Building the benchmarks (Release)..."
dotnet build "$root/bench/Provenance.Bench/Provenance.Bench.csproj" -c Release -nologo -v q >/dev/null
cd "$root"
export BENCH_RESULTS="$root/bench/results"
dotnet "$root/bench/Provenance.Bench/bin/Release/net10.0/Provenance.Bench.dll" "$@"
