#!/usr/bin/env bash
# Checks that #include lines point the way the layout allows (README.md
# "Layout": dependencies point downwards only). CMake's target_link_libraries
# keeps most arrows honest, but a header-only include slips past the linker;
# this grep does not. Exits 1 and lists file:line and the rule on a
# violation. Cheap (a second or so): run it before building.
#   scripts/check-includes.sh          the whole tree
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The rules, one module a line: MODULE KIND PREFIX...
#   MODULE  a path prefix from the repository root; !PREFIX is every file
#           NOT under PREFIX.
#   only    every quoted include must start with one of the prefixes; the
#           token <std> also limits <...> includes to the standard library
#           (a bare name: <vector>, <cstdint>).
#   never   no quoted include may start with any of the prefixes.
# A file is checked against every rule whose module it is in. Includes are
# by path from the root ("common/base/log.h") or "muster/..." (the public
# headers in include/). A new module is one line, e.g. a trace-input layer
# on top of the core:   scheduler/input/  only  muster/ common/base/ scheduler/core/ scheduler/input/
rules='
include/muster/   only   <std> muster/
common/base/      only   muster/ common/base/
scheduler/core/   only   muster/ common/base/ scheduler/core/
scheduler/input/  only   muster/ common/base/ common/timewin/ scheduler/core/ scheduler/input/
scheduler/store/  never  scheduler/core/ scheduler/service/ scheduler/sim/ scheduler/cli/ agent/
scheduler/sim/    never  scheduler/service/ scheduler/store/rocksdb scheduler/cli/ agent/
scheduler/cli/    never  scheduler/core/ scheduler/store/ scheduler/service/ scheduler/sim/ agent/
agent/            never  scheduler/
common/           never  scheduler/ agent/ tests/
!tests/           never  tests/
'

# The tree's C++ files: git's view when there is one (tracked and new files,
# never ignored build output), else every file outside build directories.
list_files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard
  else
    find . \( -name '.git' -o -name 'build*' -o -name '.cache' \) -prune -o -type f -print | sed 's|^\./||'
  fi
}
files=()
while IFS= read -r f; do
  [ -f "$f" ] && files+=("$f")
done < <(list_files | grep -E '\.(h|hh|hpp|cc|cpp|cxx|cu|cuh)$' | sort -u)

if [ ${#files[@]} -eq 0 ]; then
  echo "check-includes: no C++ files found" >&2
  exit 1
fi

# grep prints FILE:LINE:TEXT for every #include; awk applies the rules.
includes=$(grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]' "${files[@]}" || true)
violations=$(
  printf '%s\n' "$includes" |
    awk -v rules="$rules" '
      function starts(s, p) { return substr(s, 1, length(p)) == p }
      function in_module(file, m) { return starts(m, "!") ? !starts(file, substr(m, 2)) : starts(file, m) }
      # "../x.h" and "x.h" are relative to the including file: make them
      # root-relative so the prefixes apply.
      function resolve(file, inc,   dir, n, parts, i, out, k, stack) {
        if (inc ~ /\// && inc !~ /^\.\.?\//) return inc
        dir = file; sub(/[^\/]*$/, "", dir)
        n = split(dir inc, parts, "/")
        k = 0
        for (i = 1; i <= n; i++) {
          if (parts[i] == "" || parts[i] == ".") continue
          if (parts[i] == "..") { if (k > 0) k--; continue }
          stack[++k] = parts[i]
        }
        out = ""
        for (i = 1; i <= k; i++) out = out (i > 1 ? "/" : "") stack[i]
        return out
      }
      function where(m) { return starts(m, "!") ? "code outside " substr(m, 2) : m }
      BEGIN {
        n = split(rules, lines, "\n")
        for (i = 1; i <= n; i++) {
          if (split(lines[i], w, /[ \t]+/) < 3) continue
          r++; module[r] = w[1]; kind[r] = w[2]; std[r] = 0; prefixes[r] = ""
          for (j = 3; w[j] != ""; j++) {
            if (w[j] == "<std>") std[r] = 1
            else prefixes[r] = prefixes[r] (prefixes[r] == "" ? "" : " ") w[j]
          }
        }
      }
      $0 == "" { next }
      {
        # FILE:LINE:TEXT; file names hold no colon in this tree.
        file = $0; sub(/:.*/, "", file)
        rest = substr($0, length(file) + 2)
        line = rest; sub(/:.*/, "", line)
        text = substr(rest, length(line) + 2)
        angle = text ~ /include[ \t]*</
        inc = text
        if (angle) { sub(/^[^<]*</, "", inc); sub(/>.*/, "", inc) }
        else { sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc); inc = resolve(file, inc) }
        for (i = 1; i <= r; i++) {
          if (!in_module(file, module[i])) continue
          np = split(prefixes[i], p, " ")
          if (angle) {
            if (kind[i] == "only" && std[i] && inc ~ /[.\/]/)
              printf "%s:%s: <%s>: %s includes only standard headers and %s\n", file, line, inc, where(module[i]), prefixes[i]
            continue
          }
          hit = ""
          for (j = 1; j <= np; j++) if (hit == "" && starts(inc, p[j])) hit = p[j]
          if (kind[i] == "only" && hit == "")
            printf "%s:%s: \"%s\": %s includes only %s\n", file, line, inc, where(module[i]), prefixes[i]
          if (kind[i] == "never" && hit != "")
            printf "%s:%s: \"%s\": %s never includes %s\n", file, line, inc, where(module[i]), hit
        }
      }'
)

if [ -n "$violations" ]; then
  echo "check-includes: includes against the layout (README.md \"Layout\"; rules at the top of scripts/check-includes.sh):" >&2
  echo "$violations" >&2
  echo "check-includes: $(printf '%s\n' "$violations" | wc -l) violation(s)" >&2
  exit 1
fi
echo "check-includes: ${#files[@]} files, no include against the layout"
