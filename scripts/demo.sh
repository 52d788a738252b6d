#!/usr/bin/env bash
# Sets up a fresh machine (idempotent), builds, and starts the demo on http://127.0.0.1:8787/demo/
# (pass another address as the first argument, e.g. 127.0.0.1:0 for any free port).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh www
cargo build --release --quiet -p waymark-cli
exec target/release/waymark demo --listen "${1:-127.0.0.1:8787}"
