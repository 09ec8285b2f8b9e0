#!/usr/bin/env bash
# The fault-injection suite, long version: kill -9 of the API and PostgreSQL restarts under load (several cycles), 20
# concurrent editors (several rounds), the authorization matrix, and a longer fuzz run. The tests start their own PostgreSQL
# (PROVENANCE_FAULTS_PG_PORT / PROVENANCE_FAULTS_DATA_DIR, default 55435 / /var/tmp/provenance/faults-pg) and the API's
# Release build as a child process on 127.0.0.1 (PROVENANCE_FAULTS_API_PORT, default 5095). ops/test.sh runs the short version.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/ops/lib/postgres.sh"
pg_ensure_binaries
dotnet build "$root/tests/Provenance.Faults/Provenance.Faults.csproj" -c Release -nologo -v q >/dev/null
PROVENANCE_FAULTS=${PROVENANCE_FAULTS:-full} dotnet test "$root/tests/Provenance.Faults/Provenance.Faults.csproj" -c Release --no-build \
  --logger "console;verbosity=normal" "$@"
