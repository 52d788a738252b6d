// Identity stitching at the edge: the built Worker in workerd (Miniflare) against the real
// central API (`waymark serve`) on 127.0.0.1. A request with a visitor token and an anonymous
// visitor-id cookie is a sign-in: the Worker merges the id into the token's profile, once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Miniflare } from "miniflare";
import { root, startWaymark, until, waymarkBin, workerOptions } from "./harness.mjs";

const bundle = JSON.parse(readFileSync(join(root, "tests/fixtures/edge/bundle.json"), "utf8"));
const ANN = { attributes: { firstName: "Ann" }, consent: { personalize: "in", track: "in" } };
const ANON = `anon-${"5a".repeat(16)}`;

let dir, db, admin, client, api, apiUrl, relay, mf, base, annToken;
/** Merge requests the Worker sent toward the central API (through the relay). */
const merges = [];

const waymark = (...args) => execFileSync(waymarkBin, [...args, "--db", db], { encoding: "utf8" }).trim();

/** Passes everything on to the central API, noting merge requests. */
async function relayHandler(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  if (req.url.endsWith("/merge")) merges.push({ url: req.url, body: JSON.parse(Buffer.concat(chunks)) });
  const headers = { ...req.headers };
  delete headers.host;
  delete headers["content-length"]; // fetch sets it from the body
  let upstream;
  try {
    upstream = await fetch(`${apiUrl}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
  } catch {
    return res.destroy(); // the central API is down: so is the connection
  }
  const out = Object.fromEntries([...upstream.headers].filter(([k]) => !["content-length", "content-encoding", "transfer-encoding"].includes(k)));
  res.writeHead(upstream.status, out).end(Buffer.from(await upstream.arrayBuffer()));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "waymark-edge-stitch-"));
  db = join(dir, "waymark.db");
  admin = waymark("keys", "create", "--admin");
  client = waymark("keys", "create", "--client");
  // A free port first: `serve` prints the address it was given.
  const port = await new Promise((done) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
  api = await startWaymark(["serve", "--db", db, "--listen", `127.0.0.1:${port}`]);
  apiUrl = `http://127.0.0.1:${port}`;
  const signing = await (await fetch(`${apiUrl}/v1/keys/signing`)).json();
  const published = await fetch(`${apiUrl}/v1/bundles`, { method: "POST", headers: { "x-waymark-key": admin }, body: JSON.stringify(bundle) });
  assert.equal(published.status, 201, await published.text());
  const put = await fetch(`${apiUrl}/v1/profiles/ann`, { method: "PUT", headers: { "x-waymark-key": admin }, body: JSON.stringify(ANN) });
  assert.ok(put.ok, await put.text());
  annToken = waymark("token", "--profile", "ann", "--ttl", "1h");
  relay = await new Promise((done) => {
    const server = createServer(relayHandler).listen(0, "127.0.0.1", () => done({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }));
  });
  mf = new Miniflare(
    workerOptions({
      WAYMARK_API_URL: relay.url,
      WAYMARK_CLIENT_KEY: client,
      WAYMARK_PUBLIC_KEY: signing.base64,
      SNAPSHOT_TTL: "1",
      API_TIMEOUT_MS: "1500",
    }),
  );
  base = await mf.ready;
});

after(async () => {
  await mf?.dispose();
  relay?.close();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The counter totals of `profile` at the central API (`"event target" → total`). */
async function counters(profile) {
  const response = await fetch(`${apiUrl}/v1/profiles/${profile}/snapshot`, { headers: { "x-waymark-key": admin } });
  assert.equal(response.status, 200);
  return Object.fromEntries((await response.json()).counters.items.map((i) => [`${i.event} ${i.target}`, i.total]));
}

const decide = (headers) =>
  fetch(new URL("/v1/decide", base), { method: "POST", headers, body: JSON.stringify({ request: { surfaces: ["web://shop.example/"] } }) });

test("a request with a visitor token and an anonymous cookie merges the id into the profile, once", async () => {
  const cookie = `wm_vid=${ANON}; wm_consent=in`;
  const posted = await fetch(new URL("/v1/events", base), {
    method: "POST",
    headers: { cookie },
    body: JSON.stringify({ events: [{ id: "p1", type: "custom", name: "probe", timestamp: Date.now() }] }),
  });
  assert.equal(posted.status, 202, await posted.text());
  await until(async () => (await counters(ANON))["probe *"] === 1, "the anonymous event at the central API");

  // Signed in on the site but no anonymous cookie yet: nothing to merge.
  assert.equal((await decide({ authorization: `Bearer ${annToken}` })).status, 200);
  // A token without its profile's signature is not a sign-in the central API accepts.
  const forged = `wmt.${Buffer.from(JSON.stringify({ p: "ann", exp: 9999999999 })).toString("base64url")}.AAAA`;
  assert.equal((await decide({ cookie, authorization: `Bearer ${forged}` })).status, 200);
  await until(() => merges.length === 1, "the forged sign-in's merge request");
  await sleep(200);
  assert.equal((await counters(ANON))["probe *"], 1, "a forged token merges nothing");

  assert.equal((await decide({ cookie, authorization: `Bearer ${annToken}` })).status, 200);
  await until(async () => (await counters("ann"))["probe *"] === 1, "the anonymous history on Ann's profile");
  assert.equal(merges.length, 2);
  assert.deepEqual(merges[1], { url: "/v1/profiles/ann/merge", body: { from: ANON } });
  assert.equal((await counters(ANON))["probe *"], undefined);
  const audit = await (await fetch(`${apiUrl}/v1/audit`, { headers: { "x-waymark-key": admin } })).json();
  assert.equal(audit.entries.filter((e) => e.action === "merge" && e.target === "profile/ann").length, 1);

  // The same visitor again: remembered, not asked again.
  for (let i = 0; i < 3; i++) assert.equal((await decide({ cookie, authorization: `Bearer ${annToken}` })).status, 200);
  await sleep(300);
  assert.equal(merges.length, 2);
});
