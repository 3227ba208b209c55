#!/usr/bin/env bash
# Runs every figure of bench/README.md and leaves one JSON per run in OUT.
# usage: bench/run-figures.sh BUILD_DIR OUT_DIR
set -euo pipefail
build=${1:?build dir, e.g. build-rel}
out=${2:?output dir}
mkdir -p "$out"
b="$build/bin/muster-bench --musterd $build/bin/musterd"
run() { name=$1; shift; echo "== $name (load $(cut -d' ' -f1-3 /proc/loadavg))"; $b "$@" --json "$out/$name.json" | tail -n +2; }

run ingest        --agents 4    --clients 8 --mode burst  --duration 5 --drain-timeout 10
run burst-1000    --agents 1000 --clients 8 --mode burst  --duration 5
run steady-sim    --agents 4    --clients 4 --mode steady --rate 1000 --duration 10
run real-steady   --agents 4    --clients 4 --mode steady --rate 1000 --duration 10 --real-agents "$build/bin/muster-agent"
run real-burst    --agents 4    --clients 4 --mode burst  --jobs 10000 --real-agents "$build/bin/muster-agent"
run gang-4        --agents 4    --clients 2 --mode steady --rate 20 --duration 15 --job-nodes 2 --job-gpus 8 --job-seconds 0.02
run gang-10k      --agents 10000 --clients 2 --mode steady --rate 20 --duration 20 --job-nodes 2 --job-gpus 8 --job-seconds 0.5
run heartbeats-10k --agents 10000 --clients 1 --mode steady --rate 1 --duration 20
run array-10k     --agents 1000 --clients 1 --mode burst  --jobs 1 --array 10000 --job-seconds 1
echo "== recovery (load $(cut -d' ' -f1-3 /proc/loadavg))"
$b --recovery --history 1000000 --pending 100000 --json "$out/recovery.json"

# A sequential loop of one `muster submit` process per job.
state=$(mktemp -d)
"$build/bin/musterd" --state-dir "$state" --listen tcp://127.0.0.1:0 --log-level warning > "$state/out" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q "listening on" "$state/out" && break; sleep 0.1; done
ep=$(sed -n 's/musterd listening on //p' "$state/out")
echo "== sequential muster submit x2000 (load $(cut -d' ' -f1-3 /proc/loadavg))"
start=$(date +%s.%N)
for _ in $(seq 2000); do "$build/bin/muster" --scheduler "$ep" submit -- /bin/true > /dev/null; done
end=$(date +%s.%N)
echo "$start $end" | awk '{ printf "  %.0f submits/s (%.2f s)\n", 2000 / ($2 - $1), $2 - $1 }'
kill "$pid"; wait "$pid" || true
rm -rf "$state"
