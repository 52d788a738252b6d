#!/usr/bin/env bash
# Builds the wasm targets and prints a size report.
#
#   bash scripts/build.sh          # both
#   bash scripts/build.sh www      # the browser package: www/dist/
#   bash scripts/build.sh edge     # the Worker: edge/build/
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
[ -f .tmp/toolchain.env ] && . .tmp/toolchain.env
cargo=${WASM_CARGO:-cargo}
target=wasm32-unknown-unknown
out=target/$target/release
wasm_opt=node_modules/.bin/wasm-opt
features=(--enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int
  --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling)

build_wasm() { # crate [profile]
  # shellcheck disable=SC2086
  "$cargo" build --quiet --profile "${2:-release}" --target "$target" -p "$1" ${WASM_BUILD_STD:-}
}

# The page's runtime, against a standard library rebuilt for size when Debian's rustc-web and
# its std source are there (scripts/setup.sh installs them): std's size-optimised code paths,
# and panics that abort without formatting a message (the engine does not panic; a bug would
# trap either way). 16 KB gzip less than with the stock std. Its own target dir: another rustc.
# Only when that rustc's Unicode tables are the main toolchain's (case mapping, `trim`... must
# decide as natively), and any failure falls back to the stock std.
runtime_wasm=target/$target/web/waymark_web.wasm
unicode_version() { # rustc name: prints char::UNICODE_VERSION as that rustc's std has it
  mkdir -p .tmp
  echo 'fn main() { print!("{:?}", char::UNICODE_VERSION) }' > .tmp/unicode.rs
  "$1" --edition 2021 -o ".tmp/unicode-$2" .tmp/unicode.rs 2>/dev/null && ".tmp/unicode-$2"
}
build_runtime() {
  runtime_wasm=target/$target/web/waymark_web.wasm
  if [ -z "${WAYMARK_STOCK_STD:-}" ] && [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] &&
    [ -d /usr/lib/rustlib/src/rust/library ] && command -v wasm-ld >/dev/null &&
    debian_unicode=$(unicode_version /usr/bin/rustc debian) && [ -n "$debian_unicode" ] &&
    [ "$debian_unicode" = "$(unicode_version rustc main)" ] &&
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
      CARGO_TARGET_DIR=target/web-std RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
      /usr/bin/cargo build --quiet --offline --profile web --target "$target" -p waymark-web \
      -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size; then
    runtime_wasm=target/web-std/$target/web/waymark_web.wasm
    echo size-optimised > .tmp/runtime-std
  else
    echo "build: no size-optimised std here (see scripts/setup.sh); the runtime uses the stock one" >&2
    build_wasm waymark-web web
    echo stock > .tmp/runtime-std
  fi
}

optimize() { # file.wasm
  "$wasm_opt" -Oz "${features[@]}" "$1" -o "$1"
}

# Each output is removed before its build starts and written whole into a staging folder that
# replaces it only once everything succeeded: a failed build leaves no output (rather than an
# earlier build's, which the tests would then test) and never half of one.
mkdir -p .tmp
if [ "$what" = all ] || [ "$what" = www ]; then rm -rf www/dist; fi
if [ "$what" = all ] || [ "$what" = edge ]; then rm -rf edge/build; fi
stage() { # name: a fresh staging folder
  rm -rf ".tmp/build-$1" && mkdir -p ".tmp/build-$1" && echo ".tmp/build-$1"
}

if [ "$what" = all ] || [ "$what" = www ]; then
  # The SDK's runtime (compiled bundles only), and the full engine for www/src/index.js
  # (conditions, templates and bundles compiled in the browser).
  build_runtime
  build_wasm waymark-wasm
  dist=$(stage www)
  wasm-bindgen "$runtime_wasm" --out-dir "$dist/wasm" --out-name runtime --target web
  wasm-bindgen "$out/waymark_wasm.wasm" --out-dir "$dist/wasm" --out-name waymark --target web
  optimize "$dist/wasm/runtime_bg.wasm"
  optimize "$dist/wasm/waymark_bg.wasm"
  cp www/src/*.js www/src/*.d.ts www/src/*.css "$dist/"
  node scripts/minify-snippet.mjs www/src/snippet.js "$dist/snippet.min.js"
  node scripts/bundle-sdk.mjs "$dist/loader.js" "$dist/loader.js" # one module for the snippet to load
  # Gzipped twins, which `waymark serve`/`demo` send to browsers that accept gzip.
  find "$dist" -type f \( -name '*.js' -o -name '*.wasm' -o -name '*.css' \) -exec gzip -9 -k -f {} +
  mv "$dist" www/dist
fi

if [ "$what" = all ] || [ "$what" = edge ]; then
  build_wasm waymark-edge
  worker=$(stage edge)
  wasm-bindgen "$out/waymark_edge.wasm" --out-dir "$worker" --out-name index --target module \
    --no-typescript --experimental-reset-state-function --force-enable-abort-handler
  # workerd imports compiled wasm with a plain `import`, not the source-phase form.
  sed -i 's/^import source /import /' "$worker/index.js"
  optimize "$worker/index_bg.wasm"
  cp edge/src/entry.mjs "$worker/entry.mjs"
  mv "$worker" edge/build
fi

node scripts/size-report.mjs www/dist edge/build
