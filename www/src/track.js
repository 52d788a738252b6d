// The event queue: persisted, batched, sent only with consent, retried with backoff and jitter,
// flushed when the page is hidden (sendBeacon, fetch keepalive as fallback). Every event gets
// its id once, when queued, and keeps it across retries, beacons and reloads: the API drops
// repeats by (profile, id), so each event counts once however often it is sent. An event of a
// known (signed-in) profile is queued with its visitor token, and every batch carries the tokens
// of its events (`"tokens"`): the API takes a known profile's events only with its token.

const MAX_QUEUE = 1000;
const BATCH = 100;

/**
 * @param {object} o
 * @param {string} o.url the events endpoint
 * @param {object} o.headers request headers (the client key)
 * @param {string} [o.beaconUrl] the events endpoint with the client key in `?key=`, for
 *   navigator.sendBeacon (which cannot set headers); without it, fetch keepalive only
 * @param {ReturnType<import("./store.js").createStore>} o.store
 * @param {() => boolean} o.allowed whether tracking consent is given
 * @param {(error: Error) => void} o.onError
 * @param {number} [o.delay] ms to gather a batch
 */
export function createQueue({ url, headers, beaconUrl, store, allowed, onError, delay = 1000 }) {
  let queue = store.get("queue") ?? [];
  let timer = 0;
  let failures = 0;
  let sending = null;
  const save = () => store.set("queue", queue);

  // The request body for `batch`: the events without their tokens, and the tokens once each.
  const payload = (batch) =>
    JSON.stringify({
      events: batch.map(({ token, ...event }) => event),
      tokens: [...new Set(batch.map((e) => e.token).filter((t) => typeof t === "string"))],
    });

  const schedule = (ms) => {
    if (!timer) timer = setTimeout(() => ((timer = 0), flush()), ms);
  };

  async function flush() {
    if (sending || !queue.length || !allowed()) return sending;
    const batch = queue.slice(0, BATCH);
    sending = (async () => {
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: payload(batch),
          keepalive: true,
          credentials: "omit",
        });
        // 4xx other than 408/429 will never succeed: drop the batch rather than retry forever.
        if (!response.ok && (response.status >= 500 || response.status === 408 || response.status === 429)) {
          throw new Error(`events: HTTP ${response.status}`);
        }
        if (!response.ok) onError(new Error(`events: HTTP ${response.status}, batch dropped`));
        const sent = new Set(batch.map((e) => e.id));
        queue = store.get("queue")?.filter((e) => !sent.has(e.id)) ?? queue.filter((e) => !sent.has(e.id));
        save();
        failures = 0;
      } catch (error) {
        failures++;
        onError(error);
        // Exponential backoff with full jitter, 1 s to 60 s.
        const cap = Math.min(60000, 1000 * 2 ** failures);
        schedule(cap / 2 + (Math.random() * cap) / 2);
      } finally {
        sending = null;
      }
      if (queue.length && !failures) schedule(0);
    })();
    return sending;
  }

  // Send while the page can still send. sendBeacon outlives the page and, its body being
  // text/plain with the key in the URL, needs no CORS preflight. A beacon's answer is never
  // seen, so its events stay queued: if the page lives on (only hidden), the next flush sends
  // them again by fetch and removes them when acknowledged; if the page is gone, the next page
  // load does. The API is idempotent by event id, so an event both beaconed and fetched counts
  // once: no loss, no duplicate. Without sendBeacon, or when it refuses (its 64 KB budget),
  // fetch keepalive sends instead. Leaving a page fires both pagehide and visibilitychange: an
  // unchanged queue is handed to sendBeacon once.
  let handed = "";
  const hidden = () => {
    if (!queue.length || !allowed()) return;
    const mark = `${queue.length}:${queue.at(-1).id}`;
    if (mark === handed) return;
    let beaconed = 0;
    while (beaconUrl && navigator.sendBeacon && beaconed < queue.length) {
      const body = payload(queue.slice(beaconed, beaconed + BATCH));
      if (!navigator.sendBeacon(beaconUrl, body)) break;
      beaconed += BATCH;
    }
    if (beaconed < queue.length) {
      clearTimeout(timer);
      timer = 0;
      flush();
    } else {
      handed = mark;
      schedule(delay);
    }
  };
  addEventListener("pagehide", hidden);
  document.addEventListener("visibilitychange", () => document.visibilityState === "hidden" && hidden());
  addEventListener("online", () => flush());
  // Events left by an earlier page (unsent, or beaconed but never acknowledged) go again.
  if (queue.length) schedule(delay);

  return {
    /** Queues an event (given its id here), with its profile's visitor token if any, and schedules a flush. */
    push(event, token) {
      const stored = store.get("queue");
      if (stored) queue = stored; // another tab may have sent or queued some
      queue.push({ id: crypto.randomUUID(), ...event, ...(token && { token }) });
      if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
      save();
      schedule(delay);
    },
    flush,
    /** Drops every queued event (consent withdrawn). */
    clear() {
      queue = [];
      save();
    },
    get size() {
      return queue.length;
    },
  };
}
