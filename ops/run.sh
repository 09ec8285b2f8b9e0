#!/usr/bin/env bash
# Runs the ledger with the sample corpus: PostgreSQL (embedded unless PROVENANCE_CONNECTION_STRING is set),
# then the API, which loads seeds/manifest.json once. Ctrl-C stops both.
#
#   PROVENANCE_PORT               HTTP port of the API                 (default 5080)
#   PROVENANCE_PG_PORT            port of the embedded PostgreSQL       (default 55432)
#   PROVENANCE_DATA_DIR           embedded PostgreSQL data directory    (default /var/tmp/provenance/run-pg)
#   PROVENANCE_CONNECTION_STRING  use this PostgreSQL instead of the embedded one
#   PROVENANCE_ADMIN_KEY          the first admin key (generated and kept in the data directory when unset)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/ops/lib/postgres.sh"

api_port=${PROVENANCE_PORT:-5080}
pg_port=${PROVENANCE_PG_PORT:-55432}
data_dir=${PROVENANCE_DATA_DIR:-/var/tmp/provenance/run-pg}
state_dir=${PROVENANCE_STATE_DIR:-/var/tmp/provenance}
mkdir -p "$state_dir"

started_pg=""
if [ -z "${PROVENANCE_CONNECTION_STRING:-}" ]; then
  pg_start "$data_dir" "$pg_port"
  started_pg=$PG_STARTED_HERE
  pg_create_db "$pg_port" provenance
  export PROVENANCE_CONNECTION_STRING="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=provenance"
fi

if [ -z "${PROVENANCE_ADMIN_KEY:-}" ]; then
  key_file="$state_dir/admin-key"
  if [ ! -s "$key_file" ]; then
    (umask 077; printf 'pvk_admin_%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | head -c 40)" >"$key_file")
  fi
  PROVENANCE_ADMIN_KEY=$(cat "$key_file")
  export PROVENANCE_ADMIN_KEY
fi

cleanup() {
  if [ -n "${api_pid:-}" ]; then kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
  if [ -n "$started_pg" ]; then pg_stop "$data_dir"; fi
  echo "Stopped."
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "Building the API..."
dotnet build "$root/src/Provenance.Api/Provenance.Api.csproj" -c Release -nologo -v q >/dev/null

export Provenance__SeedManifest="$root/seeds/manifest.json"
export ASPNETCORE_URLS="http://127.0.0.1:$api_port"
export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Production}
dotnet "$root/src/Provenance.Api/bin/Release/net10.0/Provenance.Api.dll" &
api_pid=$!

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$api_port/health/ready" >/dev/null 2>&1; then break; fi
  kill -0 "$api_pid" 2>/dev/null || { echo "The API exited during start-up." >&2; exit 1; }
  sleep 0.5
done

cat <<MSG

Provenance is running at http://127.0.0.1:$api_port
  API docs:   http://127.0.0.1:$api_port/docs
  Admin key:  $PROVENANCE_ADMIN_KEY
  Try:        curl -H "Authorization: Bearer $PROVENANCE_ADMIN_KEY" http://127.0.0.1:$api_port/api/documents
Ctrl-C stops it.
MSG
wait "$api_pid"
