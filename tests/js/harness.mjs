// Shared test harness: starts the real `waymark` binary and a real headless Chromium, both on
// loopback, and cleans up after them.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

export const root = resolve(import.meta.dirname, "../..");
export const waymarkBin = process.env.WAYMARK_BIN ?? join(root, "target/debug/waymark");

/** Starts `waymark <args>` and resolves with the first http:// URL it prints, plus a stop(). */
export async function startWaymark(args) {
  const child = spawn(waymarkBin, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const [url, line] = await new Promise((resolveUrl, reject) => {
    child.once("exit", (code) => reject(new Error(`waymark ${args[0]} exited with ${code}`)));
    lines.on("line", (line) => {
      const match = line.match(/https?:\/\/\S+/);
      if (match) resolveUrl([match[0], line]);
    });
  });
  return {
    url,
    /** The whole line the URL was printed on. */
    line,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once("exit", done);
        child.kill("SIGTERM");
      }),
  };
}

/**
 * Every decisioning vector with the native engine's decision (`waymark vectors`) and the
 * vector's own expectation (`expect`, from its file: `waymark vectors` lists every file's cases
 * in order, the files sorted by name).
 */
export function nativeVectors() {
  const dir = join(root, "tests/vectors");
  const out = JSON.parse(execFileSync(waymarkBin, ["vectors", dir], { maxBuffer: 256 * 1024 * 1024 }));
  const cases = readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .flatMap((name) => JSON.parse(readFileSync(join(dir, name), "utf8")).cases.map((c) => ({ file: name.slice(0, -5), ...c })));
  if (cases.length !== out.length) throw new Error(`waymark vectors gave ${out.length} cases, the files hold ${cases.length}`);
  return out.map((v, i) => {
    const c = cases[i];
    if (c.file !== v.file || c.name !== v.name) throw new Error(`vector ${i}: ${v.file}: ${v.name} is ${c.file}: ${c.name} in the files`);
    if (c.expect === undefined) throw new Error(`${c.file}: ${c.name} has no expectation`);
    return { ...v, expect: c.expect };
  });
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const text = (v) => (v === undefined ? "nothing" : JSON.stringify(v));

/**
 * Why `actual` does not match the vector expectation `expected` (null when it does), with the
 * semantics of crates/core/tests/vectors.rs: an object matches when each of its keys matches,
 * and `{}` only an empty object; an array when it has the same length and each element matches;
 * `{"$contains": [...]}` when each listed element matches some element of the array;
 * `{"$absent": true}` a missing key; numbers by value, everything else by equality.
 */
export function mismatch(expected, actual, at = "") {
  if (isObject(expected) && expected.$absent === true) {
    return actual === undefined ? null : `${at}: expected nothing, found ${text(actual)}`;
  }
  if (isObject(expected) && "$contains" in expected && Array.isArray(actual)) {
    for (const [i, wanted] of expected.$contains.entries()) {
      if (!actual.some((item) => mismatch(wanted, item, at) === null)) {
        return `${at}: no element matches $contains[${i}] = ${text(wanted)}`;
      }
    }
    return null;
  }
  if (isObject(expected) && isObject(actual)) {
    const keys = Object.keys(expected);
    if (keys.length === 0 && Object.keys(actual).length > 0) return `${at}: expected {}, found ${text(actual)}`;
    for (const key of keys) {
      const why = mismatch(expected[key], actual[key], `${at}/${key}`);
      if (why) return why;
    }
    return null;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) {
      return `${at}: expected ${expected.length} elements, found ${actual.length}: ${text(actual)}`;
    }
    for (const [i, e] of expected.entries()) {
      const why = mismatch(e, actual[i], `${at}/${i}`);
      if (why) return why;
    }
    return null;
  }
  if (expected === actual) return null;
  return `${at}: expected ${text(expected)}, found ${text(actual)}`;
}

/**
 * Resolves once `check()` (sync or async) is truthy; rejects with `what` if it is not within
 * `ms` (generous: the limit is for a hang, not a measure of speed).
 */
export async function until(check, what, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(50);
  }
}

/**
 * Pages that decided with the wall clock, since the last call: each browser context this
 * harness creates reports every decision (`waymark:decision`) with the clock the page says the
 * SDK read (`window.waymarkClock`, set in the demo page's `now` function, "pinned" for
 * `?now=`). A decision with no such report counts as the wall clock's. Test files check it
 * after each test: no test decides with the wall clock.
 */
export function wallClockDecisions() {
  return decidedWith.splice(0).filter((d) => d.clock !== "pinned");
}
const decidedWith = [];

async function watchClock(context) {
  await context.exposeBinding("__waymarkDecided", ({ frame }, clock) => {
    decidedWith.push({ url: frame.url(), clock });
  });
  await context.addInitScript(() => {
    document.addEventListener("waymark:decision", () => window.__waymarkDecided(String(window.waymarkClock ?? "wall")));
  });
}

/** Launches headless Chromium kept on loopback (see ../shared toolchain notes). */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  const scratch = mkdtempSync(join(tmpdir(), "waymark-chromium-"));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/lib/chromium/chromium",
    env: { ...process.env, TMPDIR: scratch },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ],
  });
  // Every context watches which clock its pages decide with (see wallClockDecisions).
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    await watchClock(context);
    return context;
  };
  browser.newPage = async (options) => {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    // Closing the browser closes the page, and then the context is already gone: that
    // rejection is expected, and left unhandled it fails whichever test hook opened the page.
    page.once("close", () => context.close().catch(() => {}));
    return page;
  };
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    rmSync(scratch, { recursive: true, force: true });
  };
  return browser;
}

/** Miniflare options for the built Worker (edge/build) on 127.0.0.1, with its KV namespaces. */
export function workerOptions(bindings) {
  return {
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
    kvNamespaces: ["BUNDLES", "SNAPSHOTS", "OUTBOX"],
    bindings,
  };
}
