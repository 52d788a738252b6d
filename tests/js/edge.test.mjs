// The built Worker in workerd (Miniflare) against the real central API (`waymark serve`) and a
// local origin, all on 127.0.0.1: sync and signature checks, decisions for a visitor, proxy
// personalisation, the central API going down, and event forwarding. A second Worker, configured
// otherwise and given its bundle through KV, checks the configuration switches and the edge's
// guards against hostile actions.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Miniflare } from "miniflare";
import { root, startWaymark, until, waymarkBin, workerOptions } from "./harness.mjs";

const bundle = JSON.parse(readFileSync(join(root, "tests/fixtures/edge/bundle.json"), "utf8"));
const SYNC = "sync-secret";
const ANN = { attributes: { firstName: "Ann", loyalty: { tier: "gold" } }, consent: { personalize: "in", track: "in" } };

let dir, db, admin, client, apiPort, api, apiUrl, relay, origin, mf, base, annToken, signing, startedAt;
/** The second Worker (see `otherOptions`) and its URL. */
let other, otherBase;
let tamper = false;
/** While set, the relay holds snapshot requests unanswered (a hanging central API). */
let hang = false;
/** While set, the relay answers snapshot requests 401 (the token is refused). */
let refuse = false;
const held = [];
/** Event batches the Worker sent toward the central API (through the relay). */
let eventPosts = 0;
/** Ends the page `/product/slow` is holding back, once it has sent its head. */
let releaseSlow = null;

const waymark = (...args) => execFileSync(waymarkBin, [...args, "--db", db], { encoding: "utf8" }).trim();

/** Resolves with a free loopback port. */
function freePort() {
  return new Promise((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Starts an HTTP server on 127.0.0.1; resolves with its URL and a close(). */
function serve(handler) {
  return new Promise((done) => {
    const server = createServer(handler).listen(0, "127.0.0.1", () =>
      done({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }),
    );
  });
}

async function startApi() {
  api = await startWaymark(["serve", "--db", db, "--listen", `127.0.0.1:${apiPort}`]);
}

async function publish(body) {
  const response = await fetch(`${apiUrl}/v1/bundles`, {
    method: "POST",
    headers: { "x-waymark-key": admin },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 201, text);
  return JSON.parse(text).revision;
}

/**
 * The second Worker's configuration: no `SYNC_TOKEN`, the visitor-id cookie set without
 * consent, a `SNAPSHOT_MAX_STALE` under KV's 60 s floor; its bundle (`HOSTILE`) is put in its KV.
 */
const otherOptions = () => ({
  WAYMARK_API_URL: relay.url,
  WAYMARK_CLIENT_KEY: client,
  WAYMARK_PUBLIC_KEY: signing.base64,
  PROXY_ORIGINS: JSON.stringify([{ host: "*", origin: origin.url, site: "shop.example" }]),
  COOKIE_CONSENT: "not-required",
  SNAPSHOT_MAX_STALE: "30",
  API_TIMEOUT_MS: "1500",
});

/** The edge bundle with web actions whose CSS or attribute names would break out of the markup. */
const hostile = (id, fragment, action) => ({
  id,
  surfaces: [`web://shop.example/product/*#${fragment}`],
  priority: 30,
  content: { channel: "web", actions: [action] },
});
const HOSTILE_ACTIONS = [
  hostile("style-semicolon", "s1", { selector: "#hero .cta", type: "setStyle", properties: { color: "red; background: url(//evil.example/a)" } }),
  hostile("style-quote", "s2", { selector: "#hero .cta", type: "setStyle", properties: { color: 'red" onmouseover="alert(1)' } }),
  hostile("style-name", "s3", { selector: "#hero .cta", type: "setStyle", properties: { "color:red;background": "url(//evil.example/b)" } }),
  hostile("style-brace", "s4", { selector: "#hero .cta", type: "setStyle", properties: { color: "red}</style><script>alert(2)</script>" } }),
  hostile("style-backslash", "s5", { selector: "#hero .cta", type: "setStyle", properties: { color: "\\22 onmouseover=alert(3)" } }),
  hostile("attr-quote", "a1", { selector: "#banner", type: "setAttribute", attributes: { 'x" onmouseover="alert(4)': "1" } }),
  hostile("attr-space", "a2", { selector: "#banner", type: "setAttribute", attributes: { "data-a onfocus": "alert(5)" } }),
  hostile("attr-tag", "a3", { selector: "#banner", type: "setAttribute", attributes: { "><script>alert(6)</script": "1" } }),
];
const HOSTILE = { ...structuredClone(bundle), id: "edge-hostile", activities: [...structuredClone(bundle.activities), ...HOSTILE_ACTIONS] };

const page = (path, init = {}) => fetch(new URL(path, base), { redirect: "manual", ...init });
/** A browser navigation to `path` (only navigations are personalised). */
const navigate = (path, headers = {}) =>
  page(path, { headers: { accept: "text/html,*/*;q=0.8", "sec-fetch-dest": "document", ...headers } });
const decide = (surfaces, headers = {}) =>
  page("/v1/decide", { method: "POST", headers, body: JSON.stringify({ request: { surfaces } }) });
const sync = () => page("/v1/sync", { method: "POST", headers: { authorization: `Bearer ${SYNC}` } });
const cron = async () => (await mf.getWorker()).scheduled({ cron: "*/5 * * * *" });

/**
 * The origin's pages. `/product/slow` sends its head, then the rest when the test releases it;
 * `/product/cached` and `/cached` come with cache validators; `/product/moved` redirects;
 * `/product/huge-tag` has a start tag larger than the rewriter's 8 MB; `/product/long` is a
 * 12 MB page of small elements; any POST is echoed.
 */
const PRODUCT = `<!doctype html><html><head><title>Product</title><script src="/sdk.js"></script></head>
<body><div id="hero"><h1>Original title</h1><a class="cta" style="margin: 0" href="/buy">Buy</a></div>
<p id="promo">Original promo</p><p id="banner">Original banner</p></body></html>`;
const ABOUT = `<!doctype html><html><head><title>About</title></head><body><h1 id="hero">About us</h1>\n<p>Ünïcödé &amp; entities, <b>as sent</b>.</p></body></html>\n`;

const CACHE_HEADERS = { etag: '"v1"', "cache-control": "public, max-age=600", "last-modified": "Tue, 01 Dec 2026 00:00:00 GMT" };
const HTML = { "content-type": "text/html; charset=utf-8" };

async function originHandler(req, res) {
  if (req.method === "POST") {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    return res.writeHead(200, HTML).end(`<html><head></head><body>${req.method} ${req.url}: ${Buffer.concat(chunks)}</body></html>`);
  }
  if (req.url === "/style.css") return res.writeHead(200, { "content-type": "text/css" }).end("h1{color:blue}");
  if (req.url === "/product/slow") {
    res.writeHead(200, HTML);
    res.write(PRODUCT.slice(0, 120));
    releaseSlow = () => res.end(PRODUCT.slice(120));
    return;
  }
  if (req.url === "/product/cached" || req.url === "/cached") {
    const body = req.url === "/cached" ? ABOUT : PRODUCT;
    return res.writeHead(200, { ...HTML, ...CACHE_HEADERS, "content-length": Buffer.byteLength(body) }).end(body);
  }
  if (req.url === "/product/moved") {
    return res.writeHead(302, { location: "/product/42", "set-cookie": "origin=1; Path=/" }).end("moved");
  }
  if (req.url === "/product/huge-tag") {
    const huge = `<!doctype html><html><head><title>Huge</title></head><body><div id="hero" data-x="${"a".repeat(9 * 1024 * 1024)}"><h1>Original title</h1></div></body></html>`;
    return res.writeHead(200, HTML).end(huge);
  }
  if (req.url === "/product/long") {
    const filler = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n".repeat(200_000); // 12 MB
    return res.writeHead(200, HTML).end(PRODUCT.replace("</body>", `${filler}</body>`));
  }
  if (req.url === "/product/gz") {
    const headers = { "content-type": "text/html; charset=utf-8", "content-encoding": "gzip" };
    return res.writeHead(200, headers).end(gzipSync(PRODUCT));
  }
  const body = req.url.startsWith("/product/") ? PRODUCT : req.url === "/" ? ABOUT : req.url === "/about" ? ABOUT : null;
  if (!body) return res.writeHead(404, { "content-type": "text/plain" }).end("no such page");
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(body);
}

/** Between the Worker and the central API: passes everything on, optionally altering bundles. */
async function relayHandler(req, res) {
  if (req.url.startsWith("/v1/events")) eventPosts++;
  if (hang && req.url.startsWith("/v1/profiles/")) return held.push(res);
  if (refuse && req.url.startsWith("/v1/profiles/")) return res.writeHead(401).end("refused");
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const headers = { ...req.headers };
  delete headers.host;
  try {
    const upstream = await fetch(`${apiUrl}${req.url}`, {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    let body = Buffer.from(await upstream.arrayBuffer());
    if (tamper && req.url === "/v1/bundle" && upstream.status === 200) {
      body = Buffer.from(body.toString("utf8").replace("Hello", "Hacked"));
    }
    const out = Object.fromEntries([...upstream.headers].filter(([k]) => !["content-length", "content-encoding", "transfer-encoding"].includes(k)));
    res.writeHead(upstream.status, out).end(body);
  } catch {
    res.destroy(); // the central API is down: so is the connection
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "waymark-edge-"));
  db = join(dir, "waymark.db");
  admin = waymark("keys", "create", "--admin");
  client = waymark("keys", "create", "--client");
  apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  await startApi();
  startedAt = Date.now();
  signing = await (await fetch(`${apiUrl}/v1/keys/signing`)).json();
  await publish(bundle);
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
      SNAPSHOT_TTL: "1",
      EVENT_RETRY_MS: "500,500,500,500,500,500",
      // Generous, so a loaded machine does not time out the central API by accident.
      API_TIMEOUT_MS: "1500",
    }),
  );
  base = await mf.ready;
  other = new Miniflare(workerOptions(otherOptions()));
  otherBase = await other.ready;
  const kv = await other.getKVNamespace("BUNDLES");
  await kv.put("bundle:hostile", JSON.stringify(HOSTILE));
  await kv.put("revision", "hostile");
});

after(async () => {
  await other?.dispose();
  await mf?.dispose();
  relay?.close();
  origin?.close();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the first decision syncs the bundle from the central API and verifies it", async () => {
  const response = await decide(["web://shop.example/product/1"]);
  assert.equal(response.status, 200, await response.clone().text());
  const decision = await response.json();
  assert.equal(decision.bundleRevision, 1);
  assert.deepEqual(decision.propositions.map((p) => p.activityId).sort(), []); // consent pending
  const consenting = await (await decide(["web://shop.example/product/1"], { cookie: "wm_consent=in" })).json();
  assert.deepEqual(consenting.propositions.map((p) => p.activityId).sort(), ["card-hello", "hero-all", "promo-move"]);
});

test("a visitor token decides with that profile's signed snapshot", async () => {
  const response = await decide(["web://shop.example/product/1#banner"], { authorization: `Bearer ${annToken}` });
  const decision = await response.json();
  assert.equal(decision.propositions.length, 1, JSON.stringify(decision.reasons));
  assert.equal(decision.propositions[0].content.actions[0].content, "Gold perks for Ann <3");
  const forged = annToken.replace(/\.[^.]+$/, ".AAAA");
  const other = await (await decide(["web://shop.example/product/1#banner"], { authorization: `Bearer ${forged}` })).json();
  assert.equal(other.propositions.length, 0, "a forged token gets no profile");
});

test("the card feed lists a surface's cards, and a new visitor gets a cookie only with consent", async () => {
  const response = await page(`/v1/cards?surface=${encodeURIComponent("web://shop.example/product/1#cards")}`, {
    headers: { cookie: "wm_consent=in" },
  });
  const feed = await response.json();
  assert.deepEqual(feed.cards.map((c) => c.activityId), ["card-hello"]);
  assert.equal(feed.cards[0].content.title, "Hello");
  assert.match(response.headers.get("set-cookie"), /^wm_vid=anon-[0-9a-f]{32}; Path=\/;.*; HttpOnly/);
  const without = await page(`/v1/cards?surface=${encodeURIComponent("web://shop.example/product/1#cards")}`);
  assert.equal(without.headers.get("set-cookie"), null);
});

test("proxy mode personalises a targeted page and hands the rest to the SDK", async () => {
  const response = await navigate("/product/42", { cookie: "wm_consent=in; wm_vid=anon-0123456789abcdef0123456789" });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("set-cookie"), null, "the visitor already has an id");
  const html = await response.text();
  const head = html.match(/<script src="\/sdk.js"><\/script>(<script type="application\/json" id="waymark-edge-decision">(.*?)<\/script>)<\/head>/);
  assert.ok(head, "the decision is the last child of <head>");
  assert.ok(!head[2].includes("<"), "`<` is escaped inside the JSON");
  const data = JSON.parse(head[2]);
  assert.equal(data.visitorId, "anon-0123456789abcdef0123456789");
  assert.deepEqual(Object.keys(data), ["decision", "applied", "visitorId", "nonce"]);
  assert.match(data.nonce, /^[0-9a-f]{32}$/);
  assert.deepEqual(data.decision.propositions.map((p) => p.activityId).sort(), ["card-hello", "hero-all", "promo-move"]);
  const hero = data.decision.propositions.find((p) => p.activityId === "hero-all");
  assert.deepEqual(data.applied, [{ surface: hero.surface, activityId: "hero-all", token: hero.token }]);
  assert.match(html, /<div id="hero" data-edge="a &amp; &quot;b&quot;"><h1>Hello <em>edge<\/em><\/h1>/);
  assert.match(html, /<a class="cta" style="margin: 0;color: red;" href="\/buy">/);
  assert.match(html, /<p id="promo">Original promo<\/p>/, "a proposition with a `move` is left to the SDK whole");
  assert.match(html, /<script src="\/sdk.js"><\/script>/);
  // The page ends with the actions that matched an element: every one of the hero's here.
  const matched = hero.content.actions.map((_, i) => [0, i]);
  assert.ok(matched.length >= 2);
  const end = `</html><script type="application/json" id="waymark-edge-matched" data-nonce="${data.nonce}">${JSON.stringify(matched)}</script>`;
  assert.ok(html.endsWith(end), html.slice(-200));
});

test("proxy mode personalises a gzip-encoded origin page", async () => {
  const response = await navigate("/product/gz", { cookie: "wm_consent=in", "accept-encoding": "gzip" });
  assert.equal(response.status, 200);
  const html = await response.text(); // fetch decodes what the Worker encoded
  assert.match(html, /^<!doctype html><html><head><title>Product<\/title>.*<script type="application\/json" id="waymark-edge-decision">.*<\/script><\/head>/s);
  assert.match(html, /<h1>Hello <em>edge<\/em><\/h1>/);
});

test("proxy mode leaves non-targeted pages and other content byte-identical", async () => {
  for (const path of ["/about", "/style.css", "/missing"]) {
    const direct = await fetch(origin.url + path);
    const proxied = await navigate(path, { cookie: "wm_consent=in" });
    assert.equal(proxied.status, direct.status, path);
    assert.deepEqual(Buffer.from(await proxied.arrayBuffer()), Buffer.from(await direct.arrayBuffer()), path);
  }
});

test("requests that are not navigations pass through untouched, even to a targeted page", async () => {
  const direct = Buffer.from(await (await fetch(`${origin.url}/product/42`)).arrayBuffer());
  const cookie = "wm_consent=in; wm_vid=anon-0123456789abcdef0123456789";
  for (const headers of [
    { "sec-fetch-dest": "empty", accept: "text/html", "hx-request": "true" },
    { "sec-fetch-dest": "iframe", accept: "text/html" },
    { accept: "*/*" },
  ]) {
    const response = await page("/product/42", { headers: { cookie, ...headers } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), null, JSON.stringify(headers));
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), direct, JSON.stringify(headers));
  }
});

test("a personalised page is private and uncacheable: no-store, without the origin's ETag and Content-Length", async () => {
  const headers = { cookie: "wm_consent=in", "accept-encoding": "identity" };
  const personal = await navigate("/product/cached", headers);
  assert.equal(personal.status, 200);
  assert.match(await personal.text(), /<h1>Hello <em>edge<\/em><\/h1>/);
  assert.equal(personal.headers.get("cache-control"), "private, no-store");
  assert.equal(personal.headers.get("etag"), null);
  assert.equal(personal.headers.get("content-length"), null);
  assert.equal(personal.headers.get("last-modified"), CACHE_HEADERS["last-modified"], "other headers are kept");
  // A page the edge leaves untouched keeps every header the origin sent.
  const untouched = await navigate("/cached", headers);
  assert.equal(await untouched.text(), ABOUT);
  assert.equal(untouched.headers.get("cache-control"), CACHE_HEADERS["cache-control"]);
  assert.equal(untouched.headers.get("etag"), CACHE_HEADERS.etag);
  assert.equal(untouched.headers.get("content-length"), String(Buffer.byteLength(ABOUT)));
});

test("non-GET requests and redirects pass through as the origin answered them", async () => {
  const cookie = "wm_consent=in; wm_vid=anon-0123456789abcdef0123456789";
  const form = { "content-type": "application/x-www-form-urlencoded" };
  const direct = await fetch(`${origin.url}/product/42`, { method: "POST", headers: form, body: "sku=42&qty=2" });
  const posted = await page("/product/42", {
    method: "POST",
    headers: { accept: "text/html", "sec-fetch-dest": "document", cookie, ...form },
    body: "sku=42&qty=2",
  });
  assert.equal(posted.status, 200);
  const html = await posted.text();
  assert.equal(html, await direct.text());
  assert.match(html, /POST \/product\/42: sku=42&qty=2/, "the method and body reached the origin");
  assert.equal(posted.headers.get("cache-control"), null);

  const moved = await navigate("/product/moved", { cookie });
  assert.equal(moved.status, 302, "not followed");
  assert.equal(moved.headers.get("location"), "/product/42");
  assert.equal(moved.headers.get("set-cookie"), "origin=1; Path=/");
  assert.equal(moved.headers.get("cache-control"), null);
  assert.equal(await moved.text(), "moved");
});

test("the rewriter's memory is bounded (8 MB): a long page streams through; a longer single tag fails that page, not the Worker", async () => {
  const headers = { cookie: "wm_consent=in", "accept-encoding": "identity" };
  const long = await navigate("/product/long", headers);
  const html = await long.text();
  assert.ok(html.length > 12_000_000, `${html.length} characters`);
  assert.match(html.slice(0, 5000), /<h1>Hello <em>edge<\/em><\/h1>/);
  assert.match(html.slice(-300), /id="waymark-edge-matched"/, "the end of the page went through the rewriter");

  // A 9 MB start tag is more than the rewriter may hold: the page is cut off with an error.
  const huge = await navigate("/product/huge-tag", headers);
  assert.equal(huge.status, 200, "the head was already on its way");
  const failure = await huge.text().then(
    (text) => ({ text }),
    (error) => ({ error }),
  );
  assert.ok(failure.error || !failure.text.includes("</html>"), "the page did not go through whole");
  assert.ok((failure.text ?? "").length < 9 * 1024 * 1024, "the tag was not passed on");

  const next = await navigate("/product/1", headers);
  assert.match(await next.text(), /<h1>Hello <em>edge<\/em><\/h1>/, "the Worker goes on serving");
});

test("proxy mode streams: the head arrives before the origin has finished", async () => {
  // Without compression: workerd gzips text/html for clients that accept it, which buffers.
  const headers = { cookie: "wm_consent=in", "accept-encoding": "identity" };
  const response = await navigate("/product/slow", headers);
  const reader = response.body.getReader();
  // The origin holds the rest of its page until the decision has come through the Worker: a
  // Worker that waited for the whole page would never send it.
  let head = "";
  while (!head.includes("waymark-edge-decision")) {
    const read = await Promise.race([reader.read(), sleep(30000, null, { ref: false })]);
    assert.ok(read && !read.done, `no personalised head while the origin holds the rest: ${head}`);
    head += Buffer.from(read.value).toString();
  }
  assert.ok(releaseSlow, "the origin was still holding its page");
  assert.doesNotMatch(head, /Original banner/);
  releaseSlow();
  releaseSlow = null;
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += Buffer.from(r.value).toString();
  assert.match(rest, /Original banner/);
});

test("a consent cookie saying out wins over the profile: no personalisation, and the visitor id is expired", async () => {
  const vid = "wm_vid=anon-0123456789abcdef0123456789";
  const headers = { authorization: `Bearer ${annToken}`, cookie: `wm_consent=out; ${vid}` };
  const response = await decide(["web://shop.example/product/1#banner"], headers);
  assert.equal(response.status, 200);
  assert.equal((await response.json()).propositions.length, 0, "Ann's profile says in, her cookie says out");
  assert.match(response.headers.get("set-cookie"), /^wm_vid=; Path=\/; Max-Age=0;/);
  const about = await navigate("/about", { cookie: `wm_consent=out; ${vid}` });
  assert.match(about.headers.get("set-cookie"), /^wm_vid=; Path=\/; Max-Age=0;/, "also on pages left untouched");
  const direct = Buffer.from(await (await fetch(`${origin.url}/about`)).arrayBuffer());
  assert.deepEqual(Buffer.from(await about.arrayBuffer()), direct);
  const fresh = await decide(["web://shop.example/product/1"], { cookie: "wm_consent=out" });
  assert.equal(fresh.headers.get("set-cookie"), null, "no id is set for a visitor who opted out");
  const consenting = await decide(["web://shop.example/product/1"], { cookie: "wm_consent=in" });
  assert.match(consenting.headers.get("set-cookie"), /^wm_vid=anon-/);
});

test("a token's cached snapshot is not served past the token's expiry", async () => {
  // Expiry is in whole seconds: at least 4 s of validity left for the first request.
  const short = waymark("token", "--profile", "ann", "--ttl", "5s");
  const exp = JSON.parse(Buffer.from(short.split(".")[1], "base64url")).exp * 1000;
  const home = ["web://shop.example/"];
  const first = await (await decide(home, { authorization: `Bearer ${short}` })).json();
  assert.equal(first.offers[0].items[0].offerId, "offer-gold");
  await sleep(Math.max(0, exp - Date.now()) + 50); // the Worker's clock is this machine's
  const expired = await (await decide(home, { authorization: `Bearer ${short}` })).json();
  assert.equal(expired.offers[0].items[0].offerId, "offer-fallback");
});

test("a token the central API refuses stops being served from the cache", async () => {
  const token = waymark("token", "--profile", "ann", "--ttl", "3h"); // its own cache entry
  const home = ["web://shop.example/"];
  const offer = async () => (await (await decide(home, { authorization: `Bearer ${token}` })).json()).offers[0].items[0].offerId;
  assert.equal(await offer(), "offer-gold");
  await sleep(1100); // past SNAPSHOT_TTL (1 s) since it was fetched: the next request revalidates
  refuse = true;
  try {
    await until(async () => (await offer()) === "offer-fallback", "the refused token's snapshot is dropped");
  } finally {
    refuse = false;
  }
});

test("a bundle update propagates through the cron trigger", async () => {
  const updated = structuredClone(bundle);
  updated.activities[0].content.actions[0].content = "Hello <em>v2</em>";
  const revision = await publish(updated);
  await cron();
  const html = await (await navigate("/product/1", { cookie: "wm_consent=in" })).text();
  assert.match(html, /<h1>Hello <em>v2<\/em><\/h1>/);
  assert.match(html, new RegExp(`"bundleRevision":${revision}`));
});

test("a tampered bundle is refused and the previous one keeps serving", async () => {
  const updated = structuredClone(bundle);
  updated.activities[0].content.actions[0].content = "Hello <em>v3</em>";
  await publish(updated);
  tamper = true;
  try {
    const response = await sync();
    assert.equal(response.status, 502);
    assert.match((await response.json()).bundle.error, /Signature does not verify/);
  } finally {
    tamper = false;
  }
  const html = await (await navigate("/product/1", { cookie: "wm_consent=in" })).text();
  assert.match(html, /<h1>Hello <em>v2<\/em><\/h1>/, "still the last good bundle");
  const response = await sync();
  assert.equal(response.status, 200);
  assert.equal((await response.json()).bundle.status, "updated");
  const fresh = await (await navigate("/product/1", { cookie: "wm_consent=in" })).text();
  assert.match(fresh, /<h1>Hello <em>v3<\/em><\/h1>/);
});

test("with the central API down the Worker still serves: last bundle, cached snapshots, offers falling back", async () => {
  const gold = { authorization: `Bearer ${annToken}` };
  const home = ["web://shop.example/"];
  const before = await (await decide(home, gold)).json(); // caches Ann's snapshot
  assert.equal(before.offers[0].items[0].offerId, "offer-gold");
  await api.stop();
  try {
    await whileDown(gold, home);
  } finally {
    await startApi();
  }
});

async function whileDown(gold, home) {
  await sleep(1100); // past SNAPSHOT_TTL: cached snapshots are stale now
  const cached = await (await decide(home, gold)).json();
  assert.equal(cached.offers[0].items[0].offerId, "offer-gold", "Ann's cached snapshot still serves");
  const stranger = await decide(home, { authorization: "Bearer wmt.eyJwIjoiem9lIiwiZXhwIjo5OTk5OTk5OTk5fQ.AAAA" });
  assert.equal(stranger.status, 200);
  assert.equal((await stranger.json()).offers[0].items[0].offerId, "offer-fallback");
  const html = await (await navigate("/product/1", { cookie: "wm_consent=in" })).text();
  assert.match(html, /<h1>Hello <em>v3<\/em><\/h1>/);
  assert.equal((await sync()).status, 502);
}

test("a hanging central API does not hold pages: the visitor decides without a snapshot", async () => {
  const fresh = waymark("token", "--profile", "ann", "--ttl", "2h"); // not cached yet
  hang = true;
  try {
    const response = await decide(["web://shop.example/"], { authorization: `Bearer ${fresh}` });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).offers[0].items[0].offerId, "offer-fallback");
    const cookie = "wm_consent=in; wm_vid=anon-fedcba9876543210fedcba9876"; // an id never looked up
    const html = await (await navigate("/product/1", { cookie })).text();
    assert.match(html, /waymark-edge-decision/);
    assert.match(html, /<h1>Hello <em>v3<\/em><\/h1>/);
    assert.ok(held.length >= 2, `${held.length} snapshot requests held`);
  } finally {
    hang = false;
    for (const res of held.splice(0)) res.destroy();
  }
});

test("a Worker without a bundle does not wait for a hanging central API", async () => {
  const hanging = [];
  const api = await serve((_req, res) => hanging.push(res));
  const worker = new Miniflare(
    workerOptions({
      WAYMARK_API_URL: api.url,
      WAYMARK_CLIENT_KEY: client,
      PROXY_ORIGINS: JSON.stringify([{ host: "*", origin: origin.url, site: "shop.example" }]),
    }),
  );
  try {
    const url = await worker.ready;
    const body = JSON.stringify({ request: { surfaces: ["web://shop.example/"] } });
    const decided = await fetch(new URL("/v1/decide", url), { method: "POST", body });
    assert.equal(decided.status, 503);
    const headers = { accept: "text/html", "sec-fetch-dest": "document" };
    const proxied = await fetch(new URL("/product/42", url), { headers });
    assert.equal(proxied.status, 200);
    const direct = await (await fetch(`${origin.url}/product/42`)).text();
    assert.equal(await proxied.text(), direct, "the origin's page, as it is");
  } finally {
    for (const res of hanging.splice(0)) res.destroy();
    await worker.dispose();
    api.close();
  }
});

/** Displays of `activityId` in the central API's report. */
async function displays(activityId) {
  const response = await fetch(`${apiUrl}/v1/reports`, { headers: { "x-waymark-key": admin } });
  const report = await response.json();
  return report.rows.filter((r) => r.activityId === activityId).reduce((n, r) => n + r.displays, 0);
}

const events = (ids) => ({
  events: ids.map((id) => ({ id, type: "display", timestamp: Date.now(), activityId: "hero-all", profileId: "ann" })),
});

async function postEvents(body) {
  // Ann's events need Ann's visitor token: the Worker keeps no profile id on its say-so.
  const headers = { authorization: `Bearer ${annToken}` };
  const response = await page("/v1/events", { method: "POST", headers, body: JSON.stringify(body) });
  assert.equal(response.status, 202, await response.clone().text());
  return response.json();
}

test("events are validated and forwarded exactly once, through retries and the outbox", async () => {
  const rejected = await page("/v1/events", { method: "POST", body: JSON.stringify({ events: [{ type: "display" }] }) });
  assert.equal(rejected.status, 422);

  // Down for the first attempt (seen failing at the relay): the retries deliver.
  await api.stop();
  const tried = eventPosts;
  assert.equal((await postEvents(events(["e1", "e2", "e3"]))).accepted, 3);
  await until(() => eventPosts > tried, "a first attempt while the central API is down");
  await startApi();
  await until(async () => (await displays("hero-all")) === 3, "the retried batch arrived");

  // The same ids again (a client retrying), with two new ones: counted once each.
  await postEvents(events(["e1", "e2", "e3", "e4", "e5"]));
  await until(async () => (await displays("hero-all")) === 5, "the new events arrived");

  // Down for longer than every retry: the batch waits in the outbox for the cron trigger.
  await api.stop();
  await postEvents(events(["e6", "e7"]));
  const outbox = await mf.getKVNamespace("OUTBOX");
  await until(async () => (await outbox.list()).keys.length === 1, "the batch is in the outbox");
  await startApi();
  assert.equal(await displays("hero-all"), 5);
  await cron(); // resolves once the outbox was sent and the central API answered
  assert.equal(await displays("hero-all"), 7);
  assert.equal((await outbox.list()).keys.length, 0);
  await cron(); // an empty outbox sends nothing twice
  assert.equal(await displays("hero-all"), 7);
});

test("without SYNC_TOKEN there is no /v1/sync; with it, a wrong or missing bearer is refused", async () => {
  const withoutToken = await fetch(new URL("/v1/sync", otherBase), { method: "POST", headers: { authorization: "Bearer anything" } });
  assert.equal(withoutToken.status, 404);
  assert.equal((await other.getKVNamespace("BUNDLES").then((kv) => kv.get("revision"))), "hostile", "nothing was synced");
  const wrong = await page("/v1/sync", { method: "POST", headers: { authorization: "Bearer not-the-secret" } });
  assert.equal(wrong.status, 401);
  const missing = await page("/v1/sync", { method: "POST" });
  assert.equal(missing.status, 401);
});

test("with COOKIE_CONSENT=not-required a new visitor gets an id cookie without consent, but never after saying out", async () => {
  const body = JSON.stringify({ request: { surfaces: ["web://shop.example/product/1"] } });
  const decideOther = (headers = {}) => fetch(new URL("/v1/decide", otherBase), { method: "POST", headers, body });
  const fresh = await decideOther();
  assert.equal(fresh.status, 200);
  assert.match(fresh.headers.get("set-cookie"), /^wm_vid=anon-[0-9a-f]{32}; Path=\/; Max-Age=31536000; SameSite=Lax; HttpOnly$/);
  assert.equal((await decideOther({ cookie: "wm_consent=out" })).headers.get("set-cookie"), null);
  // The default (`required`): no cookie without consent.
  assert.equal((await decide(["web://shop.example/product/1"])).headers.get("set-cookie"), null);
});

test("web actions whose CSS or attribute names would break out of the markup are left to the SDK", async () => {
  const headers = { accept: "text/html", "sec-fetch-dest": "document", cookie: "wm_consent=in", "accept-encoding": "identity" };
  const response = await fetch(new URL("/product/1", otherBase), { headers });
  assert.equal(response.status, 200);
  const html = await response.text();
  const script = html.match(/<script type="application\/json" id="waymark-edge-decision">(.*?)<\/script>/);
  assert.ok(script, html.slice(0, 500));
  const { decision, applied } = JSON.parse(script[1]);
  const hostileIds = HOSTILE_ACTIONS.map((a) => a.id).sort();
  const decided = decision.propositions.map((p) => p.activityId);
  assert.deepEqual(decided.filter((id) => hostileIds.includes(id)).sort(), hostileIds, "each was decided");
  assert.deepEqual(applied.map((a) => a.activityId), ["hero-all"], "only the safe proposition was applied");
  // Outside the decision (data for the SDK), the markup is the origin's plus hero-all's edits.
  const markup = html.replace(script[0], "");
  assert.match(markup, /<a class="cta" style="margin: 0;color: red;" href="\/buy">/);
  assert.match(markup, /<p id="banner">Original banner<\/p>/);
  for (const bad of ["evil.example", "onmouseover", "onfocus", "alert(", "\\22"]) assert.ok(!markup.includes(bad), bad);
});

test("cached snapshots expire from KV after SNAPSHOT_MAX_STALE seconds (a day by default, at least 60)", async () => {
  const within = (expiration, ttl, from, to) => expiration >= Math.floor(from / 1000) + ttl - 1 && expiration <= Math.ceil(to / 1000) + ttl + 1;
  // The main Worker (default): every snapshot cached during this file.
  const cached = (await (await mf.getKVNamespace("SNAPSHOTS")).list()).keys;
  assert.ok(cached.length >= 2, JSON.stringify(cached));
  for (const key of cached) assert.ok(within(key.expiration, 86400, startedAt, Date.now()), JSON.stringify(key));
  // The second Worker asks for 30 s: KV's floor, 60 s, applies.
  const before = Date.now();
  const response = await fetch(new URL("/v1/decide", otherBase), {
    method: "POST",
    headers: { authorization: `Bearer ${annToken}` },
    body: JSON.stringify({ request: { surfaces: ["web://shop.example/"] } }),
  });
  assert.equal((await response.json()).offers[0].items[0].offerId, "offer-gold", "Ann's snapshot was fetched");
  const kv = await other.getKVNamespace("SNAPSHOTS");
  await until(async () => (await kv.list()).keys.length === 1, "the snapshot is cached");
  const [key] = (await kv.list()).keys;
  assert.ok(within(key.expiration, 60, before, Date.now()), JSON.stringify(key));
});
