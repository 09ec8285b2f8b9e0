#!/usr/bin/env bash
# Passes the tests: the generated-code check (ops/codegen.sh --check), then an embedded PostgreSQL (separate data directory and database) unless
# PROVENANCE_TEST_CONNECTION_STRING is set, then `dotnet test` of the solution. Extra arguments go to dotnet test.
#
#   PROVENANCE_TEST_PG_PORT     port of the embedded test PostgreSQL  (default 55433)
#   PROVENANCE_TEST_DATA_DIR    its data directory                    (default /var/tmp/provenance/test-pg)
#   PROVENANCE_TEST_PG2_PORT    port of the second embedded server    (default 55436): the tenancy tests place one archive on each
#   PROVENANCE_TEST_DATA_DIR2   its data directory                    (default /var/tmp/provenance/test-pg2)
#   PROVENANCE_TEST_SECOND_SERVER  a second server's admin connection string instead (then none is started)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/ops/lib/postgres.sh"

# First, and without PostgreSQL: the checked-in pre-generated code must be what codegen writes now (the API loads it
# statically; a stale file would fail at start-up or, worse, run an old handler shape). A few seconds when the API is built.
if ! "$root/ops/codegen.sh" --check; then
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

pg_port=${PROVENANCE_TEST_PG_PORT:-55433}
data_dir=${PROVENANCE_TEST_DATA_DIR:-/var/tmp/provenance/test-pg}

started_pg=""
if [ -z "${PROVENANCE_TEST_CONNECTION_STRING:-}" ]; then
  pg_start "$data_dir" "$pg_port"
  started_pg=$PG_STARTED_HERE
  pg_create_db "$pg_port" provenance_test
  export PROVENANCE_TEST_CONNECTION_STRING="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=provenance_test;Maximum Pool Size=50"
fi
# A second PostgreSQL server (issue #20): archives created by the tenancy tests are placed on it as server "second".
pg2_port=${PROVENANCE_TEST_PG2_PORT:-55436}
data_dir2=${PROVENANCE_TEST_DATA_DIR2:-/var/tmp/provenance/test-pg2}
started_pg2=""
if [ -z "${PROVENANCE_TEST_SECOND_SERVER:-}" ]; then
  pg_start "$data_dir2" "$pg2_port"
  started_pg2=$PG_STARTED_HERE
  export PROVENANCE_TEST_SECOND_SERVER="Host=127.0.0.1;Port=$pg2_port;Username=postgres;Database=postgres;Maximum Pool Size=20"
fi
stop() {
  if [ -n "$started_pg" ]; then pg_stop "$data_dir"; fi
  if [ -n "$started_pg2" ]; then pg_stop "$data_dir2"; fi
}
trap stop EXIT

# axe-core for the web interface's accessibility test (package-lock.json pins it).
axe="$root/tests/Provenance.Web.Tests/axe"
if [ ! -f "$axe/node_modules/axe-core/axe.min.js" ] && command -v npm >/dev/null; then
  (cd "$axe" && npm ci --silent --no-audit --no-fund)
fi
# The OpenAPI contract tests' tools: Redocly's linter, openapi-typescript + openapi-fetch, tsc, tsx (package-lock.json pins them).
contract="$root/tests/Provenance.Tests/Contract/client"
if [ ! -x "$contract/node_modules/.bin/redocly" ] && command -v npm >/dev/null; then
  (cd "$contract" && npm ci --silent --no-audit --no-fund)
fi
# The Standard Webhooks reference verifier (npm standardwebhooks) that checks our webhook signatures.
swh="$root/tests/Provenance.Tests/Feed/standardwebhooks"
if [ ! -f "$swh/node_modules/standardwebhooks/package.json" ] && command -v npm >/dev/null; then
  (cd "$swh" && npm ci --silent --no-audit --no-fund)
fi

# ajv, the CloudEvents SDK and the AsyncAPI parser for the event catalogue's tests (package-lock.json pins them).
catalogue="$root/tests/Provenance.Tests/Feed/catalogue"
if [ ! -d "$catalogue/node_modules" ] && command -v npm >/dev/null; then
  (cd "$catalogue" && npm ci --silent --no-audit --no-fund)
fi
# @ocfl/ocfl-fs, the OCFL reader the OCFL export is read back with (tests/Provenance.Tests/Packages).
ocfl="$root/tests/Provenance.Tests/Packages/ocfl"
if [ ! -d "$ocfl/node_modules/@ocfl/ocfl-fs" ] && command -v npm >/dev/null; then
  (cd "$ocfl" && npm ci --silent --no-audit --no-fund)
fi

results="$root/TestResults"
rm -rf "$results"
set +e
dotnet test "$root/Provenance.sln" -c Release --logger "trx" --results-directory "$results" "$@"
status=$?
set -e

# One plain summary line, whatever the test adapters printed.
python3 - "$results" "$status" <<'PY' || true
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(f).getroot().find(".//{*}Counters")
    if c is None: continue
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    skipped += int(c.get("notExecuted", 0))
if int(sys.argv[2]) != 0 and failed == 0:
    failed = 1  # the build or a test host failed before any test could report
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
