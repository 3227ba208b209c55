#!/usr/bin/env bash
# Sets up (scripts/setup.sh), builds everything in build/ and runs every test
# with ctest. Exits non-zero on any failure. Works from any directory.
#   MUSTER_BUILD_DIR   build directory (default: build)
#   MUSTER_JOBS        parallel compile jobs (default: nproc)
#   MUSTER_CMAKE_ARGS  extra arguments for the configure step
#   MUSTER_CHECKS=1    also run the checks CI runs (CI=true does too):
#                      scripts/check-thread-safety.sh, a second configure
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir="${MUSTER_BUILD_DIR:-build}"
jobs="${MUSTER_JOBS:-$(nproc)}"

section() { printf '\n==== %s ====\n' "$*"; }

section "setup"
scripts/setup.sh

section "include directions"
# Cheap, and a wrong-way include is clearer here than as a link error later.
if ! scripts/check-includes.sh; then
  echo "test.sh: an #include goes against the module layout (see above); fix the include or the rule" >&2
  exit 1
fi

section "format"
# Also cheap. Runs only with the clang-format the tree is kept with (14).
if ! scripts/check-format.sh; then
  echo "test.sh: a C++ file is not clang-formatted (see above)" >&2
  exit 1
fi

section "configure ($build_dir)"
# Warnings are errors in CI, where the compiler is the one the tree is kept
# clean with (g++ 12), and stay warnings locally, so that a newer compiler's
# new warning does not stop a newcomer's first build. Said every time, so a
# build directory CI configured does not keep it.
werror=OFF
if [ "${CI:-}" = "true" ]; then werror=ON; fi
# The top-level CMakeLists.txt uses ccache by itself when it is installed.
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" -G Ninja -DMUSTER_BUILD_TESTS=ON -DMUSTER_WERROR=$werror ${MUSTER_CMAKE_ARGS:-}

section "build (-j$jobs)"
start=$(date +%s)
cmake --build "$build_dir" -j "$jobs"
echo "build took $(( $(date +%s) - start ))s"

# A second configure (clang) and a few libraries: on in CI, opt-in locally.
if [ "${CI:-}" = "true" ] || [ "${MUSTER_CHECKS:-}" = "1" ]; then
  section "thread-safety analysis (clang)"
  if ! scripts/check-thread-safety.sh; then
    echo "test.sh: clang's -Wthread-safety found a lock problem (see above)" >&2
    exit 1
  fi
fi

section "test"
start=$(date +%s)
cd "$build_dir"
ctest --output-on-failure -j2 --timeout 180
echo "tests took $(( $(date +%s) - start ))s"
