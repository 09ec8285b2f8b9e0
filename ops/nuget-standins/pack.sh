#!/usr/bin/env bash
# Rebuilds the two stand-in packages into ops/nuget-standins/packages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for p in Patched.DistributedLock.Postgres IdentityModel; do
  dotnet pack "$here/$p/$p.csproj" -c Release -o "$here/packages" --source https://api.nuget.org/v3/index.json
done
