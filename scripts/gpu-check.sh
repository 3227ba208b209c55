#!/usr/bin/env bash
# Muster on real NVIDIA GPUs, end to end (docs/gpu.md). On a machine with
# NVIDIA GPUs and a driver, this script:
#   1. lists the GPUs (nvidia-smi -L); none: exit 2 before anything starts;
#   2. builds musterd, muster-agent, muster and nccl_allreduce (Release);
#   3. starts musterd on 127.0.0.1 (free port, temporary state dir) and one
#      muster-agent that finds the GPUs through NVML;
#   4. submits nccl_allreduce as a gang over all N GPUs (--nodes 1
#      --gpus-per-node N), waits (bounded), prints the job, every rank's log,
#      the bus bandwidth and PASS/FAIL; then, when python3 has torch with
#      CUDA, examples/torch_ddp.py over the N GPUs, requeued after its first
#      checkpoint: PASS when the second attempt resumed from it and finished;
#   5. with N >= 2, a 2-node gang: a fresh musterd and two agents owning N/2
#      GPUs each (see "two agents on one host" below); with N < 2: SKIP;
#   6. stops everything it started (only that, by PID) and prints a summary.
# Every wait is bounded; the whole run stays under MUSTER_GPU_CHECK_BUDGET_S.
#
# Two agents on one host: an agent finds its GPUs through NVML, which always
# lists every GPU of the host (CUDA_VISIBLE_DEVICES does not apply to it), and
# the agent has no option to own a subset. Two NVML agents would both claim
# all N GPUs and hand the same ones to both "nodes". So the 2-node gang runs
# on two agents started with --fake-gpus N/2 (GPU slots without NVML), and
# each rank maps its slot to a distinct physical GPU itself:
# CUDA_VISIBLE_DEVICES=NODE_RANK*(N/2)+LOCAL_RANK. The physical GPUs are
# never shared; what this phase does not test is NVML discovery (phase 4 does).
#
# Usage: scripts/gpu-check.sh [--no-build] [--bytes SIZE] [--iters N]
#        scripts/gpu-check.sh --bundle-deps DIR
#   --no-build        use the binaries already in the build dir (a prebuilt tree
#                     carried to this machine); also MUSTER_GPU_CHECK_NO_BUILD=1
#   --bytes SIZE      all-reduce size (default 64M); --iters N timed iterations (20)
#   --bundle-deps DIR on the BUILD machine (no GPU needed): copy the shared
#                     libraries the built binaries need (but glibc, libstdc++,
#                     CUDA and NVIDIA's own) into DIR/lib, for
#                     MUSTER_DEPS_PREFIX=DIR --no-build on a machine without
#                     the -dev packages
# Environment:
#   MUSTER_BUILD_DIR        build directory (default: build-gpu)
#   MUSTER_JOBS             parallel compile jobs (default: nproc)
#   MUSTER_DEPS_PREFIX      a prefix holding the dependencies (include/, lib/,
#                           lib/cmake, lib/pkgconfig, bin/capnp; or lib/ alone
#                           with --no-build): used for CMAKE_PREFIX_PATH,
#                           PKG_CONFIG_PATH, PATH and our processes'
#                           LD_LIBRARY_PATH instead of the system packages
#   MUSTER_NCCL_HOME        where NCCL is (lib/libnccl.so*, include/nccl.h) when
#                           not in the CUDA toolkit
#   MUSTER_GPU_CHECK_BUDGET_S  time budget for the whole run (default 450)
#   MUSTER_GPU_CHECK_TWO_NODE  0: skip the 2-node phase
#   MUSTER_GPU_CHECK_TORCH     0: skip the PyTorch phase
#   MUSTER_GPU_CHECK_PYTHON    the python with torch (default: python3 on PATH)
#   MUSTER_GPU_CHECK_KEEP      1: keep the temporary directory (logs, state)
#   NCCL_DEBUG              passed to the ranks when set (e.g. INFO, WARN)
# Exit: 0 every phase that ran passed (a SKIP is not a failure); 1 a phase
# failed (or the build did); 2 this machine cannot run the check (no GPU,
# missing packages or binaries).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"
t0=$SECONDS

build_dir="${MUSTER_BUILD_DIR:-build-gpu}"
jobs="${MUSTER_JOBS:-$(nproc)}"
budget="${MUSTER_GPU_CHECK_BUDGET_S:-450}"
no_build="${MUSTER_GPU_CHECK_NO_BUILD:-0}"
two_node="${MUSTER_GPU_CHECK_TWO_NODE:-1}"
keep="${MUSTER_GPU_CHECK_KEEP:-0}"
bytes="64M"
iters=20
bundle_dir=""

usage() { sed -n '/^# Usage:/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) no_build=1 ;;
    --bytes) [ $# -ge 2 ] || { usage >&2; exit 2; }; bytes="$2"; shift ;;
    --iters) [ $# -ge 2 ] || { usage >&2; exit 2; }; iters="$2"; shift ;;
    --bundle-deps) [ $# -ge 2 ] || { usage >&2; exit 2; }; bundle_dir="$2"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ "$iters" =~ ^[1-9][0-9]*$ ]] || { echo "gpu-check: bad --iters '$iters'" >&2; exit 2; }
[[ "$bytes" =~ ^[1-9][0-9]*([kKmMgG](i?B)?)?$ ]] || { echo "gpu-check: bad --bytes '$bytes'" >&2; exit 2; }
[[ "$budget" =~ ^[1-9][0-9]*$ ]] || { echo "gpu-check: bad MUSTER_GPU_CHECK_BUDGET_S '$budget'" >&2; exit 2; }

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
section() { printf '\n%s==== %s ====%s  [%ds]\n' "$bold" "$*" "$plain" "$((SECONDS - t0))"; }
note() { printf 'gpu-check: %s\n' "$*"; }
die() { # die CODE MESSAGE...
  local code=$1; shift
  printf 'gpu-check: %s\n' "$*" >&2
  exit "$code"
}
# Seconds left of the budget, and a wait of at most $1 seconds that still fits
# in it (keeping 20 s to stop everything and print the summary).
left() { echo $((budget - (SECONDS - t0))); }
bounded() {
  local want=$1 l
  l=$(($(left) - 20))
  if [ "$l" -lt "$want" ]; then want=$l; fi
  if [ "$want" -lt 1 ]; then want=1; fi
  echo "$want"
}

programs=(musterd muster-agent muster nccl_allreduce)
bin="$repo/$build_dir/bin"
[[ "$build_dir" = /* ]] && bin="$build_dir/bin"

# ---- dependencies from a prefix ------------------------------------------------
deps_ld=""        # LD_LIBRARY_PATH for our processes (never exported globally)
cmake_prefix=()   # -DCMAKE_PREFIX_PATH
prefix_path=""    # PATH additions (capnp compiler)
prefix_pkgconfig=""
if [ -n "${MUSTER_DEPS_PREFIX:-}" ]; then
  [ -d "$MUSTER_DEPS_PREFIX" ] || die 2 "MUSTER_DEPS_PREFIX=$MUSTER_DEPS_PREFIX is not a directory"
  p="$(cd "$MUSTER_DEPS_PREFIX" && pwd)"
  roots=("$p")
  [ -d "$p/usr" ] && roots+=("$p/usr")
  for r in "${roots[@]}"; do
    cmake_prefix+=("$r")
    for d in lib/x86_64-linux-gnu lib64 lib; do
      [ -d "$r/$d" ] && deps_ld="${deps_ld:+$deps_ld:}$r/$d"
      [ -d "$r/$d/pkgconfig" ] && prefix_pkgconfig="${prefix_pkgconfig:+$prefix_pkgconfig:}$r/$d/pkgconfig"
    done
    [ -d "$r/share/pkgconfig" ] && prefix_pkgconfig="${prefix_pkgconfig:+$prefix_pkgconfig:}$r/share/pkgconfig"
    [ -d "$r/bin" ] && prefix_path="${prefix_path:+$prefix_path:}$r/bin"
  done
fi

# Runs one of our programs with the prefix's libraries (and NCCL's, if found
# outside the toolkit) ahead of the system's.
with_libs() {
  if [ -n "$deps_ld" ]; then
    LD_LIBRARY_PATH="$deps_ld${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
  else
    "$@"
  fi
}

# Starts one of our programs in the background, like with_libs; sets
# last_pid to the program's own PID (env execs it), so a signal reaches it.
launch() {
  if [ -n "$deps_ld" ]; then
    env "LD_LIBRARY_PATH=$deps_ld${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@" &
  else
    "$@" &
  fi
  last_pid=$!
}

# A directory holding lib/libnccl.so* outside the CUDA toolkit: MUSTER_NCCL_HOME,
# else the nvidia-nccl Python wheel (PyTorch machines have one).
find_nccl_home() {
  local d
  if [ -n "${MUSTER_NCCL_HOME:-}" ]; then echo "$MUSTER_NCCL_HOME"; return 0; fi
  command -v python3 >/dev/null 2>&1 || return 1
  for d in $(timeout 20 python3 -c 'import nvidia; print(*nvidia.__path__, sep="\n")' 2>/dev/null); do
    d="$(find "$d" -maxdepth 4 -name 'libnccl.so*' -path '*/lib/*' 2>/dev/null | head -1)"
    if [ -n "$d" ]; then dirname "$(dirname "$d")"; return 0; fi
  done
  return 1
}

# Libraries a binary needs that the loader cannot find (with our LD path).
missing_libs() { { with_libs ldd "$1" 2>/dev/null || true; } | awk '/not found/ {print $1}' | sort -u | tr '\n' ' '; }

# ---- --bundle-deps: on the build machine ---------------------------------------
if [ -n "$bundle_dir" ]; then
  for p in musterd muster-agent muster; do
    [ -x "$bin/$p" ] || die 2 "--bundle-deps: $bin/$p is missing: build first (cmake --build $build_dir --target musterd muster-agent muster nccl_allreduce)"
  done
  mkdir -p "$bundle_dir/lib"
  n=0
  for p in "${programs[@]}"; do
    [ -x "$bin/$p" ] || continue
    while read -r name path; do
      case "$name" in
        linux-vdso* | ld-linux* | libc.so* | libm.so* | libdl.so* | librt.so* | libpthread.so* | libutil.so* | \
          libresolv.so* | libstdc++.so* | libgcc_s.so* | libcuda.so* | libcudart.so* | libnccl.so* | libnvidia-*) continue ;;
      esac
      [ -f "$path" ] || continue
      if [ ! -e "$bundle_dir/lib/$name" ]; then cp -L "$path" "$bundle_dir/lib/$name"; n=$((n + 1)); fi
    done < <(ldd "$bin/$p" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}')
  done
  note "copied $n libraries into $bundle_dir/lib ($(du -sh "$bundle_dir" | cut -f1)); on the GPU machine:"
  note "  MUSTER_DEPS_PREFIX=$bundle_dir MUSTER_BUILD_DIR=$build_dir scripts/gpu-check.sh --no-build"
  exit 0
fi

# ---- 1. GPUs (before anything is built or started) -----------------------------
section "GPUs"
smi="$(command -v nvidia-smi || true)"
for c in /usr/local/nvidia/bin/nvidia-smi /usr/bin/nvidia-smi; do
  [ -z "$smi" ] && [ -x "$c" ] && smi="$c"
done
[ -n "$smi" ] || die 2 "no NVIDIA GPU here: nvidia-smi not found (no driver?); nothing was started"
if ! smi_out="$(timeout 60 "$smi" -L 2>&1)"; then
  die 2 "no usable NVIDIA GPU: '$smi -L' failed: $(echo "$smi_out" | head -3); nothing was started"
fi
echo "$smi_out"
ngpus="$(grep -cE '^GPU [0-9]+:' <<<"$smi_out" || true)"
[ "$ngpus" -ge 1 ] || die 2 "no NVIDIA GPU: nvidia-smi -L lists none; nothing was started"
timeout 30 "$smi" --query-gpu=index,name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
if [ "$ngpus" -ge 2 ]; then timeout 30 "$smi" topo -m 2>/dev/null | head -$((ngpus + 1)) || true; fi
note "$ngpus GPU(s)"

# ---- 2. dependencies and build --------------------------------------------------
nccl_home=""
if [ "$no_build" = 1 ]; then
  section "prebuilt binaries in $bin (--no-build)"
  for p in "${programs[@]}"; do
    [ -x "$bin/$p" ] || die 2 "--no-build: $bin/$p is missing (build it, or carry $build_dir/bin)"
  done
else
  section "dependencies"
  # What the build needs from Debian 12 (scripts/setup.sh installs them).
  needed=(cmake ninja-build pkg-config libzmq3-dev cppzmq-dev capnproto libcapnp-dev librocksdb-dev
    libboost-program-options-dev nlohmann-json3-dev libhowardhinnant-date-dev)
  missing=()
  if [ -n "${MUSTER_DEPS_PREFIX:-}" ]; then
    note "dependencies from MUSTER_DEPS_PREFIX=$MUSTER_DEPS_PREFIX (system packages not checked)"
  elif command -v dpkg-query >/dev/null 2>&1; then
    for p in "${needed[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    note "missing packages: ${missing[*]}"
    # scripts/setup.sh needs apt and a mirror: try it only when one answers.
    mirror="$(grep -hoE 'https?://[^/ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 || true)"
    port=80
    [[ "$mirror" == https://* ]] && port=443
    mirror="${mirror#*://}"
    can_root=false
    { [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; } && can_root=true
    if $can_root && [ -n "$mirror" ] && command -v apt-get >/dev/null 2>&1 &&
      timeout 5 bash -c "exec 3<>/dev/tcp/${mirror%%:*}/$port" 2>/dev/null; then
      note "running scripts/setup.sh (mirror $mirror answers)"
      timeout "$(bounded 300)" scripts/setup.sh || die 2 "scripts/setup.sh failed; missing: ${missing[*]}"
    else
      note "not installing them: no apt mirror reachable (${mirror:-none configured}) or not root;"
      note "install them, or point MUSTER_DEPS_PREFIX at a prefix that has them, or build elsewhere"
      note "and carry $build_dir/bin with --bundle-deps/--no-build (docs/gpu.md); trying the build anyway"
    fi
  else
    note "build packages present"
  fi

  section "configure and build ($build_dir, Release, -j$jobs)"
  cmake_args=(-S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMUSTER_BUILD_TESTS=OFF
    -DMUSTER_BUILD_BENCH=OFF -DMUSTER_WERROR=OFF)
  if [ ${#cmake_prefix[@]} -gt 0 ]; then
    cmake_args+=("-DCMAKE_PREFIX_PATH=$(IFS=';'; echo "${cmake_prefix[*]}")")
  fi
  # NCCL outside the toolkit (e.g. only the Python wheel): name it explicitly.
  cuda_inc=""
  for c in /usr/local/cuda/include /usr/include; do [ -f "$c/nccl.h" ] && cuda_inc="$c"; done
  if [ -n "${MUSTER_NCCL_HOME:-}" ] || [ -z "$cuda_inc" ]; then
    if nccl_home="$(find_nccl_home)" && [ -f "$nccl_home/include/nccl.h" ]; then
      nccl_lib="$(find "$nccl_home/lib" -maxdepth 1 -name 'libnccl.so*' | sort | head -1)"
      note "NCCL from $nccl_home ($nccl_lib)"
      cmake_args+=("-DNCCL_LIB=$nccl_lib" "-DNCCL_INCLUDE_DIR=$nccl_home/include")
    else
      nccl_home=""
    fi
  fi
  build_path="$PATH"
  [ -n "$prefix_path" ] && build_path="$prefix_path:$build_path"
  [ -d /usr/local/cuda/bin ] && build_path="$build_path:/usr/local/cuda/bin"
  configure_log="$(mktemp "${TMPDIR:-/tmp}/muster-gpu-configure-XXXXXX")"
  # The build's environment: the prefix's tools, .pc files and libraries first.
  build_env=("PATH=$build_path")
  [ -n "$prefix_pkgconfig" ] && build_env+=("PKG_CONFIG_PATH=$prefix_pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}")
  [ -n "$deps_ld" ] && build_env+=("LD_LIBRARY_PATH=$deps_ld${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
  if ! env "${build_env[@]}" timeout "$(bounded 120)" cmake "${cmake_args[@]}" >"$configure_log" 2>&1; then
    tail -30 "$configure_log"
    rm -f "$configure_log"
    die 2 "cmake configure failed (above)${missing[*]:+; missing packages: ${missing[*]}}"
  fi
  grep -E 'CUDA|NCCL|nccl_allreduce' "$configure_log" || true
  rm -f "$configure_log"
  if ! grep -q '^nccl_allreduce:' <(cmake --build "$build_dir" --target help 2>/dev/null); then
    die 2 "nccl_allreduce is not part of this build: CMake found no CUDA toolkit, nvcc or NCCL (see above;" \
      "set MUSTER_NCCL_HOME for an NCCL outside the toolkit)"
  fi
  build_start=$SECONDS
  if ! env "${build_env[@]}" timeout "$(bounded 400)" cmake --build "$build_dir" -j "$jobs" --target "${programs[@]}"; then
    die 1 "build failed (or ran past the time budget)"
  fi
  note "built in $((SECONDS - build_start))s"
fi

# NCCL or the CUDA runtime the loader cannot find (a carried build; NCCL only
# in the Python wheel): MUSTER_NCCL_HOME, else the nvidia-* wheels' lib dirs.
if [ -n "$nccl_home" ] && [ -d "$nccl_home/lib" ]; then deps_ld="${deps_ld:+$deps_ld:}$nccl_home/lib"; fi
for lib in $(missing_libs "$bin/nccl_allreduce"); do
  dir=""
  if [ -n "${MUSTER_NCCL_HOME:-}" ] && [ -e "$MUSTER_NCCL_HOME/lib/$lib" ]; then
    dir="$MUSTER_NCCL_HOME/lib"
  elif command -v python3 >/dev/null 2>&1; then
    for d in $(timeout 20 python3 -c 'import nvidia; print(*nvidia.__path__, sep="\n")' 2>/dev/null || true); do
      f="$(find "$d" -maxdepth 4 -name "$lib" 2>/dev/null | head -1)"
      if [ -n "$f" ]; then dir="$(dirname "$f")"; break; fi
    done
  fi
  if [ -n "$dir" ]; then
    note "$lib from $dir"
    deps_ld="${deps_ld:+$deps_ld:}$dir"
  fi
done
# The driver's libraries (NVML for the agent, libcuda for the ranks) where the
# loader may not look: containers often mount them under /usr/local/nvidia.
ld_dirs="${LD_LIBRARY_PATH:-}"
for lib in libnvidia-ml.so.1 libcuda.so.1; do
  if ! ldconfig -p 2>/dev/null | grep -F "$lib" >/dev/null; then
    for d in ${ld_dirs//:/ } /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64; do
      if [ -e "$d/$lib" ]; then
        case ":${LD_LIBRARY_PATH:-}:$deps_ld:" in *":$d:"*) ;; *) deps_ld="${deps_ld:+$deps_ld:}$d" ;; esac
        break
      fi
    done
  fi
done
bad=""
for p in "${programs[@]}"; do
  m="$(missing_libs "$bin/$p")"
  [ -z "$m" ] || bad+="  $p: $m"$'\n'
done
if [ -n "$bad" ]; then
  printf 'gpu-check: shared libraries not found:\n%s' "$bad" >&2
  die 2 "install the packages, or set MUSTER_DEPS_PREFIX (libraries in its lib/; see --bundle-deps), MUSTER_NCCL_HOME for NCCL"
fi

# ---- the cluster: processes we start, and how to stop them --------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/muster-gpu-check-XXXXXX")"
pids=()
cluster_logs=()  # the logs of the processes in pids
results=()   # "PHASE|PASS/FAIL/SKIP|detail"
record() { results+=("$1|$2|$3"); }

# Stops our processes, agents first (newest first) then musterd, each given 10 s
# after SIGTERM, then any nccl_allreduce of ours an agent left behind.
stop_all() {
  local i pid d _
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
  cluster_logs=()
  local exe
  exe="$(readlink -f "$bin/nccl_allreduce" 2>/dev/null || true)"
  [ -n "$exe" ] || return 0
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    if [ "$(readlink "$d/exe" 2>/dev/null || true)" = "$exe" ]; then
      note "stopping leftover rank process $pid ($exe)"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

# shellcheck disable=SC2317 # summary and cleanup run from the EXIT trap
summary() {
  section "summary"
  local r phase status detail
  for r in "${results[@]}"; do
    IFS='|' read -r phase status detail <<<"$r"
    printf '%-5s %-28s %s\n' "$status" "$phase" "$detail"
  done
  printf 'wall time %ds (budget %ds)\n' "$((SECONDS - t0))" "$budget"
}

# shellcheck disable=SC2317
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    section "stopping what gpu-check started"
    stop_all
  fi
  if [ "$keep" = 1 ]; then note "kept $work"; else rm -rf "$work"; fi
  summary
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

muster() { with_libs "$bin/muster" --scheduler "$endpoint" --key "$work/keys/me.key" --server-key "$work/keys/server.pub" "$@"; }

# Keys, as on a real cluster (docs/security.md): musterd's, the operator's
# (this script's) and one per node it starts; musterd's access file lists them.
make_keys() {
  local node
  mkdir -m 700 "$work/keys"
  for k in server me gpu-node-1 gpu-node-a gpu-node-b; do
    with_libs "$bin/muster" keygen --out "$work/keys/$k.key" >/dev/null || return 1
  done
  echo "user $(id -un) $(sed -n 's/^public-key = //p' "$work/keys/me.pub") operator" >"$work/keys/access"
  for node in gpu-node-1 gpu-node-a gpu-node-b; do
    echo "node $node $(sed -n 's/^public-key = //p' "$work/keys/$node.pub")" >>"$work/keys/access"
  done
}

# Waits up to $3 seconds for a line starting with $2 in file $1 while process
# $4 lives; prints the line.
wait_line() {
  local file=$1 prefix=$2 secs=$3 pid=$4 line _
  for _ in $(seq $((secs * 10))); do
    line="$(grep -m1 "^$prefix" "$file" 2>/dev/null || true)"
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "gpu-check: process $pid exited before \"$prefix\"" >&2; return 1; }
    sleep 0.1
  done
  echo "gpu-check: no \"$prefix\" in $file after ${secs}s" >&2
  return 1
}

# Starts musterd with state in $work/$1; sets endpoint.
start_musterd() {
  local tag=$1 line
  [ -f "$work/keys/access" ] || make_keys || return 1
  launch "$bin/musterd" --state-dir "$work/$tag/state" --listen tcp://127.0.0.1:0 \
    --key "$work/keys/server.key" --access "$work/keys/access" $( [ "$(id -u)" = 0 ] && echo --allow-root-jobs) \
    >"$work/$tag-musterd.out" 2>"$work/$tag-musterd.log"
  pids+=("$last_pid")
  cluster_logs+=("$work/$tag-musterd.log")
  if ! line="$(wait_line "$work/$tag-musterd.out" "musterd listening on " "$(bounded 20)" "$last_pid")"; then
    tail -20 "$work/$tag-musterd.log" >&2
    return 1
  fi
  echo "$line"
  endpoint="${line#musterd listening on }"
}

# Starts an agent named $1 (more agent flags after it); sets agent_gpus.
start_agent() {
  local name=$1 line
  shift
  launch "$bin/muster-agent" --scheduler "$endpoint" --name "$name" --work-dir "$work/$name" \
    --key "$work/keys/$name.key" --server-key "$work/keys/server.pub" --pass-env LD_LIBRARY_PATH,MUSTER_NCCL_HOME "$@" \
    >"$work/$name.out" 2>"$work/$name.log"
  pids+=("$last_pid")
  cluster_logs+=("$work/$name.log")
  if ! line="$(wait_line "$work/$name.out" "muster-agent $name registered" "$(bounded 60)" "$last_pid")"; then
    tail -20 "$work/$name.log" >&2
    return 1
  fi
  echo "$line"
  agent_gpus="$(sed -nE 's/.*\(([0-9]+) GPUs\).*/\1/p' <<<"$line")"
}

job_state() {
  muster show "$1" --json 2>/dev/null | grep -oE '"state": *"[A-Z_]+"' | head -1 | grep -oE '[A-Z_]+"$' | tr -d '"'
}

# Waits up to $2 seconds for job $1 to end; prints its final state.
wait_final() {
  local id=$1 secs=$2 s="" end=$((SECONDS + $2))
  while [ $SECONDS -lt $end ]; do
    s="$(job_state "$id" || true)"
    case "$s" in COMPLETED | FAILED | CANCELLED | TIMEOUT) echo "$s"; return 0 ;; esac
    sleep 1
  done
  echo "gpu-check: job $id is ${s:-unknown} after ${secs}s: cancelling it" >&2
  muster cancel "$id" >/dev/null 2>&1 || true
  echo "${s:-UNKNOWN}"
  return 1
}

# The arguments as one line, those with spaces or shell characters in single quotes.
quoted() {
  local a out=""
  for a in "$@"; do
    if [[ "$a" =~ [^A-Za-z0-9_./=:,+@%-] ]]; then a="'${a//\'/\'\\\'\'}'"; fi
    out+="${out:+ }$a"
  done
  echo "$out"
}

# Submits `nccl_allreduce` (after $4.. as a wrapper prefix, if any) as a gang
# of $2 nodes x $3 GPUs, named $1, waits, prints job and rank logs; records
# PASS when the job COMPLETED and every rank printed its "ok" line.
run_gang() {
  local phase=$1 nodes=$2 per_node=$3
  shift 3
  local world=$((nodes * per_node)) out id state r lines ok_lines=0 limit
  rank0=""
  limit="$(bounded 240)"
  local env_args=()
  [ -n "${NCCL_DEBUG:-}" ] && env_args+=(--env "NCCL_DEBUG=$NCCL_DEBUG")
  local cmd=("$@" "$bin/nccl_allreduce" --bytes "$bytes" --iters "$iters" --timeout "$((limit > 60 ? limit - 30 : 30))")
  echo "+ muster submit $(quoted --name "$phase" --nodes "$nodes" --gpus-per-node "$per_node" --max-restarts 0 \
    --time-limit "${limit}s" "${env_args[@]}" -- "${cmd[@]}")"
  if ! out="$(muster submit --name "$phase" --nodes "$nodes" --gpus-per-node "$per_node" --max-restarts 0 \
    --time-limit "${limit}s" "${env_args[@]}" -- "${cmd[@]}" 2>&1)"; then
    echo "$out"
    record "$phase" FAIL "submit refused: $out"
    return 1
  fi
  echo "$out"
  id="${out##* }"
  state="$(wait_final "$id" "$((limit + 15))")" || true
  # The fields that tell what happened; Placement goes on over indented lines.
  muster show "$id" | awk '/^[A-Za-z]/ {keep = /^(JobId|State|Ending|ReasonDetail|Gpus|ExitCode|RunTime|Placement):/}
    keep' || true
  for ((r = 0; r < world; r++)); do
    echo "--- rank $r log"
    lines="$(muster logs "$id" --rank "$r" 2>&1 || true)"
    printf '%s\n' "$lines" | tail -40
    if grep -qE "^nccl_allreduce rank $r/$world gpu .* ok size [0-9]+ algbw [0-9.]+ GB/s busbw [0-9.]+ GB/s$" <<<"$lines"; then
      ok_lines=$((ok_lines + 1))
      [ "$r" -eq 0 ] && rank0="$(grep -oE 'size [0-9]+ algbw [0-9.]+ GB/s busbw [0-9.]+ GB/s' <<<"$lines")"
    fi
  done
  if [ "$state" = COMPLETED ] && [ "$ok_lines" -eq "$world" ]; then
    record "$phase" PASS "$world ranks, rank 0: $rank0"
    return 0
  fi
  echo "--- the last lines of musterd's and the agents' logs"
  tail -n 8 "${cluster_logs[@]}" 2>/dev/null || true
  record "$phase" FAIL "job $id $state, $ok_lines of $world ranks ok"
  return 1
}

# PyTorch DDP (examples/torch_ddp.py) over the $1 GPUs of the running
# cluster, when python3 has torch with CUDA: the job checkpoints, is requeued
# after its first checkpoint, and must resume from it and finish.
run_torch() {
  local world=$1 phase="torch DDP + requeue" py out id state="" log0="" end r limit
  py="${MUSTER_GPU_CHECK_PYTHON:-$(command -v python3 || true)}"
  if [ "${MUSTER_GPU_CHECK_TORCH:-1}" = 0 ]; then
    record "$phase" SKIP "MUSTER_GPU_CHECK_TORCH=0"
    return 0
  fi
  if [ -z "$py" ] || ! timeout "$(bounded 90)" "$py" -c 'import sys, torch, torch.distributed as d
sys.exit(0 if torch.cuda.is_available() and d.is_nccl_available() else 1)' >/dev/null 2>&1; then
    note "SKIP: ${py:-python3} has no torch with CUDA and NCCL"
    record "$phase" SKIP "no torch with CUDA in ${py:-python3}"
    return 0
  fi
  if [ "$(left)" -lt 120 ]; then
    record "$phase" SKIP "not enough of the time budget left ($(left)s)"
    return 0
  fi
  limit="$(bounded 180)"
  local cmd=("$py" "$repo/examples/torch_ddp.py" --steps 60 --step-time 0.1 --checkpoint-every 10 --timeout 120)
  echo "+ muster submit $(quoted --name torch-ddp --nodes 1 --gpus-per-node "$world" --max-restarts 2 --grace 20s \
    --time-limit "${limit}s" -- "${cmd[@]}")"
  if ! out="$(muster submit --name torch-ddp --nodes 1 --gpus-per-node "$world" --max-restarts 2 --grace 20s \
    --time-limit "${limit}s" -- "${cmd[@]}" 2>&1)"; then
    echo "$out"
    record "$phase" FAIL "submit refused: $out"
    return 1
  fi
  echo "$out"
  id="${out##* }"
  end=$((SECONDS + $(bounded 120)))
  while [ $SECONDS -lt $end ]; do
    log0="$(muster logs "$id" --rank 0 2>/dev/null || true)"
    grep -q "checkpoint at step" <<<"$log0" && break
    state="$(job_state "$id" || true)"
    case "$state" in COMPLETED | FAILED | CANCELLED | TIMEOUT) break ;; esac
    sleep 1
  done
  if grep -q "checkpoint at step" <<<"$log0"; then
    note "first checkpoint written: muster requeue $id (the next attempt must resume from it)"
    muster requeue "$id" || true
  else
    note "no checkpoint from job $id (state ${state:-unknown}): not requeueing"
  fi
  state="$(wait_final "$id" "$(bounded 150)")" || true
  muster show "$id" | awk '/^[A-Za-z]/ {keep = /^(JobId|State|ReasonDetail|ExitCode|Restarts|Attempt|RunTime):/}
    keep' || true
  for ((r = 0; r < world; r++)); do
    echo "--- rank $r log"
    muster logs "$id" --rank "$r" 2>&1 | tail -12 || true
  done
  log0="$(muster logs "$id" --rank 0 2>/dev/null || true)"
  if [ "$state" = COMPLETED ] && grep -qE "resumed from step [1-9]" <<<"$log0" &&
    grep -qE "^torch_ddp rank 0/$world: done: " <<<"$log0"; then
    record "$phase" PASS "$(grep -oE 'resumed from step [0-9]+' <<<"$log0" | tail -1), $(grep -oE 'loss [0-9.e+-]+$' <<<"$log0" | tail -1)"
    return 0
  fi
  echo "--- the last lines of musterd's and the agents' logs"
  tail -n 8 "${cluster_logs[@]}" 2>/dev/null || true
  record "$phase" FAIL "job $id ${state:-?}: no completed run that resumed from a checkpoint"
  return 1
}

failed=0
last_pid=""
endpoint=""
agent_gpus=0
rank0=""

# ---- 3./4. one node, every GPU, through NVML ------------------------------------
section "musterd and one agent with the real GPUs (NVML)"
if start_musterd one && start_agent gpu-node-1; then
  muster nodes --gpus 2>/dev/null || muster nodes || true
  world="${agent_gpus:-0}"
  if [ "$world" != "$ngpus" ]; then
    note "the agent registered $world GPUs, nvidia-smi lists $ngpus: using the agent's $world"
  fi
  if [ "$world" -ge 1 ]; then
    section "gang over all $world GPUs of the node: nccl_allreduce, $bytes x $iters"
    run_gang "1 node x $world GPUs" 1 "$world" || failed=1
    section "PyTorch DDP over the $world GPUs: checkpoint, requeue, resume"
    run_torch "$world" || failed=1
  else
    record "1 node x N GPUs" FAIL "agent registered no GPUs"
    failed=1
  fi
else
  record "1 node x $ngpus GPUs" FAIL "musterd or the NVML agent did not start (log above)"
  failed=1
fi
stop_all

# ---- 5. two "nodes" on this host --------------------------------------------------
half=$((ngpus / 2))
phase2="2 nodes x $half GPUs"
if [ "$ngpus" -lt 2 ]; then
  section "2-node gang"
  note "SKIP: needs >= 2 GPUs (this machine has $ngpus)"
  record "2 nodes x N/2 GPUs" SKIP "needs >= 2 GPUs, found $ngpus"
elif [ "$two_node" = 0 ]; then
  record "$phase2" SKIP "MUSTER_GPU_CHECK_TWO_NODE=0"
elif [ "$(left)" -lt 90 ]; then
  record "$phase2" SKIP "not enough of the time budget left ($(left)s)"
else
  section "2-node gang: a fresh musterd, two agents with $half GPU slots each"
  note "NVML cannot be split between two agents on one host: the agents take --fake-gpus $half and"
  note "each rank uses physical GPU NODE_RANK*$half+LOCAL_RANK, so no GPU is shared"
  if start_musterd two && start_agent gpu-node-a --fake-gpus "$half" --labels rack=r1,switch=s1 &&
    start_agent gpu-node-b --fake-gpus "$half" --labels rack=r1,switch=s2; then
    muster nodes || true
    # shellcheck disable=SC2016 # expanded by the rank's shell, not this one
    run_gang "$phase2" 2 "$half" /bin/sh -c \
      "CUDA_VISIBLE_DEVICES=\$((NODE_RANK * $half + LOCAL_RANK)); export CUDA_VISIBLE_DEVICES;"' exec "$0" "$@"' ||
      failed=1
  else
    record "$phase2" FAIL "musterd or an agent did not start (log above)"
    failed=1
  fi
  stop_all
fi

exit "$failed"
