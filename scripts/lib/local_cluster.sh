# Shared by scripts/demo.sh and examples/retrain/walkthrough.sh: a throwaway
# Muster cluster on loopback (musterd + agents with fake GPUs) in a temp dir,
# stopped (only what was started) when the script exits. Source it, then call
# local_cluster_init BIN_DIR.

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
section() { printf '\n%s==== %s ====%s\n' "$bold" "$*" "$plain"; }
# Echoes a command (arguments with spaces in single quotes), then runs it.
run() {
  local a out="$"
  for a in "$@"; do
    if [[ "$a" =~ [[:space:]\"\$] ]]; then out+=" '$a'"; else out+=" $a"; fi
  done
  printf '%s\n' "$out"
  "$@"
}

# Sets musterd, agent, muster(), work and the cleanup trap.
local_cluster_init() {
  local bin
  bin="$(cd "$1" && pwd)"
  musterd="$bin/musterd" agent="$bin/muster-agent" muster_bin="$bin/muster"
  work="$(mktemp -d "${TMPDIR:-/tmp}/muster-${2:-demo}-XXXXXX")"
  pids=()
  trap local_cluster_cleanup EXIT
  trap 'exit 130' INT TERM
}
muster() { "$muster_bin" "$@"; }

local_cluster_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  section "stopping what was started"
  # Agents first (their ranks go with them), then musterd; only our own PIDs.
  local i
  for (( i=${#pids[@]}-1; i>=0; i-- )); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  echo "stopped ${#pids[@]} processes; removing $work"
  rm -rf "$work"
  exit "$rc"
}

# Waits up to $2 seconds for a line starting with $3 in file $1; prints it.
wait_line() {
  local file=$1 secs=$2 prefix=$3 line
  for _ in $(seq $((secs * 10))); do
    line="$(grep -m1 "^$prefix" "$file" 2>/dev/null || true)"
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for \"$prefix\" in $file" >&2
  return 1
}

# The state of job $1, from `muster show --json`.
job_state() {
  muster show "$1" --json | grep -oE '"state": *"[A-Z_]+"' | head -1 | grep -oE '[A-Z_]+"$' | tr -d '"'
}

# Waits up to $2 seconds until job $1 is in one of the states $3 (regex).
wait_state() {
  local id=$1 secs=$2 want=$3 s=""
  for _ in $(seq $((secs * 5))); do
    s="$(job_state "$id" || true)"
    if [[ "$s" =~ ^($want)$ ]]; then return 0; fi
    sleep 0.2
  done
  echo "job $id is $s after ${secs}s, expected $want" >&2
  return 1
}

# The cluster's keys (docs/security.md), all in $work/keys: musterd's key
# pair, one per node named in $1 (space-separated) and one per user in $2
# ("alice:teams=vision bob:teams=nlp"), plus you as an operator; musterd's
# access file lists them. Exports MUSTER_KEY and MUSTER_SERVER_KEY for you.
local_cluster_keys() {
  local nodes=$1 users=${2:-} me entry name opts
  keys="$work/keys"
  mkdir -m 700 "$keys"
  muster keygen --out "$keys/server.key" >/dev/null
  me="$(id -un)"
  : >"$keys/access"
  for entry in "$me:operator" $users; do
    name="${entry%%:*}" opts=""
    [ "$entry" != "$name" ] && opts="${entry#*:}"
    muster keygen --out "$keys/user-$name.key" >/dev/null
    echo "user $name $(public_key "$keys/user-$name.pub") ${opts//:/ }" >>"$keys/access"
  done
  for name in $nodes; do
    muster keygen --out "$keys/node-$name.key" >/dev/null
    echo "node $name $(public_key "$keys/node-$name.pub")" >>"$keys/access"
  done
  export MUSTER_KEY="$keys/user-$me.key" MUSTER_SERVER_KEY="$keys/server.pub"
}
public_key() { sed -n 's/^public-key = //p' "$1"; }
# as USER CMD...: runs CMD with USER's key.
as() {
  local user=$1
  shift
  MUSTER_KEY="$keys/user-$user.key" "$@"
}

# Starts musterd on a free loopback port with extra flags "$@" and the keys
# of local_cluster_keys; exports MUSTER_SCHEDULER.
start_musterd() {
  local root=()
  # Your own jobs run as you; as root that needs saying.
  [ "$(id -u)" = 0 ] && root=(--allow-root-jobs)
  "$musterd" --state-dir "$work/state" --listen tcp://127.0.0.1:0 --key "$keys/server.key" \
    --access "$keys/access" "${root[@]}" "$@" >"$work/musterd.out" 2>"$work/musterd.log" &
  pids+=($!)
  local line
  line="$(wait_line "$work/musterd.out" 15 "musterd listening on ")"
  echo "$line"
  export MUSTER_SCHEDULER="${line#musterd listening on }"
}

# start_agent NAME GPUS [flags...]: an agent with fake GPUs, registered.
start_agent() {
  local name=$1 gpus=$2
  shift 2
  "$agent" --scheduler "$MUSTER_SCHEDULER" --name "$name" --fake-gpus "$gpus" --work-dir "$work/$name" \
    --key "$keys/node-$name.key" --server-key "$keys/server.pub" "$@" \
    >"$work/$name.out" 2>"$work/$name.log" &
  pids+=($!)
}
