// The built browser package in a real headless Chromium, served by the real `waymark demo`.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root, startWaymark, launchChromium, nativeVectors, mismatch, wallClockDecisions } from "./harness.mjs";

// 2026-11-28T12:00:00Z: inside the gold sale, outside quiet hours.
const NOW = 1795867200000;
const murmur3 = JSON.parse(readFileSync(join(root, "tests/suites/murmur3.json"), "utf8"));
let server;
let browser;
let page;

before(async () => {
  server = await startWaymark(["demo", "--listen", "127.0.0.1:0"]);
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(new URL(`?now=${NOW}`, server.url).href);
  await page.waitForSelector("html[data-waymark=ready]");
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach(() => {
  assert.deepEqual(wallClockDecisions(), [], "a page decided with the wall clock");
});

test("a page deciding with the wall clock is seen (the check after each test would fail)", async () => {
  wallClockDecisions(); // what earlier pages reported
  const demo = await browser.newPage();
  await demo.goto(server.url); // no ?now=
  await demo.waitForSelector("html[data-waymark=ready]");
  await demo.close();
  const wall = wallClockDecisions();
  assert.ok(wall.length > 0 && wall.every((d) => d.clock === "wall"), JSON.stringify(wall));
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

test("the demo shop decides in the page through the SDK with the bundle and snapshot from the real API", async () => {
  const demo = await browser.newPage();
  // 2026-11-28T12:00:00Z: inside the gold sale, outside quiet hours.
  await demo.goto(new URL("?now=1795867200000", server.url).href);
  await demo.waitForSelector("html[data-waymark=ready]");
  const anonymousHero = await demo.textContent("#hero h1");
  assert.ok(!anonymousHero.includes("gold"), anonymousHero);
  assert.match(await demo.textContent("#cards"), /Welcome!/);

  await demo.selectOption("#who", "ann-gold");
  await demo.waitForFunction(() => document.querySelector("#hero h1").textContent.includes("Ann"));
  assert.equal(await demo.textContent("#hero h1"), "Hi Ann, your gold perks are waiting");
  assert.equal(await demo.getAttribute("#hero", "data-tier"), "gold");
  await demo.waitForFunction(() => document.querySelector("#offer").innerHTML.includes("Ann"));
  assert.equal(await demo.innerHTML("#offer"), "<b>15% off</b> for you, Ann");
  assert.match(await demo.textContent("#cards"), /Gold early access.*Welcome, Ann!/s);
  assert.equal(await demo.locator("iframe.waymark-inapp").count(), 0);

  await demo.fill("#cart", "60");
  await demo.click("#add");
  const frame = demo.frameLocator("iframe.waymark-inapp");
  await frame.locator("body").waitFor();
  assert.match(await frame.locator("body").textContent(), /Add €40\.00 more to ship for free\./);
  await demo.waitForFunction(() => document.querySelector("#why tbody").textContent.includes("inapp-cart"));
  const reasons = await demo.$$eval("#why tbody tr", (rows) => rows.map((r) => r.textContent));
  assert.ok(reasons.some((r) => r.startsWith("inapp-cartweb://shop.example/product/42chosen")), reasons.join("\n"));

  // Consent out: nothing personal.
  await frame.locator("button", { hasText: "Keep shopping" }).click();
  await demo.waitForSelector("iframe.waymark-inapp", { state: "detached" });
  await demo.selectOption("#who", "chloe-out");
  await demo.waitForFunction(() => document.querySelector("#why tbody").textContent.includes("consent"));
  assert.equal(await demo.textContent("#hero h1"), "Autumn collection");
  assert.equal(await demo.textContent("#offer"), "Join our newsletter for 10% off");
  await demo.close();
});

test("the wasm modules are served as application/wasm", async () => {
  for (const name of ["runtime_bg.wasm", "waymark_bg.wasm"]) {
    const response = await fetch(new URL(`/dist/wasm/${name}`, server.url));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/wasm");
  }
});

test("every decisioning vector decides in Chromium as its expectation says, byte for byte as natively", async () => {
  const vectors = nativeVectors();
  assert.ok(vectors.length >= 100, `only ${vectors.length} vectors`);
  const decided = await page.evaluate(async (vectors) => {
    // The full engine from JSON bundles, and the SDK's runtime from compiled ones.
    const full = await import("/dist/wasm/waymark.js");
    const runtime = await import("/dist/wasm/runtime.js");
    await Promise.all([full.default(), runtime.default()]);
    const bytes = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const engines = new Map();
    return vectors.map((v) => {
      if (!engines.has(v.bundle)) {
        engines.set(v.bundle, { full: new full.Engine(v.bundle), runtime: new runtime.Runtime(bytes(v.compiled)) });
      }
      const { full: f, runtime: r } = engines.get(v.bundle);
      return { full: f.decide(v.input), runtime: r.decide(v.input) };
    });
  }, vectors);
  const mismatches = [];
  for (const [i, v] of vectors.entries()) {
    for (const [which, decision] of Object.entries(decided[i])) {
      const name = `${v.file}: ${v.name} (${which})`;
      if (decision !== v.decision) mismatches.push({ name, decision, native: v.decision });
      const why = mismatch(v.expect, JSON.parse(decision));
      if (why) mismatches.push({ name, why });
    }
  }
  assert.deepEqual(mismatches, []);
});
