#!/usr/bin/env bash
# Runs the ledger with the sample corpus: PostgreSQL (embedded unless PROVENANCE_CONNECTION_STRING is set),
# then the API, which loads seeds/manifest.json once. Ctrl-C stops both.
#
#   PROVENANCE_PORT               HTTP port of the API                 (default 5080)
#   PROVENANCE_PG_PORT            port of the embedded PostgreSQL       (default 55432)
#   PROVENANCE_DATA_DIR           embedded PostgreSQL data directory    (default /var/tmp/provenance/run-pg)
#   PROVENANCE_CONNECTION_STRING  use this PostgreSQL instead of the embedded one
#   PROVENANCE_ADMIN_KEY          the first admin key (generated once and kept in $PROVENANCE_STATE_DIR/admin-key when unset)
#   PROVENANCE_STATE_DIR          where the generated admin key is kept  (default /var/tmp/provenance)
#
# It refuses a port something already listens on, and reports "running" only when /health/ready answers from the API it started
# (the Provenance-Instance header carries this run's token), which is after the sample corpus is loaded.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/ops/lib/postgres.sh"
source "$root/ops/lib/api.sh"

api_port=${PROVENANCE_PORT:-5080}
pg_port=${PROVENANCE_PG_PORT:-55432}
data_dir=${PROVENANCE_DATA_DIR:-/var/tmp/provenance/run-pg}
state_dir=${PROVENANCE_STATE_DIR:-/var/tmp/provenance}

if api_port_taken "$api_port"; then
  holder=$(api_port_holder "$api_port")
  echo "Port $api_port is already in use${holder:+ by $holder}: stop that process or choose another port with PROVENANCE_PORT." >&2
  exit 1
fi
mkdir -p "$state_dir"

started_pg=""
if [ -z "${PROVENANCE_CONNECTION_STRING:-}" ]; then
  pg_start "$data_dir" "$pg_port"
  started_pg=$PG_STARTED_HERE
  pg_create_db "$pg_port" provenance
  export PROVENANCE_CONNECTION_STRING="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=provenance"
fi

api_admin_key "$state_dir"

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
# This run's token: the API echoes it in Provenance-Instance, so another process's answer on the port is never taken for ours.
run_token="run-$$-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export Provenance__InstanceId=$run_token
# The project folder is the content root, so the API reads src/Provenance.Api/appsettings.json.
cd "$root/src/Provenance.Api"
dotnet "$root/src/Provenance.Api/bin/Release/net10.0/Provenance.Api.dll" &
api_pid=$!

api_wait_ready "$api_port" "$api_pid" "$run_token" || exit 1

cat <<MSG

Provenance is running at http://127.0.0.1:$api_port
  API docs:   http://127.0.0.1:$api_port/docs
$ADMIN_KEY_NOTICE
  Try:        curl -H "Authorization: Bearer $ADMIN_KEY_SHELL" http://127.0.0.1:$api_port/api/documents
Ctrl-C stops it.
MSG
wait "$api_pid"
