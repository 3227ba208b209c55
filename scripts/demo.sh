#!/usr/bin/env bash
# Muster in one minute: sets up, builds, starts musterd and two agents with 4
# fake GPUs each on loopback (temporary state dir, free port), runs a 1-GPU
# job and a 2-node x 4-GPU gang job, shows them, then stops everything it
# started (and only that).
#   MUSTER_BUILD_DIR   build directory (default: build)
#   MUSTER_JOBS        parallel compile jobs (default: nproc)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir="${MUSTER_BUILD_DIR:-build}"
jobs="${MUSTER_JOBS:-$(nproc)}"

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

section "setup and build"
scripts/setup.sh
cmake -S . -B "$build_dir" -G Ninja >/dev/null
cmake --build "$build_dir" -j "$jobs" --target musterd muster-agent muster
bin="$(cd "$build_dir/bin" && pwd)"
musterd="$bin/musterd" agent="$bin/muster-agent"
muster() { "$bin/muster" "$@"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/muster-demo-XXXXXX")"
pids=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  section "stopping what the demo started"
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
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to $2 seconds for a line starting with $3 in file $1; prints it.
wait_line() {
  local file=$1 secs=$2 prefix=$3 line
  for _ in $(seq $((secs * 10))); do
    line="$(grep -m1 "^$prefix" "$file" 2>/dev/null || true)"
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    sleep 0.1
  done
  echo "demo: timed out waiting for \"$prefix\" in $file" >&2
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
  echo "demo: job $id is $s after ${secs}s, expected $want" >&2
  return 1
}

section "starting musterd (state in $work/state)"
"$musterd" --state-dir "$work/state" --listen tcp://127.0.0.1:0 >"$work/musterd.out" 2>"$work/musterd.log" &
pids+=($!)
line="$(wait_line "$work/musterd.out" 15 "musterd listening on ")"
echo "$line"
endpoint="${line#musterd listening on }"
export MUSTER_SCHEDULER="$endpoint"

section "starting two agents with 4 fake GPUs each"
for n in 1 2; do
  "$agent" --scheduler "$endpoint" --name "node-$n" --fake-gpus 4 --labels "rack=r1,switch=s$n" \
    --work-dir "$work/node-$n" >"$work/node-$n.out" 2>"$work/node-$n.log" &
  pids+=($!)
done
for n in 1 2; do wait_line "$work/node-$n.out" 15 "muster-agent node-$n registered"; done
run muster nodes

section "submitting a 1-GPU job and a 2-node x 4-GPU gang job"
single_out="$(run muster submit --name single --gpus 1 -- /bin/sh -c \
  'echo "hello from job $MUSTER_JOB_ID on GPU $CUDA_VISIBLE_DEVICES"; sleep 3; echo "single: done"')"
echo "$single_out"
single="${single_out##* }"
gang_out="$(run muster submit --name gang --nodes 2 --gpus-per-node 4 -- /bin/sh -c \
  'echo "rank $RANK/$WORLD_SIZE local $LOCAL_RANK/$LOCAL_WORLD_SIZE node $NODE_RANK/$NNODES GPU $CUDA_VISIBLE_DEVICES master $MASTER_ADDR:$MASTER_PORT"; sleep 4; echo "rank $RANK: done"')"
echo "$gang_out"
gang="${gang_out##* }"

section "while they run: the gang needs all 8 GPUs, so it waits for the 1-GPU job"
wait_state "$single" 15 "RUNNING|COMPLETED"
run muster jobs
run muster nodes

section "the gang runs on both nodes"
wait_state "$gang" 30 "RUNNING"
run muster jobs
run muster nodes

section "waiting for both to finish"
wait_state "$single" 30 "COMPLETED|FAILED|CANCELLED|TIMEOUT"
wait_state "$gang" 30 "COMPLETED|FAILED|CANCELLED|TIMEOUT"
run muster jobs --state completed
run muster show "$gang"

section "logs"
run muster logs "$single"
for r in 0 5; do run muster logs "$gang" --rank "$r"; done

ok=true
for id in "$single" "$gang"; do [ "$(job_state "$id")" = COMPLETED ] || ok=false; done
if $ok; then
  section "demo finished: both jobs COMPLETED"
else
  section "demo finished: a job did not complete"
  exit 1
fi
