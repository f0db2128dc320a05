#!/usr/bin/env bash
# How long a newcomer waits: a fresh clone of this repository with an empty HOME (no pip cache, no
# matplotlib font cache, no kb cache, no bytecode), as a contributor gets it, timed in steps:
#   install  the README's test command up to pytest (python3 -m venv .venv && pip install -e '.[test]')
#   tests    the rest of the README's test command (the fast tests, what a contributor runs)
#   slow     the command under <!-- slow-test-command --> in README.md (skipped with --fast)
# with the load average before and after each step: on a shared machine a figure means little without it.
# The CSL styles and source texts are given as CI gives them (../shared beside the repository), so the
# same tests run as in CI.
#
#   benchmarks/test_time.sh [--fast] [REF]    REF: a commit, branch or tag of this repository (default HEAD)
#
# Paired comparison (old and new back to back, under the same load):
#   benchmarks/test_time.sh --fast main && benchmarks/test_time.sh --fast tests
set -euo pipefail
fast=0
if [ "${1:-}" = "--fast" ]; then fast=1; shift; fi
ref="${1:-HEAD}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="$(cd "$repo/../shared" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/kbcli"
git -C "$work/kbcli" checkout -q "$(git -C "$repo" rev-parse "$ref")"
ln -s "$shared" "$work/shared"
mkdir "$work/home"
cd "$work/kbcli"

command_under() {  # the first line of the code block after <!-- $1 --> in README.md
  awk -v mark="<!-- $1 -->" '$0 == mark {found=1; next} found && /^```/ {if (inblock) exit; inblock=1; next}
                             found && inblock {print; exit}' README.md
}
readme="$(command_under test-command)"
install="${readme%% && .venv/bin/python -m pytest*}"
tests="${readme#"$install && "}"
slow="$(command_under slow-test-command)"

load() { cut -d' ' -f1-3 /proc/loadavg; }
step() {  # step NAME COMMAND: run it with the empty HOME; its wall time, its CPU time and the load around it
  local name="$1" cmd="$2" before code=0 real user sys
  before="$(load)"
  { TIMEFORMAT='%R %U %S'; time env -u XDG_CACHE_HOME -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u KB_CACHE_DIR \
      -u KB_DB -u KB_SEED HOME="$work/home" KB_CSL_DIR="$work/shared/csl" KB_SOURCES="$work/shared/sources" \
      bash -c "$cmd" > "$work/$name.log" 2>&1 || code=$?; } 2> "$work/$name.time"
  read -r real user sys < "$work/$name.time"
  { grep -E "^(FAILED|ERROR) " "$work/$name.log" || true; tail -n 3 "$work/$name.log"; } | sed "s/^/  $name | /"
  # CPU seconds (user + system, the processes it waited for included) barely move with the machine's load
  printf '%-8s %7.1f s wall  %7.1f s CPU  exit %s  load before %s, after %s  (%s, %s)\n' "$name" "$real" \
         "$(echo "$user + $sys" | bc)" "$code" "$before" "$(load)" "$(git rev-parse --short HEAD)" "$cmd" \
         | tee -a "$work/summary"
  return "$code"
}

echo "kbcli at $(git rev-parse --short HEAD) ($ref), $(nproc) cores, in $work" >&2
status=0
step install "$install" || status=$?
step tests "$tests" || status=$?
if [ "$fast" = 0 ] && [ -n "$slow" ]; then
  step slow "$slow" || status=$?
fi
echo "---"
cat "$work/summary"
exit "$status"
