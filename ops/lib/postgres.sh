# Embedded PostgreSQL for ops/run.sh and ops/test.sh: sourced, not run.
# A private cluster on a loopback port, owned by the 'postgres' OS user (the server refuses root),
# with its data directory outside the clone (that user cannot enter a root-owned home).

pg_bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  return 1
}

pg_ensure_binaries() {
  if ! pg_bin_dir >/dev/null; then
    echo "PostgreSQL server binaries not found: installing the Debian package (needs root and the package registry)..." >&2
    if [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
      sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
  fi
  PG_BIN=$(pg_bin_dir) || { echo "PostgreSQL binaries are still missing" >&2; return 1; }
  export PG_BIN
}

# Runs a PostgreSQL tool as the cluster owner.
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pg_start DATA_DIR PORT: initialises the cluster on first use and starts it (no-op if it already runs).
# Sets PG_STARTED_HERE=1 only when this call started the server, so callers stop only what they started.
pg_start() {
  local data=$1 port=$2
  PG_STARTED_HERE=""
  pg_ensure_binaries || return 1
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    mkdir -p "$data"
    chown postgres:postgres "$data"
    chmod 700 "$data"
  else
    mkdir -p "$data" && chmod 700 "$data"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    pg_as_owner "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null || return 1
    # Durable by default (fsync and synchronous_commit stay on); sized for a 2-core machine.
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
max_connections = 200
shared_buffers = 256MB
fsync = on
synchronous_commit = on
CONF
  fi
  if pg_as_owner "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    return 0
  fi
  if ! pg_port_free "$port"; then
    echo "Port $port is taken by another process; set a different port." >&2
    return 1
  fi
  pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -o "-p $port -k /tmp" -l "$data/server.log" -w -t 60 start >/dev/null || {
    echo "PostgreSQL did not start; see $data/server.log" >&2; tail -20 "$data/server.log" >&2; return 1; }
  PG_STARTED_HERE=1
}

pg_stop() {
  local data=$1
  [ -n "${PG_BIN:-}" ] || PG_BIN=$(pg_bin_dir) || return 0
  pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
}

# pg_create_db PORT NAME: creates the database if missing.
pg_create_db() {
  local port=$1 name=$2
  local exists
  exists=$(psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "select 1 from pg_database where datname = '$name'")
  [ "$exists" = 1 ] || psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "create database \"$name\"" >/dev/null
}
