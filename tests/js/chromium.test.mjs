// The built browser package in a real headless Chromium, served by the real `waymark demo`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root, startWaymark, launchChromium, nativeVectors } from "./harness.mjs";

const murmur3 = JSON.parse(readFileSync(join(root, "tests/suites/murmur3.json"), "utf8"));
let server;
let browser;
let page;

before(async () => {
  server = await startWaymark(["demo", "--listen", "127.0.0.1:0"]);
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForSelector("html[data-waymark=ready]");
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the murmur3 vectors pass in Chromium", async () => {
  const results = await page.evaluate(async (cases) => {
    const sdk = await import("/dist/index.js");
    return Promise.all(cases.map((c) => sdk.murmur3(c.input, c.seed)));
  }, murmur3.cases);
  assert.equal(results.length, 14);
  assert.deepEqual(
    results,
    murmur3.cases.map((c) => c.murmur3_x86_32),
  );
});

test("conditions and templates run through the SDK in Chromium", async () => {
  const out = await page.evaluate(async () => {
    const { Condition, ConditionSet, TemplateSet } = await import("/dist/index.js");
    const data = { profile: { tier: "gold", name: "Ana" }, cart: { total: 120 } };
    const c = await Condition.fromText('profile.tier == "gold" and cart.total > 100');
    const set = await ConditionSet.create([
      "cart.total > 200",
      { jsonLogic: { "==": [{ var: "profile.tier" }, "gold"] } },
    ]);
    const t = await TemplateSet.create({
      templates: { hi: "Hi {{profile.name}}{{#if cart.total > 100}}!{{/if}}" },
    });
    let error;
    try {
      await Condition.fromText("a == ()");
    } catch (e) {
      error = e.message;
    }
    return {
      matches: c.matches(data, 0),
      all: Array.from(set.evaluateAll(JSON.stringify(data), 0)),
      text: t.renderAll(data, 0),
      error,
    };
  });
  assert.deepEqual(out, {
    matches: true,
    all: [0, 1],
    text: ["Hi Ana!"],
    error: "error: expected an expression, found `)`\n --> 1:7\n  |\n1 | a == ()\n  |       ^",
  });
});

test("the demo page shows the visitor's bucket computed by the engine", async () => {
  const visitor = await page.textContent("#visitor");
  const shown = Number(await page.textContent("#bucket"));
  const expected = await page.evaluate(
    async (id) => (await import("/dist/index.js")).bucket("hero-test", id),
    visitor,
  );
  assert.ok(shown >= 0 && shown < 10000);
  assert.equal(shown, expected);
  const hero = await page.textContent("#hero h1");
  assert.equal(hero.includes("Winter"), shown >= 5000);
});

test("the wasm module is served as application/wasm", async () => {
  const response = await fetch(new URL("/dist/wasm/waymark_bg.wasm", server.url));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/wasm");
});

test("every decisioning vector decides in Chromium byte for byte as natively", async () => {
  const vectors = nativeVectors();
  assert.ok(vectors.length >= 100, `only ${vectors.length} vectors`);
  const mismatches = await page.evaluate(async (vectors) => {
    const wasm = await import("/dist/wasm/waymark.js");
    await wasm.default();
    const engines = new Map();
    const out = [];
    for (const v of vectors) {
      if (!engines.has(v.bundle)) engines.set(v.bundle, new wasm.Engine(v.bundle));
      const decision = engines.get(v.bundle).decide(v.input);
      if (decision !== v.decision) out.push({ name: `${v.file}: ${v.name}`, decision, expected: v.decision });
    }
    return out;
  }, vectors);
  assert.deepEqual(mismatches, []);
});
