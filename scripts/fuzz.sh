#!/usr/bin/env bash
# The engine's fuzz targets (tests/fuzz, cargo fuzz with libFuzzer; see tests/fuzz/README.md).
#
#   bash scripts/fuzz.sh seed                  # rewrite the seed corpora from vectors and suites
#   bash scripts/fuzz.sh run TARGET [ARGS...]  # fuzz TARGET; ARGS go to libFuzzer (-runs=10000000)
#   bash scripts/fuzz.sh smoke [SECONDS]       # each target SECONDS (10) from its corpus: the
#                                              # test command's fuzz suite
#
# `run` adds what it finds to tests/fuzz/corpus/TARGET and writes a crash, hang or out-of-memory
# input to tests/fuzz/artifacts/TARGET; `smoke` keeps the committed corpus unchanged (new inputs
# go to .tmp/fuzz). cargo fuzz needs nightly flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain
# take them. No sanitizer: the engine has no unsafe code; debug assertions are on, so an integer
# overflow is a crash too.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$PWD/target/fuzz"
targets=(bundle compiled expr jsonlogic template inputs)
fuzz() { cargo fuzz "$@"; }
build=(--fuzz-dir tests/fuzz --sanitizer none --debug-assertions)

case "${1:-}" in
  seed)
    cargo run --quiet --manifest-path tests/fuzz/Cargo.toml --features seed --bin seed
    ;;
  run)
    target=$2
    shift 2
    fuzz run "${build[@]}" "$target" "tests/fuzz/corpus/$target" -- -timeout=10 -rss_limit_mb=2048 "$@"
    ;;
  smoke)
    seconds=${2:-10}
    fuzz build "${build[@]}" >/dev/null
    passed=0
    failed=0
    for target in "${targets[@]}"; do
      scratch=.tmp/fuzz/$target
      rm -rf "$scratch" && mkdir -p "$scratch"
      if fuzz run "${build[@]}" "$target" "$scratch" "tests/fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$scratch/" \
        >"$scratch.log" 2>&1; then
        echo "ok $target: $(grep -o 'Done [0-9]* runs' "$scratch.log" | tail -1)"
        passed=$((passed + 1))
      else
        echo "not ok $target: see below and $scratch/"
        tail -40 "$scratch.log"
        failed=$((failed + 1))
      fi
    done
    # Counted like node's runner by scripts/test.sh.
    echo "# pass $passed"
    echo "# fail $failed"
    [ "$failed" = 0 ]
    ;;
  *)
    sed -n '2,13p' "$0"
    exit 2
    ;;
esac
