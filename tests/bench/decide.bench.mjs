// Decision cost in wasm under node, against the same generated bundles as the native criterion
// bench (crates/core/benches/decide.rs). Run after `bash scripts/build.sh www`:
//   node tests/bench/decide.bench.mjs
// The JSON input is serialised by JS and the decision parsed back each time: the boundary
// crossing a real host pays is included.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { initSync, Engine, compileBundle } from "../../www/dist/wasm/waymark.js";
import * as lean from "../../www/dist/wasm/runtime.js";

const root = join(import.meta.dirname, "../..");
initSync({ module: readFileSync(join(root, "www/dist/wasm/waymark_bg.wasm")) });
lean.initSync({ module: readFileSync(join(root, "www/dist/wasm/runtime_bg.wasm")) });

const PAGES = 100;
const PLACEMENTS = 200;

function bundle(activities, offers) {
  const acts = [];
  for (let i = 0; i < activities; i++) {
    const surface =
      i % 100 === 99 && i < 1000
        ? `web://shop.example/*#w${i}`
        : `web://shop.example/p${i % PAGES}#f${Math.floor(i / PAGES) % 3}`;
    const audience = [
      'profile.tier == "gold"',
      `context.cart.total > ${i % 200}`,
      '"sale" in profile.tags',
    ][i % 3];
    acts.push({
      id: `a${i}`,
      surfaces: [surface],
      audience,
      priority: i % 101,
      content: {
        channel: "web",
        actions: [{ selector: `#s${i % 7}`, type: "setText", content: `Hi {{profile.firstName}} #${i}` }],
      },
    });
  }
  const placements = [];
  const policies = [];
  for (let j = 0; j < PLACEMENTS; j++) {
    placements.push({ id: `pl${j}`, surface: `web://shop.example/p${j % PAGES}#o${Math.floor(j / PAGES)}` });
    policies.push({ id: `po${j}`, placement: `pl${j}`, top: 2 });
  }
  const offerList = [];
  for (let i = 0; i < offers; i++) {
    const offer = {
      id: `o${i}`,
      priority: i % 100,
      representations: { [`pl${i % PLACEMENTS}`]: { format: "text", content: `Offer ${i} for {{profile.firstName}}` } },
    };
    if (i % 2 === 0) offer.eligibility = `profile.points > ${i % 1000}`;
    offerList.push(offer);
  }
  return { format: 1, id: "bench", activities: acts, offers: offerList, placements, policies };
}

const input = {
  snapshot: {
    profileId: "visitor-42",
    attributes: { firstName: "Ada", tier: "gold", tags: ["sale", "new"], points: 420 },
    consent: { personalize: "in" },
  },
  context: { cart: { total: 120 }, page: { url: "https://shop.example/p1" } },
  now: 1795867200000,
  request: {
    surfaces: [0, 1, 2, 3, 4].map((k) => `web://shop.example/p${k}#f0`).concat([0, 1, 2, 3, 4].map((k) => `web://shop.example/p${k}#o0`)),
  },
};

function measure(fn, ms = 1500) {
  for (let i = 0; i < 200; i++) fn();
  const samples = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t = performance.now();
    for (let i = 0; i < 20; i++) fn();
    samples.push((performance.now() - t) / 20);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length / 2)] * 1000, p99: samples[Math.floor(samples.length * 0.99)] * 1000 };
}

// The full engine from the JSON bundle, and the browser SDK's runtime (built for size) from the
// compiled bundle, as the SDK loads it.
console.log("decide 10 surfaces in wasm (node " + process.version + ")");
for (const [activities, offers] of [[100, 1000], [1000, 10000], [10000, 10000]]) {
  const text = JSON.stringify(bundle(activities, offers));
  const compiled = compileBundle(text);
  const runs = [
    ["engine, JSON bundle", () => new Engine(text), `${(text.length / 1024).toFixed(0)} KB`],
    ["runtime, compiled bundle", () => new lean.Runtime(compiled), `${(compiled.length / 1024).toFixed(0)} KB`],
  ];
  for (const [name, load, size] of runs) {
    const t0 = performance.now();
    const engine = load();
    const loadMs = performance.now() - t0;
    const decision = JSON.parse(engine.decide(JSON.stringify(input)));
    if (!decision.propositions.length || !decision.offers.length) throw new Error("nothing decided");
    const { p50, p99 } = measure(() => JSON.parse(engine.decide(JSON.stringify(input))));
    console.log(
      `  ${String(activities).padStart(6)} activities, ${String(offers).padStart(6)} offers, ${name.padEnd(25)}: ` +
        `p50 ${p50.toFixed(1)} µs, p99 ${p99.toFixed(1)} µs (load ${loadMs.toFixed(0)} ms, ${size})`,
    );
    engine.free();
  }
}
