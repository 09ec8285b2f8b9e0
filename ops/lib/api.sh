# Starting the API for ops/run.sh: sourced, not run. Each function says what it found; tests/Provenance.Tests/Ops runs them.

# api_port_taken PORT: true when something already accepts connections on 127.0.0.1:PORT (the API could not bind it).
api_port_taken() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# api_port_holder PORT: who listens on PORT, when ss can tell (empty otherwise).
api_port_holder() {
  command -v ss >/dev/null || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -1
}

# api_wait_ready PORT PID TOKEN [TRIES]: waits until /health/ready on PORT answers 200 with header Provenance-Instance: TOKEN,
# i.e. from the API started with Provenance__InstanceId=TOKEN. Returns 0 when it does; 1 when process PID exited first;
# 2 when another process answers on the port; 3 when TRIES half-second rounds (default 240) passed without an answer.
api_wait_ready() {
  local port=$1 pid=$2 token=$3 tries=${4:-240} headers status instance
  for _ in $(seq 1 "$tries"); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "The API exited during start-up (its output is above)." >&2
      return 1
    fi
    if headers=$(curl -sS -o /dev/null -D - --max-time 5 "http://127.0.0.1:$port/health/ready" 2>/dev/null); then
      status=$(printf '%s\n' "$headers" | head -1 | awk '{print $2}')
      instance=$(printf '%s\n' "$headers" | tr -d '\r' | awk -F': *' 'tolower($1) == "provenance-instance" { print $2 }' | tail -1)
      if [ "$instance" != "$token" ]; then
        echo "Another process answers on port $port${instance:+ (instance $instance)}, not the API this run started." >&2
        return 2
      fi
      [ "$status" = 200 ] && return 0
    fi
    sleep 0.5
  done
  echo "The API did not become ready on port $port in time." >&2
  return 3
}

# api_admin_key STATE_DIR: exports PROVENANCE_ADMIN_KEY (kept in STATE_DIR/admin-key, generated there on first use unless the
# variable is set) and sets ADMIN_KEY_NOTICE: the key itself only on the run that generated it, later only where it is kept;
# ADMIN_KEY_SHELL is how a shell gets the key without it being printed.
api_admin_key() {
  local key_file="$1/admin-key"
  if [ -n "${PROVENANCE_ADMIN_KEY:-}" ]; then
    ADMIN_KEY_NOTICE="  Admin key:  the one in PROVENANCE_ADMIN_KEY"
    ADMIN_KEY_SHELL='$PROVENANCE_ADMIN_KEY'
    export PROVENANCE_ADMIN_KEY
    return 0
  fi
  ADMIN_KEY_SHELL="\$(cat $key_file)"
  if [ ! -s "$key_file" ]; then
    (umask 077; printf 'pvk_admin_%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | head -c 40)" >"$key_file")
    PROVENANCE_ADMIN_KEY=$(cat "$key_file")
    ADMIN_KEY_NOTICE="  Admin key:  $PROVENANCE_ADMIN_KEY
              (generated now, shown once; kept in $key_file)"
  else
    PROVENANCE_ADMIN_KEY=$(cat "$key_file")
    ADMIN_KEY_NOTICE="  Admin key:  kept in $key_file"
  fi
  export PROVENANCE_ADMIN_KEY
}
