// Engine benchmark: the built browser package (www/dist) in node, against the JS libraries the
// issue compares with. Not part of scripts/test.sh; run after `bash scripts/build.sh www`:
//
//   node tests/bench/engine.bench.mjs [seconds-per-case]
//
// (a) 20 JsonLogic audience rules over one profile: json-logic-js `jsonLogic.apply` (20 calls on
//     the JS object) vs `ConditionSet.evaluateAll` (one call; the data crosses as JSON text,
//     stringified every iteration, or reused) and `evaluateAllData` (data parsed once).
// (b) a hero, a card feed (loop) and a subject line: mustache.js `Mustache.render` (cache warm)
//     vs `TemplateSet.renderAll` (one call, data stringified every iteration).
// Both sides are checked to give the same results before anything is timed.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import jsonLogic from "json-logic-js";
import Mustache from "mustache";
import { initSync, ConditionSet, Data, TemplateSet } from "../../www/dist/wasm/waymark.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
initSync({ module: readFileSync(`${root}www/dist/wasm/waymark_bg.wasm`) });
const seconds = Number(process.argv[2] ?? 3); // per case, over all rounds
const NOW = Date.parse("2026-03-05T14:30:00Z");

// A realistic visitor: profile attributes, loyalty, consent, recent events, cart, page context.
const events = [];
for (let i = 0; i < 30; i++) {
  events.push({
    type: ["page_view", "product_view", "add_to_cart", "purchase", "email_click"][i % 5],
    sku: `SKU-${1000 + (i % 7)}`,
    category: ["shoes", "jackets", "bags"][i % 3],
    value: (i * 17) % 230,
    ts: NOW - i * 3_600_000 * 7,
  });
}
const data = {
  profile: {
    id: "u-5c1f0a",
    firstName: "Maria",
    lastName: "Gonzalez",
    email: "maria.gonzalez@example.com",
    country: "ES",
    language: "es",
    age: 34,
    gender: "f",
    tier: "gold",
    loyalty: { points: 4820, tier: "gold", memberSince: "2019-04-12" },
    consent: { email: true, sms: false, push: true },
    segments: ["high_value", "outdoor", "newsletter", "app_user"],
    ltv: 2380.5,
    orders: 17,
    lastPurchaseDaysAgo: 12,
    churnScore: 0.18,
    preferredCategories: ["shoes", "jackets"],
  },
  context: {
    page: { type: "category", category: "shoes", url: "https://shop.example/es/shoes" },
    device: { type: "mobile", os: "iOS", appVersion: "5.4.1" },
    geo: { country: "ES", city: "Madrid" },
    utm: { source: "newsletter", campaign: "spring-sale" },
    hour: 14,
    weekday: 4,
  },
  cart: {
    total: 189.9,
    currency: "EUR",
    items: [
      { sku: "SKU-1001", name: "Trail runner", category: "shoes", price: 129.9, qty: 1 },
      { sku: "SKU-2040", name: "Wool socks", category: "accessories", price: 12, qty: 5 },
    ],
  },
  events,
};

const v = (name) => ({ var: name });
const rules = [
  { "==": [v("profile.loyalty.tier"), "gold"] },
  { and: [{ "==": [v("profile.country"), "ES"] }, { ">": [v("cart.total"), 100] }] },
  { in: ["high_value", v("profile.segments")] },
  { "<": [v("profile.churnScore"), 0.3] },
  { or: [{ "==": [v("context.device.type"), "mobile"] }, { "==": [v("context.device.type"), "tablet"] }] },
  { "!": [v("profile.consent.sms")] },
  { and: [{ ">=": [v("profile.age"), 25] }, { "<=": [v("profile.age"), 44] }] },
  { some: [v("cart.items"), { "==": [v("category"), "shoes"] }] },
  { ">": [{ reduce: [v("cart.items"), { "+": [v("accumulator"), { "*": [v("current.price"), v("current.qty")] }] }, 0] }, 150] },
  { in: ["shoes", v("context.page.url")] },
  { "==": [v("context.utm.source"), "newsletter"] },
  { ">": [{ reduce: [{ filter: [v("events"), { "==": [v("type"), "purchase"] }] }, { "+": [v("accumulator"), 1] }, 0] }, 3] },
  { some: [v("events"), { and: [{ "==": [v("type"), "add_to_cart"] }, { ">": [v("value"), 100] }] }] },
  { "<=": [v("profile.lastPurchaseDaysAgo"), 30] },
  { and: [{ ">=": [v("context.hour"), 9] }, { "<": [v("context.hour"), 21] }] },
  { "!": [{ in: [v("context.geo.country"), ["US", "GB", "FR"]] }] },
  { ">": [v("profile.loyalty.points"), 5000] },
  { all: [v("cart.items"), { ">": [v("qty"), 0] }] },
  { "==": [{ substr: [v("profile.email"), -12] }, "@example.com"] },
  { if: [{ ">": [v("profile.ltv"), 2000] }, { "!=": [v("profile.consent.email"), false] }, false] },
];

// (b) templates in the common Mustache subset, so both engines render the same text.
const templates = {
  hero: `<section class="hero">
  <h1>Hola {{profile.firstName}}!</h1>
  {{#profile.loyalty}}<p class="badge">{{tier}} member: {{points}} points</p>{{/profile.loyalty}}
  {{^profile.consent.sms}}<p>Get offers by text message.</p>{{/profile.consent.sms}}
  <a class="cta" href="{{{context.page.url}}}">Shop {{context.page.category}}</a>
</section>`,
  feed: `<ul class="cards">
{{#cards}}
  <li class="card{{#featured}} featured{{/featured}}">
    <img src="{{{image}}}" alt="{{title}}">
    <h3>{{title}}</h3>
    <p>{{description}}</p>
    <span class="price">{{price}} {{currency}}</span>{{#badge}} <em>{{badge}}</em>{{/badge}}
  </li>
{{/cards}}
</ul>`,
  subject: `{{profile.firstName}}, your {{cart.items.0.name}} is waiting ({{cart.total}} {{cart.currency}})`,
};
const cards = [];
for (let i = 0; i < 12; i++) {
  cards.push({
    title: `Trail runner ${i} "Sierra" & co`,
    description: "Light, grippy and made for rocky trails. Free returns within 30 days.",
    image: `https://cdn.example/img/p${i}.jpg`,
    price: 99 + i * 5,
    currency: "EUR",
    featured: i % 4 === 0,
    badge: i % 3 === 0 ? "New <3" : null,
  });
}
const view = { ...data, cards };

// The machine may be shared: cases run interleaved in short rounds and report the median.
const ROUNDS = 7;
function opsPerSecond(fn, secs) {
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(secs * 1e9));
  let now = start;
  while (now < end) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - start) / 1e9);
}
function benchAll(cases) {
  for (const [, fn] of cases) for (let i = 0; i < 300; i++) fn(); // warm up
  const samples = cases.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    cases.forEach(([, fn], i) => samples[i].push(opsPerSecond(fn, seconds / ROUNDS)));
  }
  return cases.map(([name], i) => {
    const sorted = samples[i].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const lo = Math.round(sorted[0]).toLocaleString("en-US");
    const hi = Math.round(sorted.at(-1)).toLocaleString("en-US");
    const shown = Math.round(median).toLocaleString("en-US").padStart(10);
    console.log(`  ${name.padEnd(52)} ${shown} ops/s  (range ${lo}..${hi})`);
    return median;
  });
}
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

// (a) conditions
const set = new ConditionSet();
for (const r of rules) set.addJsonLogic(JSON.stringify(r));
const expected = rules.map((r) => (jsonLogic.truthy(jsonLogic.apply(r, data)) ? 1 : 0));
assert.deepEqual(Array.from(set.evaluateAll(JSON.stringify(data), NOW)), expected);
assert.ok(expected.includes(0) && expected.includes(1));
const dataJson = JSON.stringify(data);
console.log(`(a) ${rules.length} JsonLogic rules over one profile (${dataJson.length} bytes of JSON); one op = all rules`);
const parsed = new Data(dataJson);
const [jl, ws, wr, wd] = benchAll([
  [
    "json-logic-js jsonLogic.apply x20",
    () => {
      let m = 0;
      for (const r of rules) if (jsonLogic.truthy(jsonLogic.apply(r, data))) m++;
      return m;
    },
  ],
  ["ConditionSet.evaluateAll(JSON.stringify(data))", () => set.evaluateAll(JSON.stringify(data), NOW)],
  ["ConditionSet.evaluateAll(reused data string)", () => set.evaluateAll(dataJson, NOW)],
  ["ConditionSet.evaluateAllData(data parsed once)", () => set.evaluateAllData(parsed, NOW)],
]);
console.log(
  `  ratio vs json-logic-js: ${ratio(ws, jl)} (stringify each time), ${ratio(wr, jl)} (reused string), ` +
    `${ratio(wd, jl)} (parsed once); goal >= 5x`,
);

// (b) templates
const ts = new TemplateSet();
for (const [name, src] of Object.entries(templates)) ts.add(name, src);
const names = Object.keys(templates);
for (const src of Object.values(templates)) Mustache.parse(src);
const mustacheAll = () => names.map((n) => Mustache.render(templates[n], view));
assert.deepEqual(ts.renderAll(JSON.stringify(view), NOW), mustacheAll());
const viewJson = JSON.stringify(view);
console.log(`(b) hero, card feed (${cards.length} cards), subject line; one op = all three`);
const parsedView = new Data(viewJson);
const [mu, ts1, ts2, ts3] = benchAll([
  ["mustache.js Mustache.render x3 (cache warm)", mustacheAll],
  ["TemplateSet.renderAll(JSON.stringify(data))", () => ts.renderAll(JSON.stringify(view), NOW)],
  ["TemplateSet.renderAll(reused data string)", () => ts.renderAll(viewJson, NOW)],
  ["TemplateSet.renderAllData(data parsed once)", () => ts.renderAllData(parsedView, NOW)],
]);
console.log(
  `  ratio vs mustache.js: ${ratio(ts1, mu)} (stringify each time), ${ratio(ts2, mu)} (reused string), ` +
    `${ratio(ts3, mu)} (parsed once); goal >= 3x`,
);
