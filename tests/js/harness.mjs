// Shared test harness: starts the real `waymark` binary and a real headless Chromium, both on
// loopback, and cleans up after them.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

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

/** Every decisioning vector with the native engine's decision (`waymark vectors`). */
export function nativeVectors() {
  const out = execFileSync(waymarkBin, ["vectors", join(root, "tests/vectors")], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(out);
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
