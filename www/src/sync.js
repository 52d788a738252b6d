// Bundle and snapshot sync: ETag revalidation, Ed25519 signature check (WebCrypto) on every copy
// used, fetched or cached, a cached last good copy, stale-while-revalidate within `maxAge`.

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

/** Whether `signature` (a `Waymark-Signature` value, `ed25519=<base64>`) verifies `body`. */
async function verifies(key, signature, body) {
  try {
    return (
      typeof signature === "string" &&
      signature.startsWith("ed25519=") &&
      (await crypto.subtle.verify("Ed25519", key, bytes(signature.slice(8)), body))
    );
  } catch {
    return false; // not base64, a malformed signature
  }
}

/**
 * Fetches `url` revalidating `cached` ({body, etag, signature, at}); verifies `Waymark-Signature`
 * over the exact body bytes when `key` (a CryptoKey or a promise of one) is given; a 304 keeps the
 * cached body and its signature. Gives up after `timeout` ms. Rejects on a network error, a
 * timeout, an HTTP error or a bad signature: the caller keeps its last good copy.
 */
export async function fetchSigned(url, headers, cached, key, timeout = 3000, binary = false) {
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
  const verifying = await key;
  if (verifying && !(await verifies(verifying, signature, body))) {
    throw new Error(`${url}: the signature does not verify`);
  }
  // Binary bodies (compiled bundles) are kept in base64, text as text.
  const kept = binary ? base64(body) : decoder.decode(body);
  return { body: kept, etag: response.headers.get("etag"), signature, at: Date.now() };
}

/**
 * A cached resource: `get()` resolves with the body text (bytes when `binary`), from the cache when younger than
 * `maxAge` (revalidated in the background), else from the network, falling back to the cache.
 * With a `key`, a cached copy is verified each time it is read from `store`: one that does not
 * verify is discarded and the last good copy held in memory used instead. `onError` hears every
 * failure; `get()` rejects only when there is no good copy at all.
 */
export function cachedResource(store, name, url, headers, key, maxAge, onError, timeout, binary) {
  let good = null; // the last copy fetched or verified, in memory
  const body = (copy) => (binary ? bytes(copy.body) : copy.body);
  async function stored() {
    const copy = store.get(name);
    if (!copy) return good;
    let signed;
    try {
      signed = binary ? bytes(copy.body) : new TextEncoder().encode(copy.body);
    } catch {
      store.remove(name); // not base64: not a copy this version wrote
      return good;
    }
    // Without a key (none configured, or "fetch" and the API unreachable) it cannot be checked.
    const verifying = await Promise.resolve(key).catch(() => null);
    if (!verifying || (await verifies(verifying, copy.signature, signed))) {
      return (good = copy);
    }
    store.remove(name);
    onError(new Error(`${url}: the cached copy's signature does not verify, discarded`));
    return good;
  }
  const refresh = async (cached) => {
    if (cached === undefined) cached = await stored();
    try {
      const fresh = await fetchSigned(url, headers, cached, key, timeout, binary);
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
