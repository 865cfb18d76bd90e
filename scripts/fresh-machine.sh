#!/usr/bin/env bash
# A new user's first minutes, on this machine: clone this repository into a temporary directory and
# run the README's first code block exactly as written, checking what each command prints. Twice:
#   1. with the system's Node.js first on PATH (/usr/bin/node): when it is older than 22.12, every
#      command must stop with the one-line version message (what to install) and exit code 2;
#   2. after the README's Node.js step (`npm install -g --prefix /opt/node24 node@24 && export PATH=…`):
#      every command must succeed.
#
#   bash scripts/fresh-machine.sh [--with-changes] [--skip-tests] [--reinstall-node] [--keep]
#
#   --with-changes    also copy this working tree's uncommitted changes into the clone
#   --skip-tests      leave `npm test` (the whole suite, many minutes) out of the block
#   --reinstall-node  run the Node.js step's `npm install` even when /opt/node24 already has a new
#                     enough Node.js (by default only its `export` runs then: reinstalling replaces
#                     the node binary every other shell on the machine is using)
#   --keep            keep the temporary directory
# `npx tidepool setup` apt-installs what is missing; run again, it installs nothing.
set -euo pipefail

with_changes=0 skip_tests=0 reinstall_node=0 keep=0
for arg in "$@"; do
  case "$arg" in
    --with-changes) with_changes=1 ;;
    --skip-tests) skip_tests=1 ;;
    --reinstall-node) reinstall_node=1 ;;
    --keep) keep=1 ;;
    *) echo "unknown option: $arg (see the top of $0)" >&2; exit 2 ;;
  esac
done

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=$(mktemp -d "${TMPDIR:-/tmp}/tidepool-fresh-XXXXXX")
cleanup() { if [ "$keep" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

failures=0
pass() { printf '  ok    %s\n' "$1"; }
fail() { printf '  FAIL  %s\n' "$1"; failures=$((failures + 1)); }

echo "== cloning $repo into $work/tidepool"
git clone --quiet "$repo" "$work/tidepool"
if [ "$with_changes" = 1 ]; then
  # The working tree as it is: changed and new files (not ignored ones), and deletions.
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
    if [ -f "$file" ]; then mkdir -p "$work/tidepool/$(dirname "$file")" && cp -p "$file" "$work/tidepool/$file"; fi
  done)
  (cd "$repo" && git ls-files -z --deleted) | (cd "$work/tidepool" && xargs -0 -r rm -f --)
fi
cd "$work/tidepool"

# The README's first ```sh block, one command per line, trailing comments removed.
mapfile -t block < <(awk '/^```sh$/ { inside = 1; next } inside && /^```$/ { exit } inside && NF' README.md | sed -E 's/[[:space:]]+#[^"]*$//')
node_step=$(grep -o 'npm install -g --prefix /opt/node24 node@24 && export PATH=/opt/node24/bin:\$PATH' README.md | head -n 1)
[ "${#block[@]}" -gt 0 ] || { echo "no \`\`\`sh block found in README.md" >&2; exit 1; }
[ -n "$node_step" ] || { echo "README.md has no Node.js step (npm install -g --prefix /opt/node24 node@24 && export PATH=…)" >&2; exit 1; }

# A fresh machine: nothing of a pool this user may run elsewhere, no settings from a shell of ours.
export XDG_STATE_HOME="$work/state"
unset TIDEPOOL_POOL_API_KEYS TIDEPOOL_LOG_FILE ACA_POOL_MANAGEMENT_ENDPOINT E2B_API_KEY DAYTONA_API_KEY || true
system_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Runs one command of the block in this shell's environment; its output goes to a log, shown on failure.
run_logged() {
  local log="$1" command="$2"
  set +e
  bash -c "$command" >"$log" 2>&1
  local code=$?
  set -e
  return $code
}

# Phase 1: the system's Node.js.
export PATH="$system_path"
system_node=$(node --version 2>/dev/null || echo none)
needed_message="Tidepool needs Node.js 22.12 or newer, but this is Node.js ${system_node#v} ("
echo "== with the system's Node.js ($system_node, $(command -v node || echo 'not found'))"
if [ "$system_node" != none ] && ! node bin/check-node.js 2>/dev/null; then
  for index in "${!block[@]}"; do
    command=${block[$index]}
    if [ "$skip_tests" = 1 ] && [ "$command" = "npm test" ]; then echo "  skip  $command"; continue; fi
    log="$work/phase1-$index.log"
    code=0; run_logged "$log" "$command" || code=$?
    # npm adds its own lines around a failed script; the version line itself must be there once.
    count=$(grep -cF "$needed_message" "$log" || true)
    if [ "$code" -ne 0 ] && [ "$count" = 1 ] && grep -qF 'npm install -g --prefix /opt/node24 node@24 && export PATH=/opt/node24/bin:$PATH' "$log"; then
      pass "$command  → exit $code, one line: $(grep -F "$needed_message" "$log" | cut -c1-90)…"
    else
      fail "$command  → exit $code, version line seen $count time(s); expected a non-zero exit and the line once. Last lines:"
      tail -n 15 "$log" | sed 's/^/        /'
    fi
    # The first command is the one a user meets; its exit code is the CLI's own (2).
    if [ "$index" = 0 ] && [ "$code" -ne 2 ]; then fail "$command exited $code; expected 2 (from \`npx tidepool setup\`)"; fi
  done
else
  echo "  (the system's Node.js is new enough or missing: nothing to check in this phase)"
fi

# The README's Node.js step.
echo "== the README's Node.js step: $node_step"
if [ "$reinstall_node" = 0 ] && /opt/node24/bin/node bin/check-node.js 2>/dev/null; then
  echo "  /opt/node24 already has Node.js $(/opt/node24/bin/node --version): running only its export (--reinstall-node to run the install too)"
  eval "${node_step#*&& }"
else
  eval "$node_step"
fi
echo "  node is now $(command -v node) $(node --version)"

# Phase 2: the block again, each command must succeed and print what the README promises.
echo "== with $(node --version)"
for index in "${!block[@]}"; do
  command=${block[$index]}
  if [ "$skip_tests" = 1 ] && [ "$command" = "npm test" ]; then echo "  skip  $command (--skip-tests)"; continue; fi
  log="$work/phase2-$index.log"
  code=0; run_logged "$log" "$command" || code=$?
  case "$command" in
    *"tidepool setup"*) expected='Nothing to install|Setup complete' ;;
    *"tidepool exec"*) expected='^45$' ;;
    "npm test") expected='Tests +[0-9]+ passed' ;;
    *) expected='' ;;
  esac
  if [ "$code" -eq 0 ] && { [ -z "$expected" ] || grep -Eq "$expected" "$log"; }; then
    pass "$command  → exit 0${expected:+, printed /$expected/}"
  else
    fail "$command  → exit $code${expected:+, expected /$expected/}. Last lines:"
    tail -n 25 "$log" | sed 's/^/        /'
  fi
  if grep -q 'EBADENGINE' "$log"; then fail "$command printed EBADENGINE warnings with $(node --version)"; fi
done

if [ "$failures" -gt 0 ]; then
  echo "== $failures check(s) failed"
  exit 1
fi
echo "== the README's first block works on this machine, before and after the Node.js step"
