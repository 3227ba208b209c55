#!/usr/bin/env bash
# Builds the libraries that hold locks with clang's thread-safety analysis
# as an error: every member marked GUARDED_BY(mu_) must be touched with mu_
# held (common/base/mutex.h, thread_annotations.h). g++ ignores the
# annotations, so without this step they are only comments.
#
# A second build directory, configured with clang, and only the libraries
# with a Mutex in them, with -j2: it costs a configure and a few files.
# When a lock moves into another library, add that library below.
#   MUSTER_TSA_BUILD_DIR  build directory (default: build-tsa)
#   MUSTER_JOBS           parallel compile jobs (default: 2)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir="${MUSTER_TSA_BUILD_DIR:-build-tsa}"
jobs="${MUSTER_JOBS:-2}"
# common/base (mutex.h itself), scheduler/store (both stores),
# scheduler/service's HTTP gateway and its task queue, agent/runtime (the
# fake launcher).
targets=(muster_base muster_store muster_http muster_agent_runtime)

if ! command -v clang++ >/dev/null 2>&1; then
  echo "check-thread-safety: clang++ not found (scripts/setup.sh installs clang)" >&2
  exit 1
fi

log="$build_dir/check-thread-safety.log"
mkdir -p "$build_dir"
# CC/CXX count only when the directory is first configured; a directory
# left by another compiler is an error, not a silent g++ build.
# No tests, benchmarks or CUDA: none of them is built here, and CUDA's
# probing is the slowest part of a configure.
if ! CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja \
  -DMUSTER_BUILD_TESTS=OFF -DMUSTER_BUILD_BENCH=OFF -DCMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit=ON \
  -DCMAKE_CXX_FLAGS="-Wthread-safety -Werror=thread-safety" >"$log" 2>&1; then
  cat "$log" >&2
  echo "check-thread-safety: configuring $build_dir with clang failed (see above)" >&2
  exit 1
fi
if ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang' "$build_dir/CMakeCache.txt"; then
  echo "check-thread-safety: $build_dir was configured with another compiler; remove it" >&2
  exit 1
fi

if ! cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}"; then
  echo "check-thread-safety: a guarded member is used without its lock, or a lock is taken twice" \
    "(-Wthread-safety, see above)" >&2
  exit 1
fi
echo "check-thread-safety: ${targets[*]} pass clang's -Wthread-safety"
