// Bundle and snapshot sync: ETag revalidation, Ed25519 signature check (WebCrypto) on every copy
// used, fetched or cached, a cached last good copy, stale-while-revalidate within `maxAge`.
// The API signs a type label, a newline and the body (crates/server/README.md): each resource
// is verified with the label of what was asked for, so a signature made for another kind of
// body does not verify. Without a key nothing is used: not even a cached copy.

const bytes = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
const base64 = (data) => {
  let text = "";
  for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(text);
};
// Keeps a leading BOM, so that the text encodes back to the exact bytes that were signed.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Imports a raw Ed25519 public key given in base64. */
export const importKey = (base64) =>
  crypto.subtle.importKey("raw", bytes(base64), { name: "Ed25519" }, false, ["verify"]);

/** The labels the API signs each kind of body with. */
export const LABELS = {
  bundle: "waymark-bundle-v1",
  compiled: "waymark-compiled-v1",
  snapshot: "waymark-snapshot-v1",
  zone: "waymark-zone-v1",
};

/** Whether `signature` (a `Waymark-Signature` value, `ed25519=<base64>`) verifies `label`, `\n`, `body`. */
async function verifies(key, label, signature, body) {
  try {
    const prefix = new TextEncoder().encode(`${label}\n`);
    const message = new Uint8Array(prefix.length + body.length);
    message.set(prefix);
    message.set(body, prefix.length);
    return (
      typeof signature === "string" &&
      signature.startsWith("ed25519=") &&
      (await crypto.subtle.verify("Ed25519", key, bytes(signature.slice(8)), message))
    );
  } catch {
    return false; // not base64, a malformed signature
  }
}

/** The key to verify with (`key`: a CryptoKey or a promise of one), or an error saying why none. */
async function keyFor(key, url) {
  try {
    const verifying = await key;
    if (verifying) return verifying;
  } catch {} // reported where the key is made
  throw new Error(`${url}: no signing key to verify with, so nothing from the API is used`);
}

/**
 * Fetches `url` revalidating `cached` ({body, etag, signature, at}); verifies `Waymark-Signature`
 * over `label`, a newline and the exact body bytes with `key` (a CryptoKey or a promise of one),
 * then `problem(body)` (a reason to refuse it, or ""); a 304 keeps the cached body and its
 * signature. Gives up after `timeout` ms. Rejects on a network error, a timeout, an HTTP error,
 * no key, a bad signature or a problem: the caller keeps its last good copy.
 */
export async function fetchSigned(url, headers, cached, { key, label, timeout = 3000, binary = false, problem = () => "" }) {
  const request = { ...headers };
  if (cached?.etag) request["if-none-match"] = cached.etag;
  const response = await fetch(url, {
    headers: request,
    cache: "no-store",
    credentials: "omit",
    signal: AbortSignal.timeout(timeout),
  });
  if (response.status === 304 && cached) return { ...cached, at: Date.now() };
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const body = new Uint8Array(await response.arrayBuffer());
  const signature = response.headers.get("waymark-signature");
  if (!(await verifies(await keyFor(key, url), label, signature, body))) {
    throw new Error(`${url}: the signature does not verify (as ${label})`);
  }
  // Binary bodies (compiled bundles) are kept in base64, text as text.
  const kept = binary ? base64(body) : decoder.decode(body);
  const refused = problem(kept);
  if (refused) throw new Error(`${url}: ${refused}`);
  return { body: kept, etag: response.headers.get("etag"), signature, at: Date.now() };
}

/**
 * A cached resource: `get()` resolves with the body text (bytes when `binary`), from the cache when younger than
 * `maxAge` (revalidated in the background), else from the network, falling back to the cache.
 * Options: `key` (a CryptoKey or a promise of one), `label` (what the signature must be for),
 * `maxAge`, `onError`, `timeout`, `binary`, and `problem(body)`, a reason to refuse a copy that
 * verifies (a snapshot for another profile, or expired), asked again at every read.
 * A cached copy is verified each time it is read from `store`: one that does not verify, or
 * has a problem, is discarded and the last good copy held in memory used instead (if it has
 * none); without a key, no cached copy is used. `onError` hears every failure; `get()` rejects
 * only when there is no good copy at all.
 */
export function cachedResource(store, name, url, headers, options) {
  const { key, label, maxAge, onError, timeout, binary = false, problem = () => "" } = options;
  let good = null; // the last copy fetched or verified, in memory
  const body = (copy) => (binary ? bytes(copy.body) : copy.body);
  const usable = (copy) => (copy && !problem(copy.body) ? copy : null);
  async function stored() {
    const copy = store.get(name);
    if (!copy) return usable(good);
    let signed;
    try {
      signed = binary ? bytes(copy.body) : new TextEncoder().encode(copy.body);
    } catch {
      store.remove(name); // not base64: not a copy this version wrote
      return usable(good);
    }
    // Without a key (the API unreachable for "fetch", a bad pinned key) it cannot be checked,
    // so it is not used.
    const verifying = await Promise.resolve(key).catch(() => null);
    if (!verifying) return usable(good);
    if (!(await verifies(verifying, label, copy.signature, signed))) {
      store.remove(name);
      onError(new Error(`${url}: the cached copy's signature does not verify, discarded`));
      return usable(good);
    }
    const refused = problem(copy.body);
    if (refused) {
      store.remove(name);
      onError(new Error(`${url}: the cached copy is refused, discarded: ${refused}`));
      return usable(good);
    }
    return (good = copy);
  }
  const refresh = async (cached) => {
    if (cached === undefined) cached = await stored();
    try {
      const fresh = await fetchSigned(url, headers, cached, { key, label, timeout, binary, problem });
      good = fresh;
      store.set(name, fresh);
      return body(fresh);
    } catch (error) {
      onError(error);
      if (cached) return body(cached);
      throw error;
    }
  };
  return {
    async get() {
      const cached = await stored();
      if (cached && Date.now() - cached.at < maxAge) {
        refresh(cached).catch(() => {});
        return body(cached);
      }
      return refresh(cached);
    },
    refresh: () => refresh(),
  };
}
