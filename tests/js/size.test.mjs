// The browser SDK's size budget: what a page downloads (the inline snippet, loader.js with the
// wasm glue, the runtime's wasm), each file gzip -9 as `waymark serve` sends it, summed. Lower
// BUDGET when the total goes down; a change that goes over it fails here, with the figures.
// scripts/size-report.mjs prints the same parts after every build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const root = join(import.meta.dirname, "../..");
const dist = join(root, "www/dist");
const BUDGET = 178_500;
// Built against the stock std (no size-optimised std on the machine, see README "Building each
// target"), the runtime is about 16 KB gzip bigger: allowed, and said.
const STOCK_STD_ALLOWANCE = 17_000;

test(`the page's download fits the budget (${BUDGET} B gzip all-in)`, () => {
  const parts = ["snippet.min.js", "loader.js", "wasm/runtime_bg.wasm"].map((file) => {
    const path = join(dist, file);
    assert.ok(existsSync(path), `${path}: not built`);
    return [file, gzipSync(readFileSync(path), { level: 9 }).length];
  });
  const total = parts.reduce((sum, [, size]) => sum + size, 0);
  const std = existsSync(join(root, ".tmp/runtime-std")) ? readFileSync(join(root, ".tmp/runtime-std"), "utf8").trim() : "unknown";
  const budget = std === "stock" ? BUDGET + STOCK_STD_ALLOWANCE : BUDGET;
  const figures = `${parts.map(([file, size]) => `${file} ${size} B`).join(" + ")} = ${total} B (runtime std: ${std})`;
  if (std === "stock") console.log(`the runtime was built against the stock std: budget ${budget} B`);
  assert.ok(total <= budget, `over the budget of ${budget} B gzip: ${figures}`);
  console.log(figures);
});
