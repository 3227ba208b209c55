#!/usr/bin/env bash
# Retraining end to end on a throwaway local cluster (docs/retraining.md):
# register a model, train it, let its data drift, detect the drift with
# `muster drift check --trigger`, and watch the retrain wait for the off-peak
# window and warm-start from the first run's checkpoint.
#   MUSTER_BIN_DIR    where musterd, muster-agent and muster are (default: build them in build/)
#   RETRAIN_NOW=1     make the off-peak window open now instead of at the next minute
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
example="$(pwd)/examples/retrain"

# shellcheck source=../../scripts/lib/local_cluster.sh
source scripts/lib/local_cluster.sh

bin_dir="${MUSTER_BIN_DIR:-}"
if [ -z "$bin_dir" ]; then
  section "setup and build"
  scripts/setup.sh
  cmake -S . -B build -G Ninja >/dev/null
  cmake --build build -j "$(nproc)" --target musterd muster-agent muster
  bin_dir=build/bin
fi
local_cluster_init "$bin_dir" retrain
command -v python3 >/dev/null || { echo "walkthrough: needs python3" >&2; exit 1; }

# The off-peak window: from the next minute for an hour, so the first
# retrain visibly waits for it (or open already with RETRAIN_NOW=1).
if [ "${RETRAIN_NOW:-0}" = 1 ]; then
  window="daily 00:00-24:00"
else
  window="daily $(date -u -d '+1 minute' +%H:%M)-$(date -u -d '+61 minutes' +%H:%M)"
fi

section "a cluster: musterd (off-peak window '$window' UTC) and one agent with 2 fake GPUs"
local_cluster_keys node-1
start_musterd --offpeak "$window"
start_agent node-1 2
wait_line "$work/node-1.out" 15 "muster-agent node-1 registered"

section "the data: a reference set, and today's data (the same population for now)"
data="$work/data"
mkdir -p "$data"
run python3 "$example/gen_data.py" --rows 2000 --seed 1 --out "$data/reference.csv"
run python3 "$example/gen_data.py" --rows 2000 --seed 2 --out "$data/current.csv"

section "register the model: its retraining template"
run muster model register churn --gpus 1 --deadline 12h --cooldown 0s --checkpoint-dir "$work/checkpoints" \
  -- python3 "$example/train.py" --data "$data/current.csv"
run muster model list

section "the first training, triggered by hand; offpeak-preferred with 12h to spare: it waits for the window"
run muster trigger churn --reason "initial training"
first="$(muster model show churn --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["active_job"])')"
run muster jobs
wait_state "$first" 90 "COMPLETED|FAILED|CANCELLED|TIMEOUT"
run muster jobs --state all
run muster logs "$first"

features=age,income,country,tenure_months  # the label column is not an input
section "no drift yet: drift check exits 0 and triggers nothing"
run muster drift check --model churn --reference "$data/reference.csv" --current "$data/current.csv" \
  --columns "$features" --trigger

section "the population drifts (older, richer customers, a new country)"
run python3 "$example/gen_data.py" --rows 2000 --seed 3 --shift 1 --out "$data/current.csv"
set +e
run muster drift check --model churn --reference "$data/reference.csv" --current "$data/current.csv" \
  --columns "$features" --trigger
rc=$?
set -e
[ "$rc" = 10 ] || { echo "walkthrough: drift check exited $rc, expected 10 (drift)" >&2; exit 1; }

section "the retrain: inside the window now, warm-started from the first run's checkpoint"
second="$(muster model show churn --json | python3 -c 'import json,sys; m=json.load(sys.stdin); print(m["active_job"] or m["last_job"])')"
wait_state "$second" 60 "COMPLETED|FAILED|CANCELLED|TIMEOUT"
run muster logs "$second"
run muster model show churn

muster logs "$second" | grep -q "warm start from $work/checkpoints/$first" ||
  { echo "walkthrough: the retrain did not warm-start from job $first" >&2; exit 1; }
section "walkthrough finished: job $second warm-started from job $first's checkpoint"
