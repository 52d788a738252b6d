#!/usr/bin/env bash
# Measures the central API on this machine: 1M-profile import, snapshot GETs (wrk), and event
# ingestion in batches of 100 (the `load` example). Release build; not part of the tests.
#
#   bash scripts/bench-api.sh [PROFILES]      (default 1000000; needs `wrk`: apt-get install -y wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
cargo build --release -p waymark-cli -p waymark-server --bin waymark --example load
bin=target/release/waymark
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
db="$work/bench.db"

echo "== import $n generated profiles"
"$bin" import "$work/profiles.ndjson" --db "$db" --generate "$n"

admin="$("$bin" keys create --admin --db "$db" 2>/dev/null)"
client="$("$bin" keys create --client --db "$db" 2>/dev/null)"
# Throughput, not abuse: the per-key and per-profile rate limits and the per-profile event cap off.
"$bin" serve --db "$db" --listen 127.0.0.1:0 --key-rate off --profile-event-rate off \
  --max-events-per-profile 0 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 50); do grep -q http "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url="$(grep -o 'http://[^ ]*' "$work/serve.out" | head -1)"
url="${url%/}"
curl -sf -X POST "$url/v1/bundles" -H "x-waymark-key: $admin" --data-binary @tests/fixtures/shop/bundle.json >/dev/null
token="$("$bin" token --profile u00000042 --db "$db")"

echo "== snapshot GET, one profile, client key + visitor token (wrk, 2 threads, 64 connections, 10 s)"
wrk -t2 -c64 -d10s --latency -H "x-waymark-key: $client" -H "Authorization: Bearer $token" \
  "$url/v1/profiles/u00000042/snapshot" | grep -E "Requests/sec|Latency|99%|50%"

echo "== snapshot GET, anonymous id, client key"
curl -sf "$url/v1/profiles/anon-abcdefghijklmnopqrstuvwx/snapshot" -H "x-waymark-key: $client" >/dev/null
wrk -t2 -c64 -d10s --latency -H "x-waymark-key: $client" \
  "$url/v1/profiles/anon-abcdefghijklmnopqrstuvwx/snapshot" | grep -E "Requests/sec|Latency|99%|50%"

echo "== events, batches of 100"
# Known profiles (`u…`): the admin key, as a site's backend posts them (a client key would need
# each profile's visitor token).
target/release/examples/load events "$url" "$admin" 200000 8 100
