// Identity stitching in a real headless Chromium against the real `waymark demo` API: signing in
// (`identify`) merges the anonymous id's history into the profile once, and signing out starts a
// new anonymous id.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startWaymark, launchChromium, until, wallClockDecisions } from "./harness.mjs";

// 2026-11-28T12:00:00Z, the demo's pinned clock (`?now=`), as in chromium-sdk.test.mjs.
const NOW = 1795867200000;
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

/** The API's counter totals of `profileId` (`"event target" → total`), read as a runtime does. */
async function counters(profileId, token) {
  const headers = { "x-waymark-key": config.clientKey };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(new URL(`/v1/profiles/${encodeURIComponent(profileId)}/snapshot`, server.url), { headers });
  assert.equal(response.status, 200, `${profileId}'s snapshot`);
  const items = (await response.json()).counters.items;
  return Object.fromEntries(items.map((i) => [`${i.event} ${i.target}`, i.total]));
}

test("identify merges the anonymous history into the profile once; signing out starts a new anonymous id", async () => {
  const { token } = config.profiles.find((p) => p.id === "ann-gold");
  const context = await browser.newContext();
  const page = await context.newPage();
  const merges = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && new URL(r.url()).pathname.endsWith("/merge")) merges.push(JSON.parse(r.postData()));
  });
  await page.goto(new URL(`?now=${NOW}`, server.url).href);
  await page.waitForSelector("html[data-waymark=ready]");
  const anon = await page.evaluate(() => JSON.parse(localStorage.getItem("waymark:id")));
  assert.match(anon, /^anon-[\w-]{22,}$/);
  // Something only the anonymous visitor did, stored by the API under the anonymous id.
  await page.evaluate(async () => {
    await waymark("sendEvent", { name: "stitchProbe" });
    await waymark("flush");
  });
  await until(async () => (await counters(anon))["stitchProbe *"] === 1, "the anonymous event stored");
  assert.equal((await counters("ann-gold", token))["stitchProbe *"], undefined);

  await page.evaluate((token) => waymark("identify", { profileId: "ann-gold", token }), token);
  assert.deepEqual(merges, [{ from: anon }]);
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem("waymark:merged"))), `${anon} ann-gold`);
  assert.equal((await counters("ann-gold", token))["stitchProbe *"], 1, "the history followed the sign-in");
  assert.equal((await counters(anon))["stitchProbe *"], undefined, "nothing left under the anonymous id");
  assert.equal(await page.textContent("#hero h1"), "Hi Ann, your gold perks are waiting");

  // A reload and the same identify again: no second merge.
  await page.reload();
  await page.waitForSelector("html[data-waymark=ready]");
  await page.evaluate((token) => waymark("identify", { profileId: "ann-gold", token }), token);
  assert.equal(merges.length, 1);

  // Signing out: a new anonymous id, so what the device does next is not the profile's.
  await page.evaluate(() => waymark("identify", null));
  await page.evaluate(() => waymark("refresh"));
  const next = await page.evaluate(() => JSON.parse(localStorage.getItem("waymark:id")));
  assert.match(next, /^anon-[\w-]{22,}$/);
  assert.notEqual(next, anon);
  await context.close();
});
