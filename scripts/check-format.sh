#!/usr/bin/env bash
# Checks that every C++ file in the repository is formatted by .clang-format
# (Google style, 110 columns), so a diff shows what changed rather than how
# an editor wrapped it. Exits 1 and names the files that differ; fix them
# with:   scripts/check-format.sh --fix
# Uses the clang-format that scripts/setup.sh installs (Debian 12: 14), the
# version the tree is kept formatted with: another version may wrap a few
# lines differently, so the check runs only with that major version.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

want_major=14
fix=0
[ "${1:-}" = "--fix" ] && fix=1

if ! command -v clang-format >/dev/null 2>&1; then
  echo "check-format: clang-format is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi
major=$(clang-format --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if [ "$major" != "$want_major" ]; then
  echo "check-format: skipped: clang-format $major here, the tree is formatted with $want_major" >&2
  exit 0
fi

mapfile -t files < <(git ls-files -- '*.cc' '*.h' | grep -v '^third_party/' || true)
if [ "$fix" = 1 ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
# One clang-format for the whole tree: it names each file that differs in
# its "file:line:col: error: code should be clang-formatted" lines.
mapfile -t bad < <(clang-format --dry-run --Werror "${files[@]}" 2>&1 |
  sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u)
if [ ${#bad[@]} -gt 0 ]; then
  printf 'check-format: not formatted: %s\n' "${bad[@]}" >&2
  echo "check-format: run scripts/check-format.sh --fix" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
