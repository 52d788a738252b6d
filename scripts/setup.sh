#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test Waymark; re-running skips what is there.
#
#   - the wasm32 target (rustup; Debian's rustc-web + build-std as a fallback)
#   - Debian's rustc-web with its standard library source and wasm-ld: the browser runtime is
#     built against a standard library rebuilt for size (scripts/build.sh)
#   - rustfmt and clippy
#   - the wasm-bindgen CLI at the version Cargo.lock pins (it must match exactly)
#   - Chromium and ChromeDriver (Debian) for the browser tests
#   - cargo-fuzz, for the fuzz targets' short runs in the test command
#   - npm tooling (package.json): wasm-opt from npm binaryen, playwright-core, miniflare + workerd,
#     and Node 22 for miniflare
#
# Nothing is downloaded later: the build and the tests only use what this installed.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tmp
log() { printf 'setup: %s\n' "$*"; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The toolchain file the build reads: empty when rustup's wasm32 target works.
: > .tmp/toolchain.env
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  if ! rustup target add wasm32-unknown-unknown; then
    log "rustup could not add wasm32; falling back to Debian's rustc-web with build-std"
    apt_install rustc-web cargo-web rust-web-src lld
    cat > .tmp/toolchain.env <<'ENV'
export WASM_CARGO=/usr/bin/cargo
export RUSTC=/usr/bin/rustc
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld
export WASM_BUILD_STD="-Zbuild-std=std,panic_abort"
ENV
  fi
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    log "adding $component"
    rustup component add "$component"
  fi
done

if [ ! -d /usr/lib/rustlib/src/rust/library ] || [ ! -x /usr/bin/rustc ] || ! command -v wasm-ld >/dev/null; then
  log "installing Debian's rustc-web, its std source and wasm-ld (the page runtime's std, rebuilt for size)"
  apt_install rustc-web cargo-web rust-web-src lld ||
    log "could not; the page runtime will be built with the stock std (about 16 KB gzip bigger)"
fi
if [ -d /usr/lib/rustlib/src/rust/library ] && [ -x /usr/bin/cargo ]; then
  # Rebuilding std compiles std's own dependencies: fetched here, so the build stays offline.
  RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 /usr/bin/cargo fetch --quiet \
    --manifest-path /usr/lib/rustlib/src/rust/library/Cargo.toml ||
    log "could not fetch std's dependencies; the page runtime will use the stock std"
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  log "installing Chromium and ChromeDriver from Debian"
  apt_install chromium chromium-driver
fi

wanted=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$wanted" ]; then
  log "installing wasm-bindgen-cli $wanted (was: ${have:-none}); a few minutes"
  # Not --locked: the CLI's own lockfile pins a crate version the index no longer serves.
  cargo install wasm-bindgen-cli --version "$wanted"
fi

# The fuzz targets (tests/fuzz, scripts/fuzz.sh): cargo fuzz, and the targets' dependencies.
if ! cargo fuzz --version 2>/dev/null | grep -q '^cargo-fuzz 0.13.2$'; then
  log "installing cargo-fuzz 0.13.2; a few minutes"
  cargo install cargo-fuzz --version 0.13.2
fi

# The book (docs/): the test command builds it.
if ! mdbook --version 2>/dev/null | grep -q '^mdbook v0.5.4$'; then
  log "installing mdbook 0.5.4; a minute"
  cargo install mdbook --version 0.5.4 --no-default-features --locked
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm tooling"
  npm ci --no-audit --no-fund --loglevel=error
fi

if command -v wasm-opt >/dev/null && wasm-opt --version 2>/dev/null | grep -q 'version 108'; then
  log "note: $(command -v wasm-opt) is Debian's binaryen 108, which breaks modules; the build uses node_modules/.bin/wasm-opt"
fi

cargo fetch --quiet
cargo fetch --quiet --manifest-path tests/fuzz/Cargo.toml
log "ready"
