#!/usr/bin/env bash
# Installs the Debian 12 packages Muster builds against, and only the missing ones.
# Idempotent: a machine that already has everything runs no apt-get at all.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libzmq3-dev cppzmq-dev libsodium-dev
  capnproto libcapnp-dev
  librocksdb-dev
  libboost-program-options-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libhowardhinnant-date-dev tzdata procps
  libcpp-httplib-dev python3
  clang  # scripts/check-thread-safety.sh: -Wthread-safety is clang's
  clang-format  # scripts/check-format.sh
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
