// Time zones in the page: the page's runtime carries no zone table. An anonymous visitor is
// placed in the browser's zone, whose rule the SDK fetches from the real API's
// /v1/zones/{name}; an identified one in their profile's zone, with the rule their snapshot
// carries. Each page's rendered dates are compared with the native engine's (`waymark render`).
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root, waymarkBin, startWaymark, launchChromium, wallClockDecisions } from "./harness.mjs";

// 2026-11-28T12:00:00Z: already Sunday the 29th in Auckland (UTC+13 in its summer).
const NOW = 1795867200000;
// Hours, not minutes: the pinned clock runs on at the real pace while a test runs.
const TEMPLATE = `{{formatDate (now) "EEEE d MMMM yyyy, HH 'h' XXX" "en-GB"}} · {{daysUntil "2026-12-25"}} days`;
let fixtures;
let server;
let browser;

before(async () => {
  fixtures = mkdtempSync(join(tmpdir(), "waymark-zones-fixtures-"));
  const bundle = JSON.parse(readFileSync(join(root, "tests/fixtures/shop/bundle.json"), "utf8"));
  bundle.activities.push({
    id: "hero-date",
    surfaces: ["web://shop.example/*#hero"],
    priority: 100,
    content: { channel: "web", actions: [{ selector: "#hero p", type: "setText", content: TEMPLATE }] },
  });
  writeFileSync(join(fixtures, "bundle.json"), JSON.stringify(bundle));
  const profiles = readFileSync(join(root, "tests/fixtures/shop/profiles.ndjson"), "utf8").trim().split("\n");
  const tokyo = { id: "kei-tokyo", attributes: { firstName: "Kei" }, consent: { personalize: "in" }, timeZone: "Asia/Tokyo" };
  writeFileSync(join(fixtures, "profiles.ndjson"), [...profiles, JSON.stringify(tokyo)].join("\n") + "\n");
  server = await startWaymark(["demo", "--listen", "127.0.0.1:0", "--fixtures", fixtures]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(fixtures, { recursive: true, force: true });
});

afterEach(() => {
  assert.deepEqual(wallClockDecisions(), [], "a page decided with the wall clock");
});

/** The template rendered natively, in `timeZone`, at NOW. */
function native(timeZone) {
  const input = JSON.stringify({ template: TEMPLATE, data: {}, now: NOW, timeZone, escape: "none" });
  return execFileSync(waymarkBin, ["render"], { input, encoding: "utf8" });
}

/** The hero's date line as the page renders it, in a browser set to `timezoneId`. */
async function heroDate(timezoneId, profileId) {
  const context = await browser.newContext({ timezoneId });
  if (profileId) {
    const profiles = (await (await fetch(new URL("config.json", server.url))).json()).profiles;
    const { token } = profiles.find((p) => p.id === profileId);
    await context.addInitScript(
      ([id, token]) => localStorage.setItem("waymark:identity", JSON.stringify({ profileId: id, token })),
      [profileId, token],
    );
  }
  const page = await context.newPage();
  const zoneRequests = [];
  page.on("request", (r) => r.url().includes("/v1/zones/") && zoneRequests.push(decodeURIComponent(new URL(r.url()).pathname)));
  await page.goto(new URL(`?now=${NOW}`, server.url).href);
  await page.waitForSelector("html[data-waymark=ready]");
  const browserZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  const text = await page.textContent("#hero p");
  const cached = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("waymark:zone:")));
  await context.close();
  return { browserZone, text, zoneRequests, cached };
}

test("an anonymous visitor's dates are in the browser's time zone, byte for byte as natively", async () => {
  const auckland = native("Pacific/Auckland");
  assert.match(auckland, /^Sunday 29 November 2026, 01 h \+13:00 · 26 days$/);
  assert.notEqual(auckland, native("UTC"));
  const seen = await heroDate("Pacific/Auckland");
  assert.equal(seen.browserZone, "Pacific/Auckland");
  assert.equal(seen.text, auckland);
  assert.deepEqual(seen.zoneRequests, ["/v1/zones/Pacific/Auckland"]);
  assert.deepEqual(seen.cached, ["waymark:zone:Pacific/Auckland"]);
  // Another zone west of UTC: still the 28th.
  const angeles = await heroDate("America/Los_Angeles");
  assert.equal(angeles.text, native("America/Los_Angeles"));
  assert.match(angeles.text, /^Saturday 28 November 2026, 04 h -08:00/);
});

test("an identified visitor's dates are in their profile's zone, from the rule in their snapshot", async () => {
  const seen = await heroDate("Pacific/Auckland", "kei-tokyo");
  assert.equal(seen.text, native("Asia/Tokyo"));
  assert.match(seen.text, /^Saturday 28 November 2026, 21 h \+09:00/);
  assert.deepEqual(seen.zoneRequests, [], "the snapshot brings the rule");
});
