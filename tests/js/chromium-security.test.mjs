// The browser SDK's defences in a real headless Chromium against the real `waymark demo` API on
// 127.0.0.1: signatures verified by default and bound to the kind of body asked for, snapshots
// bound to their profile and expiry (fetched or cached), the pinned signing key, the edge
// decision's nonce, the webview bridge's type checks, and visitor tokens sent with events.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { startWaymark, launchChromium, wallClockDecisions } from "./harness.mjs";

// 2026-11-28T12:00:00Z: inside the gold sale, outside quiet hours.
const NOW = 1795867200000;
const ANN_HERO = "Hi Ann, your gold perks are waiting";
const DEFAULT_HERO = "Autumn collection";
let server;
let browser;
let config; // the demo's client key and visitor tokens

before(async () => {
  server = await startWaymark(["demo", "--listen", "127.0.0.1:0"]);
  browser = await launchChromium();
  config = await (await fetch(new URL("config.json", server.url))).json();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach(() => {
  assert.deepEqual(wallClockDecisions(), [], "a page decided with the wall clock");
});

const at = (path = "", now = NOW) => new URL(`${path}?now=${now}`, server.url).href;
const tokenOf = (id) => config.profiles.find((p) => p.id === id).token;
const api = (path, headers = {}) => fetch(new URL(path, server.url), { headers: { "x-waymark-key": config.clientKey, ...headers } });

/** Collects the SDK's errors and events from before any page script. */
function collect() {
  window.__errors = [];
  window.__events = [];
  document.addEventListener("waymark:error", (e) => window.__errors.push(String(e.detail?.message ?? e.detail)));
  document.addEventListener("waymark:event", (e) => window.__events.push(e.detail));
}

/**
 * A fresh browser context (empty storage and cache), signed in as `profileId` if given, on the
 * demo page as `edit(html)` returns it, served at /demo/page with `headers`; not yet navigated.
 */
async function open({ profileId, edit = (html) => html, headers = {}, init } = {}) {
  const context = await browser.newContext();
  if (profileId) {
    await context.addInitScript(
      ([id, token]) => localStorage.setItem("waymark:identity", JSON.stringify({ profileId: id, token })),
      [profileId, tokenOf(profileId)],
    );
  }
  await context.addInitScript(collect);
  if (init) await context.addInitScript(init);
  const html = edit(await (await fetch(server.url)).text());
  const page = await context.newPage();
  await page.route("**/demo/page*", (route) =>
    route.fulfill({ status: 200, headers: { "content-type": "text/html", ...headers }, body: html }),
  );
  return { context, page };
}

const ready = (page) => page.waitForSelector("html[data-waymark=ready]");
const errors = (page) => page.evaluate(() => window.__errors);
/** Waits for an SDK error matching `pattern` (the positive signal that the check ran). */
const errorMatching = (page, pattern) =>
  page.waitForFunction((source) => window.__errors.some((e) => new RegExp(source).test(e)), pattern.source, { timeout: 10000 });
/** Waits until the hero is shown (decided, or given up on) and returns its text. */
async function shownHero(page) {
  await page.waitForFunction(() => getComputedStyle(document.querySelector("#hero h1")).visibility === "visible");
  return page.textContent("#hero h1");
}
const withoutSigningKey = (html) => {
  const edited = html.replace(/\n\s*signingKey: "fetch",[^\n]*/, "");
  assert.ok(!edited.includes("signingKey"), "the demo page configures signingKey on one line");
  return edited;
};
const pinned = (key) => (html) => html.replace('signingKey: "fetch"', `signingKey: "${key}"`);
const tamper = (binary) => binary.replace("your gold perks are waiting", "you have been hacked!!!!!!!");

test("without a signingKey the SDK verifies by default, with the key from the API: a tampered bundle is refused", async () => {
  const { context, page } = await open({ profileId: "ann-gold", edit: withoutSigningKey });
  const keyRequests = [];
  page.on("request", (r) => r.url().endsWith("/v1/keys/signing") && keyRequests.push(r.url()));
  // A changed body with the genuine signature header.
  await page.route("**/v1/bundle/compiled", async (route) => {
    const response = await route.fetch();
    const binary = (await response.body()).toString("latin1");
    assert.ok(binary.includes("your gold perks are waiting"));
    await route.fulfill({ response, body: Buffer.from(tamper(binary), "latin1") });
  });
  await page.goto(at("page"));
  await errorMatching(page, /bundle\/compiled: the signature does not verify \(as waymark-compiled-v1\)/);
  assert.equal(await shownHero(page), DEFAULT_HERO);
  assert.equal(keyRequests.length, 1);
  assert.equal(await page.evaluate(() => localStorage.getItem("waymark:compiled")), null, "nothing unverified is cached");
  await context.close();

  // The same page, untampered: the default verifies and personalises.
  const fine = await open({ profileId: "ann-gold", edit: withoutSigningKey });
  await fine.page.goto(at("page"));
  await ready(fine.page);
  assert.equal(await fine.page.textContent("#hero h1"), ANN_HERO);
  assert.deepEqual(await errors(fine.page), []);
  await fine.context.close();
});

test("a signature made for another kind of body does not verify: a bundle's signature on a snapshot", async () => {
  const bundle = await api("/v1/bundle");
  const body = Buffer.from(await bundle.arrayBuffer());
  const signature = bundle.headers.get("waymark-signature");
  const { context, page } = await open({ profileId: "ann-gold" });
  // Genuinely signed by the API, but as a bundle: answered for Ann's snapshot.
  await page.route("**/v1/profiles/ann-gold/snapshot", (route) =>
    route.fulfill({ status: 200, headers: { "content-type": "application/json", "waymark-signature": signature }, body }),
  );
  await page.goto(at("page"));
  await ready(page);
  await errorMatching(page, /snapshot: the signature does not verify \(as waymark-snapshot-v1\)/);
  assert.notEqual(await page.textContent("#hero h1"), ANN_HERO);
  await context.close();
});

test("a genuine snapshot of another profile is refused, fetched or cached", async () => {
  const ann = await api("/v1/profiles/ann-gold/snapshot", { authorization: `Bearer ${tokenOf("ann-gold")}` });
  const annBody = await ann.text();
  const annSignature = ann.headers.get("waymark-signature");
  assert.equal(JSON.parse(annBody).profileId, "ann-gold");

  // Fetched: an anonymous visitor's snapshot request answered with Ann's signed snapshot.
  const { context, page } = await open();
  await page.route("**/v1/profiles/anon-*/snapshot", (route) =>
    route.fulfill({ status: 200, headers: { "content-type": "application/json", "waymark-signature": annSignature }, body: annBody }),
  );
  await page.goto(at("page"));
  await ready(page);
  await errorMatching(page, /the snapshot is for "ann-gold", not "anon-/);
  assert.notEqual(await page.textContent("#hero h1"), ANN_HERO);
  assert.equal(await page.getAttribute("#hero", "data-tier"), null);
  await context.close();

  // Cached: the visitor's own cached snapshot replaced with Ann's, young enough to be used at once.
  const second = await open();
  await second.page.goto(at("page"));
  await ready(second.page);
  const key = await second.page.evaluate(() => Object.keys(localStorage).find((k) => k.startsWith("waymark:snapshot:anon-")));
  assert.ok(key, "the anonymous visitor's snapshot is cached");
  await second.page.evaluate(
    ([key, body, signature]) => localStorage.setItem(key, JSON.stringify({ ...JSON.parse(localStorage.getItem(key)), body, signature, at: Date.now() })),
    [key, annBody, annSignature],
  );
  await second.page.reload();
  await ready(second.page);
  await errorMatching(second.page, /the cached copy is refused, discarded: the snapshot is for "ann-gold"/);
  assert.notEqual(await second.page.textContent("#hero h1"), ANN_HERO);
  assert.equal(await second.page.getAttribute("#hero", "data-tier"), null);
  await second.context.close();
});

test("a snapshot past its expiresAt by the page's clock is not used, fetched or cached", async () => {
  const { context, page } = await open({ profileId: "ann-gold" });
  await page.goto(at("page"));
  await ready(page);
  assert.equal(await page.textContent("#hero h1"), ANN_HERO);
  const cached = await page.evaluate(() => JSON.parse(JSON.parse(localStorage.getItem("waymark:snapshot:ann-gold")).body));
  assert.ok(cached.expiresAt > NOW);
  // An hour from now by the page's clock: past the expiry of the cached snapshot (the API's
  // snapshots live 15 minutes) and of any the API gives now.
  const later = Date.now() + 3600_000;
  assert.ok(later > cached.expiresAt);
  await page.goto(at("page", later));
  await ready(page);
  await errorMatching(page, /the cached copy is refused, discarded: the snapshot expired/);
  await errorMatching(page, /snapshot: the snapshot expired/);
  assert.notEqual(await page.textContent("#hero h1"), ANN_HERO);
  assert.equal(await page.getAttribute("#hero", "data-tier"), null);
  assert.equal(await page.evaluate(() => localStorage.getItem("waymark:snapshot:ann-gold")), null);
  await context.close();
});

test("with no signing key to be had, no copy is used, not even a cached one", async () => {
  const { context, page } = await open({ profileId: "ann-gold" });
  await page.goto(at("page"));
  await ready(page);
  assert.equal(await page.textContent("#hero h1"), ANN_HERO);
  // The cached bundle tampered, and the key out of reach: the copy cannot be checked.
  await page.evaluate(() => {
    const cached = JSON.parse(localStorage.getItem("waymark:compiled"));
    cached.body = btoa(atob(cached.body).replace("your gold perks are waiting", "you have been hacked!!!!!!!"));
    localStorage.setItem("waymark:compiled", JSON.stringify(cached));
  });
  await page.route("**/v1/keys/signing", (route) => route.abort("connectionrefused"));
  // The key read on the first visit would verify (and refuse) the copy: it is gone too.
  assert.ok(await page.evaluate(() => localStorage.getItem("waymark:signingKey")));
  await page.evaluate(() => localStorage.removeItem("waymark:signingKey"));
  await page.reload();
  await errorMatching(page, /no signing key/);
  await errorMatching(page, /bundle\/compiled: no signing key to verify with/);
  assert.equal(await shownHero(page), DEFAULT_HERO);
  assert.equal(await page.evaluate(() => waymark.sdk.decision), null);
  await context.close();
});

test("a pinned signingKey verifies without asking the API and keeps cached copies in use while the API is down; a wrong one refuses everything", async () => {
  const { base64 } = await (await fetch(new URL("/v1/keys/signing", server.url))).json();
  const { context, page } = await open({ profileId: "ann-gold", edit: pinned(base64) });
  const keyRequests = [];
  page.on("request", (r) => r.url().endsWith("/v1/keys/signing") && keyRequests.push(r.url()));
  await page.goto(at("page"));
  await ready(page);
  assert.equal(await page.textContent("#hero h1"), ANN_HERO);
  assert.deepEqual(keyRequests, []);
  // The API unreachable, the cached copies stale: verified with the pinned key, still used.
  await page.evaluate(() => {
    for (const key of ["waymark:compiled", "waymark:snapshot:ann-gold"]) {
      localStorage.setItem(key, JSON.stringify({ ...JSON.parse(localStorage.getItem(key)), at: 0 }));
    }
  });
  await page.route("**/v1/**", (route) => route.abort("connectionrefused"));
  await page.reload();
  await ready(page);
  await errorMatching(page, /fetch/i);
  assert.equal(await page.textContent("#hero h1"), ANN_HERO);
  assert.deepEqual(keyRequests, []);
  await context.close();

  // Another key (a valid Ed25519 key, not the API's): nothing verifies, nothing is used.
  const other = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64");
  const wrong = await open({ profileId: "ann-gold", edit: pinned(other) });
  await wrong.page.goto(at("page"));
  await errorMatching(wrong.page, /bundle\/compiled: the signature does not verify/);
  assert.equal(await shownHero(wrong.page), DEFAULT_HERO);
  await wrong.context.close();
  // Not a key at all: reported (configure does not throw), and nothing is used.
  const garbled = await open({ profileId: "ann-gold", edit: pinned("not base64!") });
  await garbled.page.goto(at("page"));
  await errorMatching(garbled.page, /no signing key/);
  assert.equal(await shownHero(garbled.page), DEFAULT_HERO);
  await garbled.context.close();
});

// ---- the edge decision

const NONCE = "0123456789abcdef0123456789abcdef";
const edgeDecision = (decisionId, nonce, content) =>
  `<script type="application/json" id="waymark-edge-decision">${JSON.stringify({
    decision: {
      decisionId,
      propositions: [{ activityId: decisionId, surface: "web://shop.example/product/42#hero", content: { channel: "web", actions: [{ selector: "#hero h1", type: "setText", content }] } }],
      offers: [],
      reasons: [],
      stateChanges: {},
    },
    applied: [],
    visitorId: "anon-edgeEdgeEdgeEdgeEdgeEdge",
    ...(nonce && { nonce }),
  }).replace(/</g, "\\u003c")}</script>`;
const optIn = (scripts) => (html) => html.replace('consent: "in",', 'edge: true, consent: "in",').replace("<title>", `${scripts}<title>`);
const timing = (nonce) => ({ "server-timing": `app;dur=3, waymark-edge;desc="${nonce}"` });

test("the edge decision is taken only with this response's nonce: a script put in <head> before it is ignored", async () => {
  // Page content posing as the edge, first in <head>, then the edge's own.
  const fake = edgeDecision("fake", "", "Posed as the edge") + edgeDecision("guess", "ffff", "A guessed nonce");
  const cases = [
    { name: "the Worker's nonce in Server-Timing", scripts: fake + edgeDecision("edge", NONCE, "From the edge"), headers: timing(NONCE), decided: "edge", hero: "From the edge" },
    { name: "no Server-Timing nonce (not from the edge)", scripts: fake + edgeDecision("edge", NONCE, "From the edge"), headers: {} },
    { name: "only scripts without the nonce", scripts: fake, headers: timing(NONCE) },
  ];
  for (const c of cases) {
    const { context, page } = await open({ edit: optIn(c.scripts), headers: c.headers });
    await page.goto(at("page"));
    await ready(page);
    const decisionId = await page.evaluate(() => waymark.sdk.decision.decisionId);
    if (c.decided) {
      assert.equal(decisionId, c.decided, c.name);
      assert.equal(await page.textContent("#hero h1"), c.hero, c.name);
    } else {
      // Decided in the page instead, and said so.
      assert.ok(!["fake", "guess", "edge"].includes(decisionId), `${c.name}: ${decisionId}`);
      assert.ok((await errors(page)).some((e) => /edge decision without this response's nonce/.test(e)), c.name);
      assert.ok(!["Posed as the edge", "A guessed nonce", "From the edge"].includes(await page.textContent("#hero h1")), c.name);
    }
    assert.equal(await page.locator("head script#waymark-edge-decision").count(), 0, `${c.name}: read once, removed`);
    await context.close();
  }
});

// ---- the webview bridge

test("the webview bridge checks the types of what the app hands in: malformed fields are ignored and reported", async () => {
  const init = () => {
    window.webkit = { messageHandlers: { waymark: { postMessage: "not a function" } } };
    window.WaymarkNative = { profileId: { id: "ann-gold" }, token: 42, consent: "yes", context: "cart" };
  };
  const { context, page } = await open({ init });
  await page.goto(at("page"));
  await ready(page);
  await page.waitForFunction(() => window.__events.length > 0);
  const reported = await errors(page);
  for (const field of ["profileId", "token", "consent", "context"]) {
    assert.ok(reported.some((e) => e.includes(`\`${field}\` is malformed`)), `${field}: ${reported.join(" | ")}`);
  }
  assert.ok(!reported.some((e) => /postMessage/.test(e)), reported.join(" | "));
  const profileIds = await page.evaluate(() => window.__events.map((e) => e.profileId));
  assert.ok(profileIds.every((id) => typeof id === "string" && id.startsWith("anon-")), JSON.stringify(profileIds));
  await context.close();

  // A token handed in without a profile id is left out; a well-formed state still applies.
  const good = await open({
    init: () => {
      window.WaymarkAndroid = { initialState: () => JSON.stringify({ token: "wmt.x.y", consent: { personalize: "in", track: "in" }, context: { app: "android" } }) };
    },
  });
  await good.page.goto(at("page"));
  await ready(good.page);
  assert.ok((await errors(good.page)).some((e) => /token without a profileId/.test(e)));
  assert.ok((await errors(good.page)).every((e) => !/malformed/.test(e)));
  await good.context.close();
});

// ---- events and visitor tokens

test("a signed-in visitor's events carry its visitor token; an anonymous visitor's carry none", async () => {
  for (const profileId of ["ann-gold", undefined]) {
    const { context, page } = await open({ profileId });
    const posts = [];
    page.on("request", (r) => r.url().endsWith("/v1/events") && r.method() === "POST" && posts.push(r.postDataJSON()));
    const sent = page.waitForResponse((r) => r.url().endsWith("/v1/events") && r.ok());
    await page.goto(at("page"));
    await ready(page);
    await sent;
    const events = posts.flatMap((p) => p.events);
    assert.ok(events.length > 0);
    if (profileId) {
      assert.ok(events.every((e) => e.profileId === "ann-gold" && !("token" in e)), JSON.stringify(events));
      assert.deepEqual(posts[0].tokens, [tokenOf("ann-gold")]);
    } else {
      assert.ok(events.every((e) => e.profileId.startsWith("anon-")), JSON.stringify(events));
      assert.deepEqual(posts[0].tokens, []);
    }
    await context.close();
  }
});
