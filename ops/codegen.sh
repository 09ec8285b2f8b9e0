#!/usr/bin/env bash
# Pre-generated Wolverine code (issue #13). The API loads its handler and HTTP endpoint types from the assembly
# (TypeLoadMode.Static, src/Provenance.Api/Hosting/ProvenanceSetup.cs) and ships without Roslyn, so the code JasperFx's
# `codegen write` produces is checked in under src/Provenance.Api/Internal/Generated.
#
#   ops/codegen.sh           regenerate it: run this after changing a handler, an endpoint's signature or the services it uses
#   ops/codegen.sh --check   fail, changing nothing, if the checked-in code is not what codegen writes now (ops/test.sh runs it)
#
# Neither needs PostgreSQL or the network: `codegen write` builds the host without starting it, so the connection string
# below is never opened. The API is built in the `Codegen` configuration (bin/Codegen, obj/Codegen), which leaves the
# generated folder out of the compilation: codegen then works even when the old generated code no longer compiles against
# a changed signature. The code is written into a scratch content root and then copied (write) or compared (--check).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
project="$root/src/Provenance.Api"
generated="$project/Internal/Generated"

mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: ops/codegen.sh [--check]" >&2; exit 2 ;;
esac

scratch=$(mktemp -d "${TMPDIR:-/tmp}/provenance-codegen.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

if ! dotnet build "$project/Provenance.Api.csproj" -c Codegen -nologo -v q >"$scratch/build.log" 2>&1; then
  grep -E 'error|warning' "$scratch/build.log" | sort -u >&2 || cat "$scratch/build.log" >&2
  echo "ops/codegen.sh: the API does not build (Codegen configuration, generated code left out); fix that first." >&2
  exit 1
fi

# Only the settings below: none of the caller's Provenance__* variables may change what is generated.
for name in $(compgen -e); do case "$name" in Provenance__*|PROVENANCE_*|ConnectionStrings__*) unset "$name" ;; esac; done
if ! (cd "$scratch" && ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
      Provenance__ConnectionString="Host=127.0.0.1;Port=1;Username=codegen;Database=codegen" \
      dotnet "$project/bin/Codegen/net10.0/Provenance.Api.dll" codegen write --contentroot "$scratch" >"$scratch/codegen.log" 2>&1); then
  grep -v 'Wrote generated code file' "$scratch/codegen.log" >&2
  echo "ops/codegen.sh: codegen write failed." >&2
  exit 1
fi
fresh="$scratch/Internal/Generated"
[ -d "$fresh" ] || { cat "$scratch/codegen.log" >&2; echo "ops/codegen.sh: codegen wrote nothing to $fresh." >&2; exit 1; }

if [ "$mode" = check ]; then
  if ! diff -r -q "$generated" "$fresh" >"$scratch/diff.txt" 2>&1; then
    sed -e "s|$fresh|<regenerated>|g" -e "s|$root/||g" "$scratch/diff.txt" | head -20 >&2
    echo "generated code is stale: run ops/codegen.sh (and commit src/Provenance.Api/Internal/Generated)" >&2
    exit 1
  fi
  echo "Generated code is up to date ($(find "$fresh" -type f | wc -l) files)."
else
  rm -rf "$generated"
  mkdir -p "$(dirname "$generated")"
  cp -r "$fresh" "$generated"
  echo "Wrote $(find "$generated" -type f | wc -l) files to ${generated#"$root/"}; build and commit them."
fi
