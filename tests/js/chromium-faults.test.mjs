// The browser SDK when things go wrong, in a real headless Chromium against the real `waymark
// demo` API on 127.0.0.1: storage that throws or is full, WebAssembly refused by the page's CSP,
// a compiled bundle the runtime cannot load, and an API answering HTML. In each case the page
// shows its defaults (or, when only storage fails, its personalisation from memory), the hidden
// parts are shown at once rather than at the timeout, the site's `on("error")` hears why, and
// no exception escapes to the page.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { startWaymark, launchChromium, wallClockDecisions } from "./harness.mjs";

// 2026-11-28T12:00:00Z: inside the gold sale, outside quiet hours.
const NOW = 1795867200000;
const ANN_HERO = "Hi Ann, your gold perks are waiting";
const DEFAULT_HERO = "Autumn collection";
let server;
let browser;
let config;

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

/** The demo page with both hide timeouts (snippet and SDK) at 60 s, so that a page shown before
 * the test's 20 s wait ends was shown because the SDK gave up, not because time ran out. */
function slowTimeouts(html) {
  const edited = html
    .replace('"#hero h1,#offer",1e3)', '"#hero h1,#offer",60000)')
    .replace('consent: "in",', 'timeout: 60000, consent: "in",');
  assert.ok(edited.includes('"#hero h1,#offer",60000)') && edited.includes("timeout: 60000,"), "both timeouts raised");
  return edited;
}

/** Collects the SDK's errors and the page's uncaught exceptions from before any page script. */
function collect() {
  window.__errors = [];
  document.addEventListener("waymark:error", (e) => window.__errors.push(String(e.detail?.message ?? e.detail)));
}

/**
 * A fresh context on the demo page (its timeouts raised, then `edit`), served at /demo/page with
 * `headers`, signed in as Ann unless `anonymous`; `init` runs before the page's scripts.
 */
async function open({ edit = (html) => html, headers = {}, init, anonymous = false } = {}) {
  const context = await browser.newContext();
  if (!anonymous) {
    const { token } = config.profiles.find((p) => p.id === "ann-gold");
    await context.addInitScript(
      ([t]) => localStorage.setItem("waymark:identity", JSON.stringify({ profileId: "ann-gold", token: t })),
      [token],
    );
  }
  await context.addInitScript(collect);
  if (init) await context.addInitScript(init);
  const html = edit(slowTimeouts(await (await fetch(server.url)).text()));
  const page = await context.newPage();
  const uncaught = [];
  page.on("pageerror", (error) => uncaught.push(error.message));
  await page.route("**/demo/page*", (route) =>
    route.fulfill({ status: 200, headers: { "content-type": "text/html", ...headers }, body: html }),
  );
  return { context, page, uncaught };
}

const url = () => new URL(`page?now=${NOW}`, server.url).href;

/** The hero's text once the hidden parts are shown: well before the 60 s timeouts. */
async function shownHero(page) {
  await page.waitForFunction(() => getComputedStyle(document.querySelector("#hero h1")).visibility === "visible", null, {
    timeout: 20000,
  });
  return page.textContent("#hero h1");
}

const errorMatching = (page, pattern) =>
  page.waitForFunction((source) => window.__errors.some((e) => new RegExp(source, "i").test(e)), pattern.source, {
    timeout: 20000,
  });

test("storage that throws on access (blocked site data): the SDK decides from memory, nothing escapes", async () => {
  const { context, page, uncaught } = await open({
    anonymous: true,
    init: () =>
      Object.defineProperty(window, "localStorage", {
        get() {
          throw new DOMException("The operation is insecure.", "SecurityError");
        },
      }),
  });
  await page.goto(url());
  await page.waitForSelector("html[data-waymark=ready]", { timeout: 20000 });
  const hero = await shownHero(page);
  assert.notEqual(hero, ANN_HERO);
  assert.ok(Number(await page.evaluate(() => document.documentElement.dataset.decisions)) >= 1, "it decided");
  assert.deepEqual(uncaught, []);
  await context.close();
});

test("full storage (QuotaExceededError on every write): Ann is personalised, nothing escapes", async () => {
  const { context, page, uncaught } = await open({
    init: () => {
      const setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function (key, value) {
        if (String(key).startsWith("waymark:") && key !== "waymark:identity") {
          throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
        }
        return setItem.call(this, key, value);
      };
    },
  });
  await page.goto(url());
  await page.waitForSelector("html[data-waymark=ready]", { timeout: 20000 });
  assert.equal(await shownHero(page), ANN_HERO);
  assert.deepEqual(uncaught, []);
  await context.close();
});

test("WebAssembly refused by the page's CSP: the defaults at once, the error heard, nothing escapes", async () => {
  // The strict demo's policy without 'wasm-unsafe-eval' (the inline scripts allowed as a whole).
  const csp = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:";
  const { context, page, uncaught } = await open({ headers: { "content-security-policy": csp } });
  await page.goto(url());
  await errorMatching(page, /WebAssembly.*Content Security/);
  assert.equal(await shownHero(page), DEFAULT_HERO);
  assert.deepEqual(uncaught, []);
  await context.close();
});

test("a compiled bundle the runtime cannot load (validly signed): the defaults at once, the error heard", async () => {
  // A key of the test's own, pinned in the page: the garbage and Ann's snapshot are signed with it.
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64");
  const signed = (label, body) => `ed25519=${sign(null, Buffer.concat([Buffer.from(`${label}\n`), body]), privateKey).toString("base64")}`;
  const { context, page, uncaught } = await open({ edit: (html) => html.replace('signingKey: "fetch"', `signingKey: "${raw}"`) });
  const garbage = Buffer.from("WMB\u0000not a compiled bundle at all");
  let compiledFetches = 0;
  await page.route("**/v1/bundle/compiled", (route) => {
    compiledFetches++;
    return route.fulfill({
      status: 200,
      headers: { "content-type": "application/octet-stream", "waymark-signature": signed("waymark-compiled-v1", garbage), etag: '"x"' },
      body: garbage,
    });
  });
  await page.route("**/v1/profiles/ann-gold/snapshot", async (route) => {
    const response = await route.fetch();
    const body = await response.body();
    await route.fulfill({ response, headers: { ...response.headers(), "waymark-signature": signed("waymark-snapshot-v1", body) }, body });
  });
  await page.goto(url());
  await errorMatching(page, /compiled|bundle|magic|decod/);
  assert.equal(await shownHero(page), DEFAULT_HERO);
  assert.ok(compiledFetches >= 1 && compiledFetches <= 2, `fetched ${compiledFetches} times: once, and once again at most`);
  assert.equal(await page.evaluate(() => localStorage.getItem("waymark:compiled")), null, "nothing unloadable is kept");
  assert.deepEqual(uncaught, []);
  // A snapshot request may still be on its way through the route above: let it go quietly.
  await page.unrouteAll({ behavior: "ignoreErrors" });
  await context.close();
});

test("an API answering HTML (a captive portal or a misrouted proxy): the defaults at once, the error heard", async () => {
  const { context, page, uncaught } = await open();
  await page.route("**/v1/**", (route) =>
    route.fulfill({ status: 200, headers: { "content-type": "text/html" }, body: "<!doctype html><title>Sign in to the Wi-Fi</title>" }),
  );
  await page.goto(url());
  await errorMatching(page, /not valid JSON/);
  assert.equal(await shownHero(page), DEFAULT_HERO);
  assert.deepEqual(uncaught, []);
  await context.close();
});
