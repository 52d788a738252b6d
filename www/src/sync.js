// Bundle and snapshot sync: ETag revalidation, Ed25519 signature check (WebCrypto), a cached
// last good copy, stale-while-revalidate within `maxAge`.

const bytes = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** Imports a raw Ed25519 public key given in base64. */
export const importKey = (base64) =>
  crypto.subtle.importKey("raw", bytes(base64), { name: "Ed25519" }, false, ["verify"]);

/**
 * Fetches `url` revalidating `cached` ({body, etag, at}); verifies `Waymark-Signature` over the
 * exact body bytes when `key` (a CryptoKey or a promise of one) is given. Rejects on a network
 * error, an HTTP error or a bad signature: the caller keeps its last good copy.
 */
export async function fetchSigned(url, headers, cached, key) {
  const request = { ...headers };
  if (cached?.etag) request["if-none-match"] = cached.etag;
  const response = await fetch(url, { headers: request, cache: "no-store", credentials: "omit" });
  if (response.status === 304 && cached) return { ...cached, at: Date.now() };
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const body = new Uint8Array(await response.arrayBuffer());
  const verifying = await key;
  if (verifying) {
    const header = response.headers.get("waymark-signature") ?? "";
    const ok =
      header.startsWith("ed25519=") &&
      (await crypto.subtle.verify("Ed25519", verifying, bytes(header.slice(8)), body));
    if (!ok) throw new Error(`${url}: the signature does not verify`);
  }
  return { body: new TextDecoder().decode(body), etag: response.headers.get("etag"), at: Date.now() };
}

/**
 * A cached resource: `get()` resolves with the body text, from the cache when younger than
 * `maxAge` (revalidated in the background), else from the network, falling back to the cache.
 * `onError` hears every failure; `get()` rejects only when there is no copy at all.
 */
export function cachedResource(store, name, url, headers, key, maxAge, onError) {
  const refresh = async () => {
    const cached = store.get(name);
    try {
      const fresh = await fetchSigned(url, headers, cached, key);
      store.set(name, fresh);
      return fresh.body;
    } catch (error) {
      onError(error);
      if (cached) return cached.body;
      throw error;
    }
  };
  return {
    get() {
      const cached = store.get(name);
      if (cached && Date.now() - cached.at < maxAge) {
        refresh().catch(() => {});
        return Promise.resolve(cached.body);
      }
      return refresh();
    },
    refresh,
  };
}
