// The browser SDK on a site whose API is on another origin, in a real headless Chromium: the
// page and the SDK come from a small static server on one 127.0.0.1 port, the API is the real
// `waymark demo` on another, allowing the site's origin with `--cors-origin`. The SDK syncs
// (signatures verified, ETags revalidated), decides and sends events across origins, and a page
// left with events queued sends them with sendBeacon (or fetch keepalive when sendBeacon refuses),
// each counted once by the API, also when the next page load sends them again.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { join, normalize } from "node:path";
import { root, startWaymark, launchChromium, until, wallClockDecisions } from "./harness.mjs";

// 2026-11-28T12:00:00Z: inside the gold sale, outside quiet hours.
const NOW = 1795867200000;
let site; // the static site: www/dist at /dist/, the page at /shop.html
let siteUrl;
let api; // the demo API, on another port: another origin
let config;
let browser;

const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html; charset=utf-8" };

/** The site's page: the snippet loading /dist/loader.js from the site, the API elsewhere. */
function page() {
  const demo = readFileSync(join(root, "www/demo/index.html"), "utf8");
  const snippet = demo.match(/<script>([^<]*)<\/script>/)[1];
  const options = {
    api: new URL(api.url).origin,
    clientKey: config.clientKey,
    signingKey: "fetch",
    surfaces: ["web://shop.example/#offer"],
    placements: { "home-offer": "#offer" },
    consent: "in",
  };
  return `<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
<script>${snippet}</script>
<script>
  document.addEventListener("waymark:decision", () => (document.documentElement.dataset.decided = "yes"));
  waymark("configure", Object.assign(${JSON.stringify(options)}, {
    surface: function () { return "web://shop.example/product/42"; },
    now: function () { window.waymarkClock = "pinned"; return ${NOW}; },
  }));
</script></head>
<body><section id="hero"><h1>Autumn collection</h1></section><div id="offer">…</div></body></html>`;
}

before(async () => {
  site = createServer((request, response) => {
    const path = new URL(request.url, "http://site").pathname;
    if (path === "/shop.html") {
      response.writeHead(200, { "content-type": TYPES[".html"] });
      return response.end(page());
    }
    const file = normalize(join(root, "www", path));
    if (!path.startsWith("/dist/") || !file.startsWith(join(root, "www/dist")) || !existsSync(file)) {
      response.writeHead(404);
      return response.end();
    }
    response.writeHead(200, { "content-type": TYPES[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream" });
    response.end(readFileSync(file));
  });
  await new Promise((listening) => site.listen(0, "127.0.0.1", listening));
  siteUrl = `http://127.0.0.1:${site.address().port}`;
  api = await startWaymark(["demo", "--listen", "127.0.0.1:0", "--cors-origin", siteUrl]);
  assert.notEqual(new URL(api.url).origin, siteUrl);
  config = await (await fetch(new URL("config.json", api.url))).json();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await api?.stop();
  await new Promise((closed) => (site ? site.close(closed) : closed()));
});

afterEach(() => {
  assert.deepEqual(wallClockDecisions(), [], "a page decided with the wall clock");
});

/** A fresh context signed in as `profileId`, recording the SDK's errors in `window.__errors`. */
async function visit(profileId) {
  const context = await browser.newContext();
  const { token } = config.profiles.find((p) => p.id === profileId);
  await context.addInitScript(
    ([id, token]) => {
      localStorage.setItem("waymark:identity", JSON.stringify({ profileId: id, token }));
      window.__errors = [];
      document.addEventListener("waymark:error", (e) => window.__errors.push(String(e.detail)));
    },
    [profileId, token],
  );
  return { context, page: await context.newPage() };
}

/** The events the API has counted for `profileId` (its snapshot's counters), read from node. */
async function counted(profileId) {
  const { token } = config.profiles.find((p) => p.id === profileId);
  const response = await fetch(new URL(`/v1/profiles/${profileId}/snapshot`, api.url), {
    headers: { "x-waymark-key": config.clientKey, authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200);
  return (await response.json()).counters.items.reduce((n, item) => n + item.total, 0);
}

const queued = (page) => page.evaluate(() => JSON.parse(localStorage.getItem("waymark:queue") ?? "[]").map((e) => e.id));

test("with the API on another origin the SDK syncs, verifies, revalidates by ETag, decides and sends events", async () => {
  const before = await counted("ann-gold");
  const { context, page } = await visit("ann-gold");
  const responses = [];
  page.on("response", (r) => {
    const url = new URL(r.url());
    if (url.origin !== siteUrl) responses.push({ path: url.pathname, status: r.status(), etag: r.request().headers()["if-none-match"] });
  });
  await page.goto(`${siteUrl}/shop.html`);
  await page.waitForFunction(() => document.querySelector("#hero h1").textContent.startsWith("Hi Ann"));
  assert.equal(await page.textContent("#hero h1"), "Hi Ann, your gold perks are waiting");
  assert.equal(await page.innerHTML("#offer"), "<b>15% off</b> for you, Ann");
  // The ETags were readable across origins (exposed), so they were kept for revalidation.
  const etags = await page.evaluate(() => [localStorage.getItem("waymark:compiled"), localStorage.getItem("waymark:snapshot:ann-gold")].map((t) => JSON.parse(t).etag));
  assert.ok(etags.every((etag) => /^".+"$/.test(etag)), etags.join());

  // The displays reach the API across origins (a preflighted fetch with the key header).
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("waymark:queue") ?? "[]").length === 0, null, { timeout: 60000 });
  const sent = (await counted("ann-gold")) - before;
  assert.ok(sent >= 2, `${sent} events counted`);

  // Reloaded: the cached copies are revalidated with If-None-Match and the API answers 304.
  await page.reload();
  await page.waitForFunction(() => document.documentElement.dataset.decided === "yes");
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("waymark:queue") ?? "[]").length === 0, null, { timeout: 60000 });
  const bundle = responses.filter((r) => r.path === "/v1/bundle/compiled");
  assert.deepEqual(bundle.map((r) => r.status), [200, 304]);
  assert.equal(bundle[1].etag, etags[0]);
  // The snapshot changed with the events (its counters), but it was asked for with its ETag.
  const snapshot = responses.filter((r) => r.path.endsWith("/snapshot"));
  assert.equal(snapshot.length, 2);
  assert.equal(snapshot[1].etag, etags[1]);
  assert.equal(await page.textContent("#hero h1"), "Hi Ann, your gold perks are waiting");
  assert.deepEqual(await page.evaluate(() => window.__errors), []);
  assert.ok((await counted("ann-gold")) - before > sent, "the second view's events arrived too");
  await context.close();
});

test("events queued when the page is left go by sendBeacon and count once, also when the next load sends them again", async () => {
  const before = await counted("bob-silver");
  const { context, page } = await visit("bob-silver");
  // The SDK's fetches of events fail (the API is unreachable for them); beacons, whose URL
  // carries the key, are not intercepted.
  const isFetch = (url) => url.pathname === "/v1/events" && !url.search;
  const fetched = new Map(); // event id → times sent by fetch
  let fetchUp = false;
  await context.route(isFetch, async (route) => {
    for (const e of route.request().postDataJSON().events) fetched.set(e.id, (fetched.get(e.id) ?? 0) + 1);
    return fetchUp ? route.continue() : route.abort("connectionrefused");
  });
  // Playwright does not report beacons: the page records what it hands to sendBeacon.
  await context.addInitScript(() => {
    const send = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = (url, body) => {
      const sent = JSON.parse(localStorage.getItem("test:beacons") ?? "[]");
      localStorage.setItem("test:beacons", JSON.stringify([...sent, { url, body, type: typeof body }]));
      return send(url, body);
    };
  });

  await page.goto(`${siteUrl}/shop.html`);
  await page.waitForFunction(() => document.documentElement.dataset.decided === "yes");
  await page.evaluate(() => waymark("sendEvent", { name: "wishlist" }));
  await page.evaluate(() => waymark("sendEvent", { name: "wishlist" }));
  const left = await queued(page);
  assert.ok(left.length >= 3, `${left.length} queued`);

  // Leaving the page: pagehide hands the queue to sendBeacon, the only way out (fetch fails).
  await page.goto("about:blank");
  await until(async () => (await counted("bob-silver")) - before >= left.length, "the beaconed events counted");
  assert.equal((await counted("bob-silver")) - before, left.length, "each queued event counted once");

  // The beaconed events were never acknowledged, so they are still queued; the next page load
  // sends them again by fetch and the API counts none of them twice.
  fetchUp = true;
  fetched.clear();
  await page.goto(`${siteUrl}/shop.html`);
  const beacons = await page.evaluate(() => JSON.parse(localStorage.getItem("test:beacons")));
  assert.ok(beacons.length >= 1, "a beacon was sent");
  const key = encodeURIComponent(config.clientKey);
  assert.ok(beacons.every((b) => b.url === `${new URL(api.url).origin}/v1/events?key=${key}` && b.type === "string"));
  const beaconed = beacons.flatMap((b) => JSON.parse(b.body).events.map((e) => e.id));
  assert.deepEqual(beaconed.sort(), [...left].sort(), "each queued event beaconed once");

  await page.waitForFunction(() => document.documentElement.dataset.decided === "yes");
  await page.waitForFunction((ids) => !JSON.parse(localStorage.getItem("waymark:queue") ?? "[]").some((e) => ids.includes(e.id)), left, { timeout: 60000 });
  assert.ok(left.every((id) => fetched.has(id)), "every beaconed event was sent again by fetch");
  await page.evaluate(() => waymark("flush"));
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("waymark:queue") ?? "[]").length === 0, null, { timeout: 60000 });
  const all = new Set([...beaconed, ...fetched.keys()]);
  assert.equal((await counted("bob-silver")) - before, all.size, "every event counted exactly once");
  assert.ok(all.size > left.length, "the second view's events arrived too");
  await context.close();
});

test("when sendBeacon refuses, the queue goes by fetch keepalive as the page is left", async () => {
  const before = await counted("eve-new");
  const { context, page } = await visit("eve-new");
  // sendBeacon refuses (as over its budget), and the SDK's event fetches fail until the page is
  // left. (Not with Playwright's routing: it drops keepalive requests of a page being left.)
  await context.addInitScript(() => {
    navigator.sendBeacon = () => false;
    window.__failEvents = true;
    const fetch = window.fetch;
    window.fetch = (url, init) =>
      window.__failEvents && String(url).endsWith("/v1/events") ? Promise.reject(new TypeError("down")) : fetch(url, init);
  });
  await page.goto(`${siteUrl}/shop.html`);
  await page.waitForFunction(() => document.documentElement.dataset.decided === "yes");
  await page.evaluate(() => waymark("sendEvent", { name: "wishlist" }));
  const left = await queued(page);
  assert.ok(left.length >= 2, `${left.length} queued`);
  await page.waitForFunction(() => window.__errors.some((e) => e.includes("down"))); // tried, failed
  assert.equal(await counted("eve-new"), before);
  await page.evaluate(() => (window.__failEvents = false));
  await page.goto("about:blank");
  await until(async () => (await counted("eve-new")) - before >= left.length, "the keepalive events counted");
  assert.equal((await counted("eve-new")) - before, left.length, "each queued event counted once");
  await context.close();
});
