// The built Worker in the real workerd runtime (through Miniflare), answering HTTP on 127.0.0.1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { root } from "./harness.mjs";

const murmur3 = JSON.parse(readFileSync(join(root, "tests/suites/murmur3.json"), "utf8"));
let mf;
let base;

before(async () => {
  mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    cf: false,
    compatibilityDate: "2026-07-01",
    modules: true,
    modulesRoot: join(root, "edge/build"),
    scriptPath: join(root, "edge/build/entry.mjs"),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
  });
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
