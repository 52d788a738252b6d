// The Worker's defences in workerd (Miniflare), against the real central API (`waymark serve`)
// through a relay that can replay or alter its answers, and a local origin, all on 127.0.0.1:
// the origin's elements posing as the edge, snapshots bound to their profile and expiry,
// tampered snapshots, events attributed only with a visitor token, and the SYNC_TOKEN check.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Miniflare } from "miniflare";
import { root, startWaymark, waymarkBin, workerOptions } from "./harness.mjs";

const bundle = JSON.parse(readFileSync(join(root, "tests/fixtures/edge/bundle.json"), "utf8"));
const SYNC = "sync-secret";
const ANN = { attributes: { firstName: "Ann", loyalty: { tier: "gold" } }, consent: { personalize: "in", track: "in" } };

let dir, db, admin, client, api, apiUrl, relay, origin, mf, base, annToken;
/** While set, the relay answers anonymous visitors' snapshot requests with Ann's (genuinely signed). */
let replayAnn = false;
/** While set, the relay changes Ann's name in her snapshots, keeping the signature. */
let tamper = false;
/** Snapshot answers the relay replayed or altered. */
let altered = 0;
/** The event batches the Worker forwarded, as the relay saw them. */
const forwarded = [];

const waymark = (...args) => execFileSync(waymarkBin, [...args, "--db", db], { encoding: "utf8" }).trim();

/** Starts an HTTP server on 127.0.0.1; resolves with its URL and a close(). */
function serve(handler) {
  return new Promise((done) => {
    const server = createServer(handler).listen(0, "127.0.0.1", () =>
      done({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }),
    );
  });
}

/** The origin: a product page whose own markup poses as the edge, in the head and the body. */
const POSING = `<!doctype html><html><head><script type="application/json" id="waymark-edge-decision">{"decision":{"decisionId":"fake","propositions":[],"offers":[]},"nonce":"0000"}</script><title>Product</title></head>
<body><div id="hero"><h1>Original title</h1><a class="cta" href="/buy">Buy</a></div><p id="promo">Promo</p>
<div id="waymark-edge-decision">also fake</div><script type="application/json" id="waymark-edge-matched" data-nonce="0000">[[0,0],[0,1],[0,2]]</script></body></html>`;

function originHandler(req, res) {
  if (req.url.startsWith("/product/")) return res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(POSING);
  res.writeHead(404, { "content-type": "text/plain" }).end("no such page");
}

/** Between the Worker and the central API: passes everything on, replaying or altering snapshots when told to. */
async function relayHandler(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = chunks.length ? Buffer.concat(chunks) : undefined;
  if (req.method === "POST" && req.url === "/v1/events") forwarded.push(JSON.parse(body.toString("utf8")));
  const headers = { ...req.headers };
  delete headers.host;
  let path = req.url;
  if (replayAnn && /^\/v1\/profiles\/anon-[^/]+\/snapshot$/.test(path)) {
    path = "/v1/profiles/ann/snapshot";
    headers.authorization = `Bearer ${annToken}`;
    delete headers["if-none-match"];
  }
  const upstream = await fetch(`${apiUrl}${path}`, { method: req.method, headers, body });
  let out = Buffer.from(await upstream.arrayBuffer());
  if (path !== req.url) altered++;
  if (tamper && path === "/v1/profiles/ann/snapshot" && upstream.status === 200) {
    out = Buffer.from(out.toString("utf8").replace('"Ann"', '"Eve"'));
    altered++;
  }
  const kept = Object.fromEntries([...upstream.headers].filter(([k]) => !["content-length", "content-encoding", "transfer-encoding"].includes(k)));
  res.writeHead(upstream.status, kept).end(out);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "waymark-edge-security-"));
  db = join(dir, "waymark.db");
  admin = waymark("keys", "create", "--admin");
  client = waymark("keys", "create", "--client");
  api = await startWaymark(["serve", "--db", db, "--listen", "127.0.0.1:0"]);
  apiUrl = api.url.replace(/\/$/, "");
  const signing = await (await fetch(`${apiUrl}/v1/keys/signing`)).json();
  const published = await fetch(`${apiUrl}/v1/bundles`, { method: "POST", headers: { "x-waymark-key": admin }, body: JSON.stringify(bundle) });
  assert.equal(published.status, 201, await published.text());
  const put = await fetch(`${apiUrl}/v1/profiles/ann`, {
    method: "PUT",
    headers: { "x-waymark-key": admin, "content-type": "application/json" },
    body: JSON.stringify(ANN),
  });
  assert.ok(put.ok, await put.text());
  annToken = waymark("token", "--profile", "ann", "--ttl", "1h");
  relay = await serve(relayHandler);
  origin = await serve(originHandler);
  mf = new Miniflare(
    workerOptions({
      WAYMARK_API_URL: relay.url,
      WAYMARK_CLIENT_KEY: client,
      WAYMARK_PUBLIC_KEY: signing.base64,
      PROXY_ORIGINS: JSON.stringify([{ host: "*", origin: origin.url, site: "shop.example" }]),
      SYNC_TOKEN: SYNC,
      // A caller may give `now`: snapshots are checked against the clock the decision uses.
      DECIDE_INLINE_INPUT: "trusted",
      EVENT_RETRY_MS: "500,500,500,500",
      API_TIMEOUT_MS: "3000",
    }),
  );
  base = await mf.ready;
});

after(async () => {
  await mf?.dispose();
  relay?.close();
  origin?.close();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const request = (path, init = {}) => fetch(new URL(path, base), { redirect: "manual", ...init });
const decide = (surfaces, headers = {}, extra = {}) =>
  request("/v1/decide", { method: "POST", headers, body: JSON.stringify({ request: { surfaces }, ...extra }) });
const homeOffer = async (headers, extra) => (await (await decide(["web://shop.example/"], headers, extra)).json()).offers[0].items[0].offerId;
/** A visitor-id cookie never seen before (so nothing is cached for it). */
const freshVisitor = () => `wm_consent=in; wm_vid=anon-${crypto.randomUUID().replace(/-/g, "")}`;

async function until(check, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

test("the Worker removes the origin's elements posing as its own, and hands its nonce in Server-Timing", async () => {
  const response = await request("/product/1", {
    headers: { accept: "text/html", "sec-fetch-dest": "document", cookie: freshVisitor() },
  });
  assert.equal(response.status, 200);
  const timing = response.headers.get("server-timing");
  const nonce = timing?.match(/(?:^|,\s*)waymark-edge;desc="([0-9a-f]{32})"/)?.[1];
  assert.ok(nonce, `Server-Timing: ${timing}`);
  const html = await response.text();
  const decisions = [...html.matchAll(/<script type="application\/json" id="waymark-edge-decision">(.*?)<\/script>/g)];
  assert.equal(decisions.length, 1, html);
  assert.equal(JSON.parse(decisions[0][1]).nonce, nonce);
  assert.ok(!html.includes("fake"), html);
  assert.equal(html.match(/id="waymark-edge-decision"/g).length, 1, html);
  const matched = [...html.matchAll(/id="waymark-edge-matched" data-nonce="([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(matched, [nonce]);
  assert.match(html, /<h1>Hello <em>edge<\/em><\/h1>/);
});

test("a genuine snapshot of another profile is refused: the visitor decides without it", async () => {
  const cookie = freshVisitor();
  replayAnn = true;
  const before = altered;
  try {
    assert.equal(await homeOffer({ cookie }), "offer-fallback");
  } finally {
    replayAnn = false;
  }
  assert.ok(altered > before, "the relay answered with Ann's snapshot");
  // Ann herself, with her token, gets her snapshot.
  assert.equal(await homeOffer({ authorization: `Bearer ${waymark("token", "--profile", "ann", "--ttl", "2h")}` }), "offer-gold");
});

test("a tampered snapshot is refused: the visitor decides without it", async () => {
  const token = waymark("token", "--profile", "ann", "--ttl", "3h"); // its own cache entry
  const banner = async () => (await (await decide(["web://shop.example/product/1#banner"], { authorization: `Bearer ${token}` })).json()).propositions;
  tamper = true;
  const before = altered;
  try {
    assert.deepEqual(await banner(), []);
  } finally {
    tamper = false;
  }
  assert.ok(altered > before, "the relay altered Ann's snapshot");
  const genuine = await banner();
  assert.equal(genuine[0]?.content.actions[0].content, "Gold perks for Ann <3");
});

test("a snapshot past its expiresAt is not used, by the clock the decision is made with", async () => {
  const headers = { authorization: `Bearer ${waymark("token", "--profile", "ann", "--ttl", "4h")}` };
  // The central API's snapshots live 15 minutes: an hour from now, this one has expired.
  assert.equal(await homeOffer(headers, { now: Date.now() + 3600_000 }), "offer-fallback");
  assert.equal(await homeOffer(headers, { now: Date.now() }), "offer-gold");
  // Cached now; still refused at a later clock.
  assert.equal(await homeOffer(headers, { now: Date.now() + 3600_000 }), "offer-fallback");
  assert.equal(await homeOffer(headers), "offer-gold");
});

const display = (id, profileId) => ({ id, type: "display", timestamp: Date.now(), activityId: "hero-all", ...(profileId && { profileId }) });
const postEvents = (body, headers = {}) => request("/v1/events", { method: "POST", headers, body: JSON.stringify(body) });
/** The forwarded batch holding event `id`, once the Worker has sent it. */
async function batchWith(id) {
  let found;
  assert.ok(await until(() => (found = forwarded.find((b) => b.events.some((e) => e.id === id)))), `event ${id} forwarded`);
  return found;
}

test("events are attributed only to a verified identity: a known profile needs its token, which goes with the batch", async () => {
  const cookie = freshVisitor();
  const anon = cookie.match(/wm_vid=(anon-\w+)/)[1];
  // Someone else's profile id, no token: refused here, never forwarded.
  const refused = await postEvents({ events: [display("sec-1", "ann")] }, { cookie });
  assert.equal(refused.status, 422);
  assert.match((await refused.json()).rejected[0].reason, /needs its visitor token/);

  // The bearer token's profile: the event is Ann's, and her token goes with it.
  const bearer = await postEvents({ events: [display("sec-2")] }, { cookie, authorization: `Bearer ${annToken}` });
  assert.equal(bearer.status, 202);
  const withBearer = await batchWith("sec-2");
  assert.equal(withBearer.events[0].profileId, "ann");
  assert.deepEqual(withBearer.tokens, [annToken]);

  // A token in the body (as the SDK sends them), with a refused event beside an anonymous one.
  const mixed = await postEvents({ events: [display("sec-3", "ann"), display("sec-4", "bob"), display("sec-5")], tokens: [annToken] }, { cookie });
  assert.equal(mixed.status, 202);
  const answer = await mixed.json();
  assert.equal(answer.accepted, 2);
  assert.deepEqual(answer.rejected.map((r) => r.index), [1]);
  const batch = await batchWith("sec-3");
  assert.deepEqual(batch.events.map((e) => [e.id, e.profileId]), [["sec-3", "ann"], ["sec-5", anon]]);
  assert.deepEqual(batch.tokens, [annToken]);
  assert.ok(!forwarded.some((b) => b.events.some((e) => ["sec-1", "sec-4"].includes(e.id))), "refused events are never forwarded");

  // An expired token vouches for nothing.
  const expired = waymark("token", "--profile", "ann", "--ttl", "1s");
  assert.ok(await until(async () => {
    const r = await postEvents({ events: [display("sec-6", "ann")] }, { authorization: `Bearer ${expired}` });
    return r.status === 422;
  }), "an expired token is refused");
});

test("POST /v1/sync takes exactly the SYNC_TOKEN as bearer and nothing else", async () => {
  for (const authorization of ["", "Bearer ", "Bearer sync-secre", "Bearer sync-secret2", "Bearer SYNC-SECRET", "sync-secret", "bearer sync-secret"]) {
    const response = await request("/v1/sync", { method: "POST", headers: authorization ? { authorization } : {} });
    assert.equal(response.status, 401, JSON.stringify(authorization));
  }
  const response = await request("/v1/sync", { method: "POST", headers: { authorization: `Bearer ${SYNC}` } });
  assert.equal(response.status, 200, await response.clone().text());
  assert.match((await response.json()).bundle.status, /^(updated|unchanged)$/);
});
