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

# shellcheck source=lib/local_cluster.sh
source scripts/lib/local_cluster.sh

section "setup and build"
scripts/setup.sh
cmake -S . -B "$build_dir" -G Ninja >/dev/null
cmake --build "$build_dir" -j "$jobs" --target musterd muster-agent muster
local_cluster_init "$build_dir/bin" demo

section "keys: musterd's, one per node, and users alice (team vision), bob (team nlp) and you (an operator)"
local_cluster_keys "node-1 node-2" "alice:teams=vision bob:teams=nlp"
run cat "$keys/access"

section "starting musterd (state in $work/state)"
start_musterd

section "starting two agents with 4 fake GPUs each"
for n in 1 2; do start_agent "node-$n" 4 --labels "rack=r1,switch=s$n"; done
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

section "two users: alice's job is alice's; bob cannot touch it, and an unknown key gets nowhere"
# Held, so it never needs a UNIX account named alice on this machine.
alice_out="$(run as alice muster submit --hold --name alices -- sleep 30)"
echo "$alice_out"
alices="${alice_out##* }"
run as bob muster jobs
for verb in cancel release; do
  if run as bob muster "$verb" "$alices"; then
    echo "bob could $verb alice's job: that must not happen" >&2
    exit 1
  fi
done
wait_state "$alices" 15 "PENDING"
muster keygen --out "$keys/user-stranger.key" >/dev/null  # in no access file
if run as stranger muster --timeout-ms 2000 jobs; then
  echo "an unknown key was let in: that must not happen" >&2
  exit 1
fi
run as alice muster cancel "$alices"
wait_state "$alices" 15 "CANCELLED"

ok=true
for id in "$single" "$gang"; do [ "$(job_state "$id")" = COMPLETED ] || ok=false; done
if $ok; then
  section "demo finished: both jobs COMPLETED"
else
  section "demo finished: a job did not complete"
  exit 1
fi
