// The built Worker in the real workerd runtime (through Miniflare), answering HTTP on 127.0.0.1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { root, nativeVectors, mismatch, workerOptions } from "./harness.mjs";

const murmur3 = JSON.parse(readFileSync(join(root, "tests/suites/murmur3.json"), "utf8"));
let mf;
let base;

before(async () => {
  // The vectors carry the whole engine input: snapshot and "now" included. The tests write KV
  // directly and expect the next request to see it.
  mf = new Miniflare(workerOptions({ DECIDE_INLINE_INPUT: "trusted", BUNDLE_CHECK_MS: "0" }));
  base = await mf.ready;
});

after(async () => {
  await mf?.dispose();
});

test("the Worker answers /healthz", async () => {
  const response = await fetch(new URL("/healthz", base));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "ok" });
});

test("the Worker buckets units exactly as the vectors say", async () => {
  const cases = murmur3.cases.filter((c) => c.seed === 0 && c.input.startsWith("exp-42:"));
  assert.equal(cases.length, 2);
  for (const c of cases) {
    const unit = c.input.slice("exp-42:".length);
    const url = new URL(`/v1/bucket?seed=exp-42&unit=${encodeURIComponent(unit)}`, base);
    const body = await (await fetch(url)).json();
    assert.equal(body.bucket, c.murmur3_x86_32 % 10000, unit);
  }
});

test("the Worker rejects a bucket request without a unit", async () => {
  const response = await fetch(new URL("/v1/bucket?seed=exp-42", base));
  assert.equal(response.status, 400);
});

test("without a published bundle the Worker says so", async () => {
  const body = JSON.stringify({ request: { surfaces: ["web://shop.example/"] } });
  const response = await fetch(new URL("/v1/decide", base), { method: "POST", body });
  assert.equal(response.status, 503);
  assert.match(await response.text(), /no bundle has been published/);
});

test("the vectors' expectation matcher refuses what crates/core/tests/vectors.rs refuses", () => {
  const decision = { stateChanges: { assignments: { e: "a" } }, offers: [], reasons: [{ id: "x", outcome: "chosen" }], n: 1 };
  const pass = [
    { stateChanges: { assignments: { e: "a" } } },
    { offers: [], n: 1.0, missing: { $absent: true } },
    { reasons: { $contains: [{ id: "x" }] } },
    { reasons: [{ id: "x" }] }, // partial elements, the same length
  ];
  const fail = [
    { stateChanges: {} }, // `{}` is an empty object, not "anything"
    { offers: [{}] },
    { reasons: [] },
    { reasons: { $contains: [{ id: "y" }] } },
    { stateChanges: { $absent: true } },
    { n: "1" },
    { missing: null },
    { stateChanges: { assignments: {} } },
  ];
  assert.deepEqual(pass.map((e) => mismatch(e, decision)), pass.map(() => null));
  assert.deepEqual(fail.filter((e) => mismatch(e, decision) === null), []);
  assert.equal(mismatch({ stateChanges: {} }, decision), "/stateChanges: expected {}, found {\"assignments\":{\"e\":\"a\"}}");
});

test("every decisioning vector decides in workerd as its expectation says, byte for byte as natively", async () => {
  const vectors = nativeVectors();
  assert.ok(vectors.length >= 100, `only ${vectors.length} vectors`);
  const kv = await mf.getKVNamespace("BUNDLES");
  const mismatches = [];
  let published = null;
  for (const v of vectors) {
    if (published !== v.bundle) {
      await kv.put(`bundle:${v.file}`, v.bundle);
      await kv.put("revision", v.file);
      published = v.bundle;
    }
    const response = await fetch(new URL("/v1/decide", base), { method: "POST", body: v.input });
    assert.equal(response.status, 200, `${v.file}: ${v.name}`);
    const decision = await response.text();
    if (decision !== v.decision) mismatches.push({ name: `${v.file}: ${v.name}`, decision, native: v.decision });
    const why = mismatch(v.expect, JSON.parse(decision));
    if (why) mismatches.push({ name: `${v.file}: ${v.name}`, why });
  }
  assert.deepEqual(mismatches, []);
});

test("a bundle that does not compile is refused and the last good one keeps serving", async () => {
  const kv = await mf.getKVNamespace("BUNDLES");
  const shop = readFileSync(join(root, "tests/fixtures/shop/bundle.json"), "utf8");
  await kv.put("bundle:shop-good", shop);
  await kv.put("revision", "shop-good");
  const input = { now: 0, request: { surfaces: ["web://shop.example/"] } };
  const good = await fetch(new URL("/v1/decide", base), { method: "POST", body: JSON.stringify(input) });
  assert.equal((await good.json()).offers.length, 1);
  await kv.put("bundle:broken", JSON.stringify({ format: 1, id: "broken", activities: [{ id: "a" }] }));
  await kv.put("revision", "broken");
  const response = await fetch(new URL("/v1/decide", base), { method: "POST", body: JSON.stringify(input) });
  assert.equal(response.status, 200);
  const decision = await response.json();
  assert.equal(decision.offers.length, 1, "the previous (shop) bundle still decides");
});
