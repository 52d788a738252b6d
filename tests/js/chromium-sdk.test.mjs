// The browser SDK (snippet + www/dist) in a real headless Chromium against the real `waymark
// demo` API on 127.0.0.1: personalisation, anti-flicker, SPA navigations, cards, in-app
// frequency, exactly-once event delivery, a strict CSP, a webview bridge and the edge contract.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { root, startWaymark, launchChromium, until, wallClockDecisions } from "./harness.mjs";

// 2026-11-28T12:00:00Z: inside the gold sale, outside quiet hours. Every page decides with the
// demo's pinned clock (`?now=`), which starts here and runs on; the check after each test
// fails if a page decided with the wall clock.
const NOW = 1795867200000;
let server; // the demo with the sample bundle
let once; // the demo with the in-app message shown once
let fixtures;
let browser;
let config;

before(async () => {
  fixtures = mkdtempSync(join(tmpdir(), "waymark-sdk-fixtures-"));
  const bundle = JSON.parse(readFileSync(join(root, "tests/fixtures/shop/bundle.json"), "utf8"));
  const inapp = bundle.activities.find((a) => a.id === "inapp-cart");
  inapp.content.frequency = { show: "once" };
  const shipping = bundle.offers.find((o) => o.id === "offer-shipping"); // the demo's cart qualifies
  shipping.representations["home-offer"] = { format: "image", url: "/demo/img/welcome.svg", alt: "Free shipping over €50" };
  // Content the site renders itself: a code-based experience and a JSON offer.
  bundle.activities.push({
    id: "code-banner",
    surfaces: ["web://shop.example/*#banner"],
    content: { channel: "code", format: "json", content: { headline: "Winter picks for {{profile.firstName}}" } },
  });
  bundle.placements.push({ id: "recs", surface: "web://shop.example/product/42#recs" });
  bundle.offers.push({ id: "recs-scarf", representations: { recs: { format: "json", content: { sku: "scarf-1", title: "Scarf" } } } });
  bundle.policies.push({ id: "recs-policy", placement: "recs" });
  writeFileSync(join(fixtures, "bundle.json"), JSON.stringify(bundle));
  copyFileSync(join(root, "tests/fixtures/shop/profiles.ndjson"), join(fixtures, "profiles.ndjson"));
  server = await startWaymark(["demo", "--listen", "127.0.0.1:0"]);
  once = await startWaymark(["demo", "--listen", "127.0.0.1:0", "--fixtures", fixtures]);
  browser = await launchChromium();
  config = await (await fetch(new URL("config.json", server.url))).json();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await once?.stop();
  rmSync(fixtures, { recursive: true, force: true });
});

afterEach(() => {
  assert.deepEqual(wallClockDecisions(), [], "a page decided with the wall clock");
});

const at = (s, path = "") => new URL(`${path}?now=${NOW}`, s.url).href;

/** A fresh browser context (empty storage and cache), signed in as `profileId` if given. */
async function visit(s, { profileId, options, init } = {}) {
  const context = await browser.newContext(options);
  if (profileId) {
    const profiles = (await (await fetch(new URL("config.json", s.url))).json()).profiles;
    const { token } = profiles.find((p) => p.id === profileId);
    await context.addInitScript(
      ([id, token]) => localStorage.setItem("waymark:identity", JSON.stringify({ profileId: id, token })),
      [profileId, token],
    );
  }
  if (init) await context.addInitScript(init);
  return { context, page: await context.newPage() };
}

const ready = (page) => page.waitForSelector("html[data-waymark=ready]");
const decisions = (page) => page.evaluate(() => Number(document.documentElement.dataset.decisions));
const inlineSnippet = (html) => html.match(/<script>([^<]*)<\/script>/)[1];

test("the snippet is the built one and under 1 KB gzip", async () => {
  const built = readFileSync(join(root, "www/dist/snippet.min.js"), "utf8").trim();
  const html = readFileSync(join(root, "www/demo/index.html"), "utf8");
  assert.equal(inlineSnippet(html), built);
  assert.ok(gzipSync(built, { level: 9 }).length <= 1024);
});

test("two profiles see the demo personalised differently (hero, A/B test, offer, cards)", async () => {
  const seen = {};
  for (const id of ["ann-gold", "bob-silver"]) {
    const { context, page } = await visit(server, { profileId: id });
    await page.goto(at(server));
    await ready(page);
    await page.waitForFunction(() => !document.querySelector("#offer").textContent.includes("…"));
    seen[id] = {
      hero: await page.textContent("#hero h1"),
      tier: await page.getAttribute("#hero", "data-tier"),
      offer: await page.innerHTML("#offer"),
      cards: await page.$$eval("#cards li h3", (h) => h.map((e) => e.textContent)),
      assignment: await page.evaluate(() => JSON.parse(localStorage.getItem("waymark:state")).assignments),
    };
    await context.close();
  }
  assert.deepEqual(seen["ann-gold"], {
    hero: "Hi Ann, your gold perks are waiting",
    tier: "gold",
    offer: "<b>15% off</b> for you, Ann",
    cards: ["Gold early access", "Welcome, Ann!"],
    // Bucket 545 of hero-autumn (murmur3 of "hero-autumn:ann-gold"): under 1000, the holdout.
    assignment: { "hero-autumn": "holdout" },
  });
  // The A/B test: Bob's bucket is 8334 (murmur3 of "hero-autumn:bob-silver"), past the 1000 of
  // the holdout at 81% of the rest: coats (control has the first 50%). His assignment is kept.
  assert.deepEqual(seen["bob-silver"], {
    hero: "Winter is coming: 20% off coats",
    tier: null,
    offer: "Free shipping over €50",
    cards: ["Welcome, Bob!"],
    assignment: { "hero-autumn": "coats" },
  });
});

// Records every text the hero's heading shows while visible, from before any page script.
function recordHero() {
  window.__heroSeen = [];
  const look = () => {
    const h = document.querySelector("#hero h1");
    if (h && getComputedStyle(h).visibility !== "hidden" && window.__heroSeen.at(-1) !== h.textContent) {
      window.__heroSeen.push(h.textContent);
    }
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  const frame = () => {
    look();
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

test("no flash of the original hero, cold cache and warm, and SPA navigations re-decide without one", async () => {
  // The page hides its personalised parts until the SDK has decided, for at most the snippet's
  // and the SDK's timeout (1 s): raised here, so that a loaded machine cannot show the original
  // by running out of it.
  const slowMachine = (html) =>
    html.replace('"#hero h1,#offer",1e3)', '"#hero h1,#offer",60000)').replace('consent: "in",', 'timeout: 60000, consent: "in",');
  const edited = slowMachine(await (await fetch(server.url)).text());
  assert.ok(edited.includes('"#hero h1,#offer",60000)') && edited.includes("timeout: 60000,"), "both timeouts raised");
  const { context, page } = await visitPage(server, slowMachine, { profileId: "ann-gold", init: recordHero });
  const personal = "Hi Ann, your gold perks are waiting";
  await page.waitForFunction(() => window.__heroSeen.length > 0);
  assert.deepEqual(await page.evaluate(() => window.__heroSeen), [personal], "cold cache");

  await page.reload();
  await ready(page);
  await page.waitForFunction(() => window.__heroSeen.length > 0);
  assert.deepEqual(await page.evaluate(() => window.__heroSeen), [personal], "warm cache");

  // The SPA re-renders the hero with its original text after pushState; the SDK decides for
  // the new URL and personalises it again, the original never showing.
  const before = await decisions(page);
  await page.evaluate(() => (window.__heroSeen = []));
  await page.click("a[href='?view=collection']");
  await page.waitForFunction((n) => Number(document.documentElement.dataset.decisions) > n, before);
  await page.waitForFunction(() => document.querySelector("#why tbody").textContent.includes("collection#hero"));
  await page.waitForFunction(() => window.__heroSeen.length > 0);
  assert.deepEqual(await page.evaluate(() => window.__heroSeen), [personal], "after pushState");
  assert.equal(await page.getAttribute("#hero", "data-tier"), "gold");
  await page.goBack();
  await page.waitForFunction((n) => Number(document.documentElement.dataset.decisions) > n + 1, before);
  await context.close();
});

test("an image offer renders as an image with its alt text", async () => {
  const { context, page } = await visit(once);
  await page.goto(at(once));
  await page.waitForSelector("#offer img");
  const img = await page.$eval("#offer img", (e) => ({ src: e.getAttribute("src"), alt: e.alt, siblings: e.parentElement.childNodes.length }));
  assert.deepEqual(img, { src: "/demo/img/welcome.svg", alt: "Free shipping over €50", siblings: 1 });
  assert.doesNotMatch(await page.textContent("#offer"), /object Object/);
  await context.close();
});

test("code-based experiences and JSON offers: the site renders them from propositions, and their events count", async () => {
  const onceConfig = await (await fetch(new URL("config.json", once.url))).json();
  const { token } = onceConfig.profiles.find((p) => p.id === "bob-silver");
  const counted = async () => {
    const response = await fetch(new URL("/v1/profiles/bob-silver/snapshot", once.url), {
      headers: { "x-waymark-key": onceConfig.clientKey, authorization: `Bearer ${token}` },
    });
    const items = (await response.json()).counters.items;
    return Object.fromEntries(items.map((i) => [`${i.event} ${i.target}`, i.total]));
  };
  const before = await counted();
  const { context, page } = await visit(once, { profileId: "bob-silver" });
  await page.goto(at(once));
  const got = await page.evaluate(async () => {
    const events = [];
    waymark("on", "event", (e) => events.push(e));
    const [banner] = await waymark("propositions", { surface: "#banner" });
    const [rec, ...more] = await waymark("propositions", { placement: "recs" });
    waymark("displayed", banner);
    waymark("displayed", banner); // once per page view
    waymark("displayed", rec);
    waymark("clicked", rec);
    await waymark("flush");
    return {
      banner: banner.content,
      rec: { format: rec.format, content: rec.content, placementId: rec.placementId, more: more.length },
      none: (await waymark("propositions", { surface: "web://shop.example/product/42#nothing" })).length,
      events: events
        .filter((e) => ["code-banner", "recs-scarf"].includes(e.activityId ?? e.offerId))
        .map((e) => [e.type, e.activityId ?? e.offerId, e.placementId ?? null, e.decisionId === waymark.sdk.decision.decisionId]),
    };
  });
  assert.deepEqual(got.banner, { channel: "code", format: "json", content: { headline: "Winter picks for Bob" } });
  assert.deepEqual(got.rec, { format: "json", content: { sku: "scarf-1", title: "Scarf" }, placementId: "recs", more: 0 });
  assert.equal(got.none, 0);
  assert.deepEqual(got.events, [
    ["display", "code-banner", null, true],
    ["display", "recs-scarf", "recs", true],
    ["click", "recs-scarf", "recs", true],
  ]);
  await until(async () => {
    const now = await counted();
    const more = (key) => (now[key] ?? 0) - (before[key] ?? 0);
    return more("display code-banner") === 1 && more("display recs-scarf") === 1 && more("click recs-scarf") === 1;
  }, "the central counters count each event once");
  await context.close();
});

test("the default card UI brings its stylesheet and shows a card's dark-mode image in dark mode", async () => {
  for (const [colorScheme, image] of [["dark", "/demo/img/sale-dark.svg"], ["light", "/demo/img/sale.svg"]]) {
    const { context, page } = await visit(server, { profileId: "ann-gold", options: { colorScheme } });
    await page.goto(at(server));
    await ready(page);
    const card = "#cards li[data-card-id=card-gold-sale]";
    await page.waitForFunction((s) => document.querySelector(`${s} img`)?.complete, card);
    assert.equal(new URL(await page.$eval(`${card} img`, (i) => i.currentSrc)).pathname, image, colorScheme);
    // cards.css is linked first in <head> (the demo's own rules come after it) and applies.
    assert.ok(await page.evaluate(() => document.head.querySelector("link").href.endsWith("/cards.css")));
    assert.equal(await page.$eval(card, (li) => getComputedStyle(li).position), "relative");
    await context.close();
  }
});

test("cards render with the default UI and a dismissal survives a reload", async () => {
  // The pinned clock starts an hour after NOW (still in the sale), later than the events earlier
  // tests sent for Ann to this API, and runs on: the dismissal comes after everything the API
  // has counted (its snapshot's watermark), so it counts locally until the API has it too.
  const { context, page } = await visit(server, { profileId: "ann-gold" });
  await page.goto(new URL(`?now=${NOW + 3600000}`, server.url).href);
  await ready(page);
  await page.waitForSelector("#cards li[data-card-id=card-gold-sale] .waymark-card__dismiss");
  const headless = await page.evaluate(() => waymark.sdk.cards.list().map((c) => [c.id, c.read]));
  assert.deepEqual(headless, [["card-gold-sale", false], ["card-welcome", false]]);
  await page.click("#cards li[data-card-id=card-gold-sale] .waymark-card__dismiss");
  await page.waitForSelector("#cards li[data-card-id=card-gold-sale]", { state: "detached" });
  await page.evaluate(() => waymark.sdk.cards.markRead("card-welcome"));
  await page.reload();
  await ready(page);
  await page.waitForSelector("#cards li");
  assert.deepEqual(await page.$$eval("#cards li", (l) => l.map((e) => [e.dataset.cardId, e.className])), [
    ["card-welcome", "waymark-card waymark-card--smallImage waymark-card--read waymark-card--link"],
  ]);
  await context.close();
});

test("an in-app message with frequency once appears once, also across a reload", async () => {
  const { context, page } = await visit(once, { profileId: "bob-silver" });
  await page.goto(at(once));
  await ready(page);
  await page.click("#add");
  const frame = page.frameLocator("iframe.waymark-inapp");
  await frame.locator("button", { hasText: "Keep shopping" }).click();
  await page.waitForSelector("iframe.waymark-inapp", { state: "detached" });
  await page.click("#add");
  await page.waitForFunction(() => document.querySelector("#why tbody").textContent.includes("shown once"));
  assert.equal(await page.locator("iframe").count(), 0);
  await page.reload();
  await ready(page);
  const n = await decisions(page);
  await page.click("#add");
  await page.waitForFunction((n) => Number(document.documentElement.dataset.decisions) > n, n);
  assert.match(await page.textContent("#why tbody"), /shown once/);
  assert.equal(await page.locator("iframe").count(), 0);
  await context.close();
});

test("an in-app message is an accessible dialog: labelled, a close control, Escape, focus kept inside and returned, sized to fit", async () => {
  const { context, page } = await visit(server);
  await page.goto(at(server));
  await ready(page);
  await page.evaluate(() => {
    window.__events = [];
    waymark("on", "event", (e) => window.__events.push(`${e.type}:${e.activityId ?? e.name}`));
  });
  await page.focus("#add");
  await page.keyboard.press("Enter"); // add to cart, from the keyboard
  const dialog = page.locator("[role=dialog]");
  await dialog.waitFor();
  assert.deepEqual(
    await dialog.evaluate((d) => [d.getAttribute("aria-modal"), d.getAttribute("aria-label"), d.querySelector("button").getAttribute("aria-label")]),
    ["true", "You're close to free shipping", "Close"],
  );
  // Focus moves into the message, to its first button.
  await page.waitForFunction(() => document.activeElement?.classList.contains("waymark-inapp"));
  const frame = page.frameLocator("iframe.waymark-inapp");
  await until(() => frame.locator("button:focus").count().then((n) => n === 1), "the first button has focus");
  assert.equal(await frame.locator("button:focus").textContent(), "Keep shopping");
  // The frame is as tall as its content, not a fixed box.
  const height = await page.$eval("iframe.waymark-inapp", (f) => f.getBoundingClientRect().height);
  const content = await frame.locator("html").evaluate((h) => h.scrollHeight);
  assert.ok(Math.abs(height - content) <= 1, `${height} vs ${content}`);
  // Escape (pressed inside the frame) closes it as a dismissal, and focus goes back.
  await page.keyboard.press("Escape");
  await page.waitForSelector("iframe.waymark-inapp", { state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement?.id), "add");
  // Again: Tab past the last control comes back into the message; the close control closes it.
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.activeElement?.classList.contains("waymark-inapp"));
  await page.focus(".waymark-inapp-close");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.className), "waymark-inapp waymark-inapp--modal waymark-inapp--center");
  await page.click(".waymark-inapp-close");
  await page.waitForSelector("[role=dialog]", { state: "detached" });
  const events = await page.evaluate(() => window.__events.filter((e) => e.endsWith(":inapp-cart")));
  assert.deepEqual(events, ["display:inapp-cart", "dismiss:inapp-cart", "display:inapp-cart", "dismiss:inapp-cart"]);
  await context.close();
});

test("nothing is sent before tracking consent; then the queued events are", async () => {
  const init = () => {
    localStorage.setItem("waymark:consent", JSON.stringify({ personalize: "in", track: "pending" }));
    window.__queued = 0;
    window.__posted = 0;
    document.addEventListener("waymark:event", () => window.__queued++);
    const fetch = window.fetch;
    window.fetch = (url, init) => (String(url).endsWith("/v1/events") && window.__posted++, fetch(url, init));
  };
  const { context, page } = await visit(server, { init });
  const posts = [];
  page.on("request", (r) => r.url().endsWith("/v1/events") && posts.push(r.postDataJSON()));
  await page.goto(at(server));
  await ready(page);
  await page.waitForFunction(() => window.__queued > 0);
  // A flush calls fetch before it returns when tracking is allowed (the batching timer calls the
  // same flush): here it must not.
  assert.equal(await page.evaluate(() => (waymark("flush"), window.__posted)), 0);
  assert.equal(posts.length, 0);
  const queued = await page.evaluate(() => window.__queued); // kept in memory, not stored
  assert.ok(queued > 0);
  assert.equal(await page.evaluate(() => localStorage.getItem("waymark:queue")), null);
  const sent = page.waitForResponse((r) => r.url().endsWith("/v1/events") && r.ok());
  await page.evaluate(() => waymark("consent", "in"));
  await sent;
  assert.equal(posts[0].events.length, queued);
  await context.close();
});

test("events reach the API exactly once across a lost response, an outage and a reload", async () => {
  const { token } = config.profiles.find((p) => p.id === "eve-new");
  const centralTotal = async () => {
    const response = await fetch(new URL("/v1/profiles/eve-new/snapshot", server.url), {
      headers: { "x-waymark-key": config.clientKey, authorization: `Bearer ${token}` },
    });
    return (await response.json()).counters.items.reduce((n, item) => n + item.total, 0);
  };
  const before = await centralTotal();
  const { context, page } = await visit(server, { profileId: "eve-new" });
  const ids = new Map(); // event id → times it was posted
  let mode = "lose-response";
  let refused = 0; // posts while the API is down
  await context.route("**/v1/events", async (route) => {
    for (const e of route.request().postDataJSON().events) ids.set(e.id, (ids.get(e.id) ?? 0) + 1);
    if (mode === "down") refused++;
    if (mode === "lose-response") {
      await route.fetch(); // the API stores the batch, the answer never arrives
      mode = "down";
      return route.abort("connectionreset");
    }
    if (mode === "down") return route.abort("connectionrefused");
    return route.continue();
  });
  await page.goto(at(server));
  await ready(page);
  await page.evaluate(() => waymark("sendEvent", { name: "wishlist" }));
  const queue = () => page.evaluate(() => JSON.parse(localStorage.getItem("waymark:queue") ?? "[]").map((e) => e.id));
  // The first batch is stored but its answer lost; then the API is down: every queued event
  // gets tried (and stays queued).
  await until(async () => {
    const queued = await queue();
    return mode === "down" && queued.length > 0 && queued.every((id) => ids.has(id));
  }, "every queued event tried");
  await page.reload(); // the queue, with its ids, survives
  await page.evaluate(() => waymark("sendEvent", { name: "wishlist" }));
  await ready(page);
  const tried = refused;
  await until(() => refused > tried, "the reloaded page tries its queue while the API is down");
  mode = "up";
  await page.evaluate(() => waymark("flush"));
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("waymark:queue")).length === 0, null, {
    timeout: 60000,
  });
  assert.ok([...ids.values()].some((n) => n > 1), "some events were posted more than once");

  // The central counters count each event once.
  const total = (await centralTotal()) - before;
  assert.equal(total, ids.size);
  await context.close();
});

test("the demo works under a strict CSP (inline scripts allowed by their hashes) with no violation", async () => {
  // The snippet and the site's inline set-up are allowed by their hashes; nothing else inline.
  const html = await (await fetch(new URL("strict", server.url))).text();
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash("sha256").update(m[1]).digest("base64")}'`,
  );
  assert.equal(hashes.length, 2);
  const csp = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval' ${hashes.join(" ")}; connect-src 'self'; style-src 'self'`;
  const init = () => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  };
  const { context, page } = await visit(server, { profileId: "ann-gold", init });
  const response = await page.goto(at(server, "strict")); // `waymark demo` sends the policy
  assert.equal(response.headers()["content-security-policy"], csp);
  await ready(page);
  assert.equal(await page.textContent("#hero h1"), "Hi Ann, your gold perks are waiting");
  await page.click("#add");
  const frame = page.frameLocator("iframe.waymark-inapp");
  await frame.locator("button", { hasText: "Keep shopping" }).click(); // the frame's script runs
  await page.waitForSelector("iframe.waymark-inapp", { state: "detached" });
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  await context.close();
});

test("in a mobile webview the native bridge hands in identity and receives events and deep links", async () => {
  const { token } = config.profiles.find((p) => p.id === "ann-gold");
  const options = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 };
  const { context, page } = await visit(once, { options });
  const { profiles } = await (await fetch(new URL("config.json", once.url))).json();
  await context.addInitScript(
    ([token]) => {
      window.__native = [];
      window.webkit = { messageHandlers: { waymark: { postMessage: (m) => window.__native.push(m) } } };
      window.WaymarkNative = { profileId: "ann-gold", token, consent: "in", context: { app: "ios" } };
    },
    [profiles.find((p) => p.id === "ann-gold").token ?? token],
  );
  await page.goto(at(once));
  await ready(page);
  assert.equal(await page.textContent("#hero h1"), "Hi Ann, your gold perks are waiting");
  await page.tap("#add");
  const frame = page.frameLocator("iframe.waymark-inapp");
  await frame.locator("button", { hasText: "Checkout" }).click();
  await page.waitForFunction(() => window.__native.some((m) => m.type === "deepLink"));
  const native = await page.evaluate(() => window.__native);
  const events = native.filter((m) => m.type === "event").map((m) => `${m.event.type}:${m.event.activityId ?? m.event.name}`);
  assert.ok(events.includes("display:hero-gold"), events.join());
  assert.ok(events.includes("display:inapp-cart"), events.join());
  assert.ok(events.includes("click:inapp-cart"), events.join());
  assert.ok(events.includes("custom:addToCart"), events.join());
  assert.deepEqual(native.find((m) => m.type === "deepLink"), { type: "deepLink", url: "/checkout" });
  assert.equal(new URL(page.url()).pathname, "/demo/"); // the app, not the webview, follows it
  await context.close();
});

test("an edge decision in the page is used for the first view, then the SDK decides on SPA navigations", async () => {
  // On the second demo (a fresh API): Ann's counters there hold no earlier test's events.
  const config = await (await fetch(new URL("config.json", once.url))).json();
  const server = once;
  const { token } = config.profiles.find((p) => p.id === "ann-gold");
  const key = { "x-waymark-key": config.clientKey };
  const snapshot = await (
    await fetch(new URL("/v1/profiles/ann-gold/snapshot", server.url), { headers: { ...key, authorization: `Bearer ${token}` } })
  ).json();
  const bundle = await (await fetch(new URL("/v1/bundle", server.url), { headers: key })).text();
  // What the Worker does: decide with the same engine, apply the hero, leave the rest.
  const wasm = await import(join(root, "www/dist/wasm/waymark.js"));
  wasm.initSync({ module: readFileSync(join(root, "www/dist/wasm/waymark_bg.wasm")) });
  const decision = new wasm.Engine(bundle).decide(
    JSON.stringify({
      snapshot,
      context: { cart: { total: 60 } },
      state: {},
      now: NOW,
      request: { surfaces: ["web://shop.example/product/42", "web://shop.example/#offer"], event: null },
    }),
  );
  const surface = "web://shop.example/product/42#hero";
  const script = `<script type="application/json" id="waymark-edge-decision">${JSON.stringify({
    decision: JSON.parse(decision),
    applied: [{ surface, activityId: "hero-gold" }],
    visitorId: "anon-edgeEdgeEdgeEdgeEdgeEdge",
    nonce: "c0ffee",
  }).replace(/</g, "\\u003c")}</script>`;
  const html = (await (await fetch(server.url)).text())
    .replace("<h1>Autumn collection</h1>", "<h1>Hi Ann (rendered at the edge)</h1>")
    .replace('class="hero"', 'class="hero" data-tier="gold"')
    .replace('consent: "in",', 'edge: true, consent: "in",') // the site opts in
    .replace("</head>", `${script}\n</head>`);
  const init = () => {
    window.__events = [];
    document.addEventListener("waymark:event", (e) => window.__events.push(e.detail));
  };
  const { context, page } = await visit(server, { profileId: "ann-gold", init });
  await page.route("**/demo/edge*", (route) =>
    route.fulfill({ status: 200, headers: { "content-type": "text/html", ...edgeTiming("c0ffee") }, body: html }),
  );
  await page.goto(at(server, "edge"));
  await ready(page);
  await page.waitForFunction(() => document.querySelector("#offer").innerHTML.includes("15%"));
  assert.equal(await page.evaluate(() => waymark.sdk.decision.decisionId), JSON.parse(decision).decisionId);
  assert.equal(await page.textContent("#hero h1"), "Hi Ann (rendered at the edge)"); // not applied again
  assert.deepEqual(await page.$$eval("#cards li h3", (h) => h.map((e) => e.textContent)), ["Gold early access", "Welcome, Ann!"]);
  await page.waitForFunction(() => window.__events.length >= 4);
  const displays = await page.evaluate(() =>
    window.__events.filter((e) => e.type === "display").map((e) => e.activityId ?? e.offerId).sort(),
  );
  // hero-test: Ann's exposure as held out of its experiment (the edge's decision says so too).
  assert.deepEqual(displays, ["card-gold-sale", "card-welcome", "hero-gold", "hero-test", "offer-gold-15"]);

  const n = await decisions(page);
  await page.click("a[href='?view=collection']");
  await page.waitForFunction((n) => Number(document.documentElement.dataset.decisions) > n, n);
  await page.waitForFunction(() => document.querySelector("#hero h1").textContent === "Hi Ann, your gold perks are waiting");
  assert.notEqual(await page.evaluate(() => waymark.sdk.decision.decisionId), JSON.parse(decision).decisionId);
  await context.close();

  // The edge's list at the end of the page says its `#hero h1` action matched nothing there
  // (the origin's HTML has no such element yet): the SDK applies that action itself, and only it.
  // A list in the page's content without the decision's nonce, claiming everything, is ignored.
  const unmatched = html
    .replace("<h1>Hi Ann (rendered at the edge)</h1>", "<h1>Autumn collection</h1>")
    .replace("<main>", '<main><script type="application/json" id="waymark-edge-matched" data-nonce="guess">[[0,0],[0,1],[0,2]]</script>')
    .replace("</body>", '</body><script type="application/json" id="waymark-edge-matched" data-nonce="c0ffee">[[0,1],[0,2]]</script>');
  assert.ok(unmatched.includes('data-nonce="guess"'), "the demo page has a <main>");
  const second = await visit(server, { profileId: "ann-gold", init });
  await second.page.route("**/demo/edge*", (route) =>
    route.fulfill({ status: 200, headers: { "content-type": "text/html", ...edgeTiming("c0ffee") }, body: unmatched }),
  );
  await second.page.goto(at(server, "edge"));
  await ready(second.page);
  await second.page.waitForFunction(() => document.querySelector("#hero h1").textContent === "Hi Ann, your gold perks are waiting");
  assert.equal(await second.page.evaluate(() => waymark.sdk.decision.decisionId), JSON.parse(decision).decisionId);
  await second.page.waitForFunction(() => window.__events.some((e) => e.type === "display" && e.activityId === "hero-gold"));
  await second.context.close();
});

/** The header by which the edge hands the SDK its response's nonce. */
const edgeTiming = (nonce) => ({ "server-timing": `waymark-edge;desc="${nonce}"` });
const EDGE_NONCE = "0123456789abcdef0123456789abcdef";
/** An edge decision (`{decision, ...}`) as JSON text safe inside HTML, with the nonce visitPage's header gives. */
const edgeJson = (decision) => JSON.stringify({ decision: { stateChanges: {}, offers: [], reasons: [], ...decision }, nonce: EDGE_NONCE }).replace(/</g, "\\u003c");
const edgeScript = (decision) => `<script type="application/json" id="waymark-edge-decision">${edgeJson(decision)}</script>`;
const webProposition = (activityId, actions) => ({ activityId, surface: "web://shop.example/product/42#hero", content: { channel: "web", actions } });
const errorsAndEvents = () => {
  window.__errors = [];
  window.__events = [];
  document.addEventListener("waymark:error", (e) => window.__errors.push(String(e.detail?.message ?? e.detail)));
  document.addEventListener("waymark:event", (e) => window.__events.push(e.detail));
};

/** Visits the demo page `edit(html)` returns, served at /demo/page. */
async function visitPage(s, edit, opts = {}) {
  const html = edit(await (await fetch(s.url)).text());
  const visited = await visit(s, { init: errorsAndEvents, ...opts });
  await visited.page.route("**/demo/page*", (route) =>
    route.fulfill({ status: 200, headers: { "content-type": "text/html", ...edgeTiming(EDGE_NONCE) }, body: html }),
  );
  await visited.page.goto(at(s, "page"));
  await ready(visited.page);
  return visited;
}

test("an edge decision is read only from a JSON script in <head>, and only when the site opts in", async () => {
  const fake = edgeJson({
    decisionId: "fake",
    propositions: [webProposition("fake", [{ selector: "#hero h1", type: "setHtml", content: '<img src="x" onerror="window.__xss = 1">' }])],
  });
  const optIn = (html) => html.replace('consent: "in",', 'edge: true, consent: "in",');
  const cases = {
    "a <div> and a <script> in the body": (html) =>
      optIn(html).replace(
        "<main>",
        `<main><div id="waymark-edge-decision">${fake}</div><script type="application/json" id="waymark-edge-decision">${fake}</script>`,
      ),
    "a <script> in <head> without edge: true": (html) => html.replace("</head>", `${edgeScript({ decisionId: "fake", propositions: JSON.parse(fake).decision.propositions })}</head>`),
  };
  for (const [name, edit] of Object.entries(cases)) {
    const { context, page } = await visitPage(server, edit, { profileId: "ann-gold" });
    assert.notEqual(await page.evaluate(() => waymark.sdk.decision.decisionId), "fake", name);
    assert.equal(await page.textContent("#hero h1"), "Hi Ann, your gold perks are waiting", name);
    assert.equal(await page.evaluate(() => window.__xss), undefined, name);
    await context.close();
  }
});

test("an action with an invalid selector is reported; the rest renders, the page unhides", async () => {
  const decision = {
    decisionId: "edge-bad-selector",
    propositions: [
      webProposition("bad", [{ selector: "#hero h1[[", type: "setText", content: "never" }]),
      webProposition("good", [{ selector: "#offer", type: "setText", content: "from the edge" }]),
    ],
  };
  const edit = (html) => html.replace('consent: "in",', 'edge: true, consent: "in",').replace("</head>", `${edgeScript(decision)}</head>`);
  const { context, page } = await visitPage(server, edit);
  assert.equal(await page.evaluate(() => waymark.sdk.decision.decisionId), "edge-bad-selector");
  assert.equal(await page.textContent("#offer"), "from the edge");
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector("#hero h1")).visibility), "visible");
  assert.ok((await page.evaluate(() => window.__errors)).some((e) => /#hero h1\[\[/.test(e)));
  assert.equal(await page.locator("#waymark-edge-decision").count(), 0); // read once, removed
  await context.close();
});

test("refreshes, repeated consent and identify, and a stripped query string do not count displays again", async () => {
  const { token } = config.profiles.find((p) => p.id === "ann-gold");
  const { context, page } = await visit(server, { profileId: "ann-gold", init: errorsAndEvents });
  await page.goto(`${at(server)}&utm_source=news`);
  await ready(page);
  const exposures = () => page.evaluate(() => window.__events.filter((e) => e.variantId === "holdout").map((e) => e.activityId));
  const shownIds = () => page.evaluate(() => window.__events.filter((e) => e.type === "display" && e.variantId !== "holdout").map((e) => e.activityId ?? e.offerId).sort());
  const displays = async () => (await shownIds()).length;
  // Each proposition and offer of Ann's page view is displayed once: her hero, an offer (which
  // one depends on the offers' caps, and so on earlier tests), her cards (the gold sale's only
  // if an earlier test did not dismiss it).
  const all = await page.evaluate(() => {
    const { propositions, offers } = waymark.sdk.decision;
    return [...propositions.map((p) => p.activityId), ...offers.flatMap((o) => o.items.map((i) => i.offerId))].sort();
  });
  assert.ok(all.includes("hero-gold") && all.includes("card-welcome") && all.some((id) => id.startsWith("offer-")), all.join());
  await until(async () => (await displays()) >= all.length, "the first view's displays");
  assert.deepEqual(await shownIds(), all);
  // Ann is held out of hero-autumn: shown nothing from it, she is counted, once, and her local
  // history keeps no display of it (it counts towards no cap).
  await until(async () => (await exposures()).length > 0, "the holdout's exposure");
  assert.deepEqual(await exposures(), ["hero-test"]);
  const kept = await page.evaluate(() => JSON.parse(localStorage.getItem("waymark:state")).events ?? []);
  assert.ok(!kept.some((e) => e.variant === "holdout"), JSON.stringify(kept));
  const shown = all.length;
  const n = await decisions(page);
  await page.evaluate(() => history.replaceState(null, "", location.href.replace(/&utm_source=news/, "")));
  // Each command's promise settles after any decision it causes (and the count of decisions
  // is updated as each one is made).
  await page.evaluate(() => waymark("consent", "in"));
  await page.evaluate((token) => waymark("identify", { profileId: "ann-gold", token }), token);
  assert.equal(await decisions(page), n, "no decision again");
  await page.evaluate(() => waymark("refresh")); // decides again, the same page view
  assert.equal(await decisions(page), n + 1);
  assert.equal(await displays(), shown, "nothing counted again");
  assert.equal((await exposures()).length, 1, "no exposure counted again");
  await page.click("a[href='?view=collection']"); // a navigation: a new page view
  await page.waitForFunction((n) => Number(document.documentElement.dataset.decisions) > n + 1, n);
  await until(async () => (await displays()) > shown, "the new page view's displays");
  await context.close();
});

test("signing out (identify null) removes the profile's cached snapshot and decides anonymously", async () => {
  const { context, page } = await visit(server, { profileId: "ann-gold", init: errorsAndEvents });
  await page.goto(at(server));
  await ready(page);
  assert.equal(await page.textContent("#hero h1"), "Hi Ann, your gold perks are waiting");
  assert.ok(await page.evaluate(() => localStorage.getItem("waymark:snapshot:ann-gold")));
  const n = await decisions(page);
  await page.evaluate(() => waymark("identify", null));
  await page.waitForFunction((n) => Number(document.documentElement.dataset.decisions) > n, n);
  const left = await page.evaluate(() => [localStorage.getItem("waymark:snapshot:ann-gold"), localStorage.getItem("waymark:identity")]);
  assert.deepEqual(left, [null, null]);
  const won = await page.evaluate(() => waymark.sdk.decision.propositions.map((p) => p.activityId));
  assert.ok(!won.includes("hero-gold"), won.join());
  await context.close();
});

test("a cached copy this SDK cannot read (an earlier version's JSON bundle) is dropped and the bundle fetched", async () => {
  const { context, page } = await visit(server, { profileId: "ann-gold", init: errorsAndEvents });
  await page.goto(at(server));
  await ready(page);
  await page.evaluate(() => {
    const cached = JSON.parse(localStorage.getItem("waymark:compiled"));
    localStorage.setItem("waymark:compiled", JSON.stringify({ ...cached, body: '{"format": 1, "id": "old"}' }));
    localStorage.setItem("waymark:bundle", JSON.stringify({ ...cached, body: '{"format": 1}' }));
  });
  await page.reload();
  await ready(page);
  assert.equal(await page.textContent("#hero h1"), "Hi Ann, your gold perks are waiting");
  const stored = await page.evaluate(() => [localStorage.getItem("waymark:bundle"), JSON.parse(localStorage.getItem("waymark:compiled")).body.slice(0, 4)]);
  assert.deepEqual(stored, [null, btoa("WMB")]); // a compiled bundle again
  await context.close();
});

test("a cached bundle is verified when read: a tampered copy is discarded and a fresh one fetched", async () => {
  const { context, page } = await visit(server, { profileId: "ann-gold", init: errorsAndEvents });
  await page.goto(at(server));
  await ready(page);
  await page.evaluate(() => {
    // The compiled bundle is cached in base64; the same text, changed, at the same length.
    const cached = JSON.parse(localStorage.getItem("waymark:compiled"));
    const binary = atob(cached.body);
    assert(binary.includes("your gold perks are waiting"));
    cached.body = btoa(binary.replace("your gold perks are waiting", "you have been hacked!!!!!!!"));
    localStorage.setItem("waymark:compiled", JSON.stringify(cached)); // young: used at once unless checked
    function assert(ok) {
      if (!ok) throw new Error("the cached bundle does not hold the hero's text");
    }
  });
  await page.reload();
  await ready(page);
  assert.equal(await page.textContent("#hero h1"), "Hi Ann, your gold perks are waiting");
  assert.ok((await page.evaluate(() => window.__errors)).some((e) => /cached copy's signature does not verify/.test(e)));
  await page.waitForFunction(() => localStorage.getItem("waymark:compiled") && !atob(JSON.parse(localStorage.getItem("waymark:compiled")).body).includes("hacked"));
  // Revalidated (304) copies keep their signature: later reads still verify. (A decision waits
  // for both cached copies to be read, so any complaint about them comes before it.)
  for (let i = 0; i < 2; i++) {
    await page.reload();
    await ready(page);
    assert.deepEqual((await page.evaluate(() => window.__errors)).filter((e) => /cached copy/.test(e)), []);
  }
  await context.close();
});

test("nothing is stored before consent; what consent out refuses is removed", async () => {
  const stored = (page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("waymark:")).sort());
  const { context, page } = await visitPage(server, (html) => html.replace('consent: "in",', 'consent: "pending",'));
  await page.evaluate(() => waymark("sendEvent", { name: "wishlist" }));
  assert.deepEqual(await stored(page), []);
  await page.evaluate(() => waymark("consent", "in"));
  const kept = await stored(page);
  for (const k of ["waymark:id", "waymark:state", "waymark:consent"]) assert.ok(kept.includes(k), kept.join());
  assert.ok(kept.some((k) => k.startsWith("waymark:snapshot:")), kept.join());
  await page.evaluate(() => waymark("consent", "out"));
  const left = await stored(page);
  assert.ok(!left.some((k) => /^waymark:(id|state|queue|snapshot:.*)$/.test(k)), left.join());
  await context.close();
});

test("on an edge page, an in-app message shown once is not shown again: local state decides", async () => {
  const dir = mkdtempSync(join(tmpdir(), "waymark-sdk-edge-once-"));
  const bundle = JSON.parse(readFileSync(join(root, "tests/fixtures/shop/bundle.json"), "utf8"));
  const inapp = bundle.activities.find((a) => a.id === "inapp-cart");
  inapp.content.trigger = { on: "pageView" };
  inapp.content.frequency = { show: "once" };
  writeFileSync(join(dir, "bundle.json"), JSON.stringify(bundle));
  copyFileSync(join(root, "tests/fixtures/shop/profiles.ndjson"), join(dir, "profiles.ndjson"));
  const s = await startWaymark(["demo", "--listen", "127.0.0.1:0", "--fixtures", dir]);
  try {
    const key = { "x-waymark-key": (await (await fetch(new URL("config.json", s.url))).json()).clientKey };
    const text = await (await fetch(new URL("/v1/bundle", s.url), { headers: key })).text();
    // The edge decides without this browser's state: the message is in its decision every time.
    const wasm = await import(join(root, "www/dist/wasm/waymark.js"));
    wasm.initSync({ module: readFileSync(join(root, "www/dist/wasm/waymark_bg.wasm")) });
    const request = { surfaces: ["web://shop.example/product/42", "web://shop.example/#offer"], event: null };
    const input = { snapshot: { profileId: "anon-edgeEdgeEdgeEdgeEdgeEdge", consent: { personalize: "in", track: "in" } }, context: { cart: { total: 60 } }, state: {}, now: NOW, request };
    const decision = JSON.parse(new wasm.Engine(text).decide(JSON.stringify(input)));
    assert.ok(decision.propositions.some((p) => p.content?.channel === "inApp"), "the edge decided the message");
    const edit = (html) => html.replace('consent: "in",', 'edge: true, consent: "in",').replace("</head>", `${edgeScript(decision)}</head>`);
    const { context, page } = await visitPage(s, edit);
    await page.waitForSelector("iframe.waymark-inapp");
    await page.reload();
    await ready(page); // the decision event comes after its in-app messages were shown
    assert.equal(await page.locator("iframe.waymark-inapp").count(), 0);
    await context.close();
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an API that does not answer times out: the error is reported and the page shows its defaults", async () => {
  const edit = (html) => html.replace('consent: "in",', 'fetchTimeout: 300, consent: "in",');
  const html = edit(await (await fetch(server.url)).text());
  const { context, page } = await visit(server, { init: errorsAndEvents });
  await page.route("**/v1/bundle/compiled", () => {}); // never answered
  await page.route("**/demo/page*", (route) => route.fulfill({ status: 200, headers: { "content-type": "text/html" }, body: html }));
  await page.goto(at(server, "page"));
  await page.waitForFunction(() => window.__errors.some((e) => /timed out/i.test(e)));
  await page.waitForFunction(() => getComputedStyle(document.querySelector("#hero h1")).visibility === "visible");
  assert.equal(await page.textContent("#hero h1"), "Autumn collection");
  await context.close();
});

test("consent out in one tab applies in the others: they store nothing more", async () => {
  // This listener is added before the SDK's, so the SDK has handled a storage event once this
  // one has seen it (listeners run in order, in one task).
  const init = () => {
    window.__consentChanges = 0;
    addEventListener("storage", (e) => e.key === "waymark:consent" && window.__consentChanges++);
  };
  const { context, page } = await visit(server, { init });
  await page.goto(at(server));
  await ready(page);
  const other = await context.newPage();
  await other.goto(at(server));
  await ready(other);
  await other.evaluate(() => waymark("consent", "out"));
  await page.waitForFunction(() => window.__consentChanges > 0); // the storage event
  await page.evaluate(() => waymark("sendEvent", { name: "wishlist" }));
  const keys = await page.evaluate(() => Object.keys(localStorage).filter((k) => /^waymark:(id|state|queue|snapshot:)/.test(k)));
  assert.deepEqual(keys, []);
  await context.close();
});

test("DOM actions: late elements within the timeout, open shadow roots, never applied twice", async () => {
  const { context, page } = await visit(server);
  await page.goto(at(server));
  await ready(page);
  const out = await page.evaluate(async () => {
    const { applyAction } = await import("/dist/dom.js");
    const box = document.createElement("div");
    document.body.append(box);
    // Late: appears after 100 ms, within a 1 s window; another never appears in 200 ms.
    setTimeout(() => box.insertAdjacentHTML("beforeend", '<p class="late">old</p>'), 100);
    const late = applyAction({ selector: ".late", type: "setText", content: "new" }, 1000);
    const never = applyAction({ selector: ".never", type: "setText", content: "x" }, 200);
    // Shadow DOM: a host whose open shadow root is filled after the action starts.
    const host = document.createElement("x-promo");
    box.append(host);
    const shadow = host.attachShadow({ mode: "open" });
    const inShadow = applyAction({ selector: "x-promo >>> .title", type: "setText", content: "in the shadow" }, 1000);
    setTimeout(() => (shadow.innerHTML = '<b class="title">plain</b>'), 50);
    // Inserting actions run once per element, however often the decision is applied.
    const list = document.createElement("ul");
    list.id = "once-list";
    box.append(list);
    const append = { selector: "#once-list", type: "appendHtml", content: "<li>added</li>" };
    await applyAction(append, 0);
    await applyAction(append, 0);
    // A re-render resets a setting action's element: it is applied again.
    const text = { selector: "#once-list", type: "setAttribute", attributes: { "data-x": "1" } };
    await applyAction(text, 0);
    list.removeAttribute("data-x");
    await applyAction(text, 0);
    return {
      late: [await late, box.querySelector(".late").textContent],
      never: await never,
      shadow: [await inShadow, shadow.querySelector(".title").textContent],
      appended: list.children.length,
      attribute: list.getAttribute("data-x"),
    };
  });
  assert.deepEqual(out, { late: [1, "new"], never: 0, shadow: [1, "in the shadow"], appended: 1, attribute: "1" });
  await context.close();
});

test("a bundle with a bad signature is refused and the last good copy kept, also when the API is down", async () => {
  const init = () => {
    window.__errors = [];
    document.addEventListener("waymark:error", (e) => window.__errors.push(String(e.detail?.message ?? e.detail)));
  };
  const { context, page } = await visit(server, { profileId: "ann-gold", init });
  await page.goto(at(server));
  await ready(page);
  const good = await page.evaluate(() => JSON.parse(localStorage.getItem("waymark:compiled")));
  // Tampered: a changed body with the genuine signature header. Cached copies count as stale.
  await page.route("**/v1/bundle/compiled", async (route) => {
    const response = await route.fetch({ headers: { ...route.request().headers(), "if-none-match": "" } });
    const binary = (await response.body()).toString("latin1");
    assert.ok(binary.includes("your gold perks are waiting"));
    const body = Buffer.from(binary.replace("your gold perks are waiting", "you have been hacked!!!!!!!"), "latin1");
    await route.fulfill({ response, body, headers: { ...response.headers(), etag: '"tampered"' } });
  });
  await page.evaluate(() => {
    for (const key of ["waymark:compiled", "waymark:snapshot:ann-gold"]) {
      localStorage.setItem(key, JSON.stringify({ ...JSON.parse(localStorage.getItem(key)), at: 0 }));
    }
  });
  await page.reload();
  await ready(page);
  assert.equal(await page.textContent("#hero h1"), "Hi Ann, your gold perks are waiting");
  assert.ok((await page.evaluate(() => window.__errors)).some((e) => /signature does not verify/.test(e)));
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem("waymark:compiled")).etag), good.etag);

  // The API unreachable, the cache stale: the key read from the API ("fetch") on the earlier
  // visits was kept, so the cached copies still verify and personalise the page.
  await page.unroute("**/v1/bundle/compiled");
  await page.route("**/v1/**", (route) => route.abort("connectionrefused"));
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => window.__errors.some((e) => /verifying with the key read earlier/.test(e)));
  assert.equal(await page.textContent("#hero h1"), "Hi Ann, your gold perks are waiting");
  // Without that key as well, nothing from the API can be checked: the page's defaults.
  await page.evaluate(() => localStorage.removeItem("waymark:signingKey"));
  await page.reload();
  await page.waitForFunction(() => window.__errors.some((e) => /no signing key/.test(e)));
  await page.waitForFunction(() => getComputedStyle(document.querySelector("#hero h1")).visibility === "visible");
  assert.equal(await page.textContent("#hero h1"), "Autumn collection");
  await context.close();
});

test("the Android bridge convention: initialState() hands in identity, postMessage receives JSON text", async () => {
  const { token } = config.profiles.find((p) => p.id === "bob-silver");
  const options = { viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true };
  const { context, page } = await visit(server, { options });
  await context.addInitScript(
    ([token]) => {
      window.__android = [];
      window.WaymarkAndroid = {
        initialState: () => JSON.stringify({ profileId: "bob-silver", token, consent: "in" }),
        postMessage: (text) => window.__android.push(JSON.parse(text)),
      };
    },
    [token],
  );
  await page.goto(at(server));
  await ready(page);
  await page.waitForSelector("#cards li[data-card-id=card-welcome]");
  assert.equal(await page.textContent("#cards li h3"), "Welcome, Bob!");
  await page.tap("#cards li[data-card-id=card-welcome] h3"); // the card links to /join
  await page.waitForFunction(() => window.__android.some((m) => m.type === "deepLink"));
  const messages = await page.evaluate(() => window.__android);
  assert.deepEqual(messages.find((m) => m.type === "deepLink"), { type: "deepLink", url: "/join" });
  const events = messages.filter((m) => m.type === "event").map((m) => `${m.event.type}:${m.event.activityId ?? m.event.offerId}`);
  assert.ok(events.includes("display:card-welcome") && events.includes("click:card-welcome"), events.join());
  assert.ok(messages.every((m) => m.type !== "event" || m.event.profileId === "bob-silver"));
  await context.close();
});

test("clicks on elements an action tracks are tracked, once per click, with the decision's ids", async () => {
  const init = () => {
    window.__events = [];
    document.addEventListener("waymark:event", (e) => window.__events.push(e.detail));
    document.addEventListener("click", (e) => e.target.closest("#hero .cta") && e.preventDefault(), true); // stay on the page
  };
  const { context, page } = await visit(once, { profileId: "ann-gold", init });
  await page.goto(at(once));
  await ready(page);
  assert.equal(await page.getAttribute("#hero .cta", "href"), "/gold?ref=ann-gold");
  await page.click("#hero .cta");
  await page.click("#hero h1"); // not tracked: its action does not ask for clicks
  const clicks = await page.evaluate(() => window.__events.filter((e) => e.type === "click"));
  const decisionId = await page.evaluate(() => waymark.sdk.decision.decisionId);
  assert.deepEqual(
    clicks.map(({ type, activityId, decisionId }) => ({ type, activityId, decisionId })),
    [{ type: "click", activityId: "hero-gold", decisionId }],
  );
  await context.close();
});
