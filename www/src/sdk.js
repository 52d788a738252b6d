// The Waymark browser SDK: decides in the page with the wasm engine, applies the decision to the
// DOM, renders cards and in-app messages, and tracks what was shown. See sdk.d.ts for the API.
import init, { Runtime, applyStateChanges, recordEvent } from "./wasm/runtime.js";
import { createStore, gatedStore } from "./store.js";
import { LABELS, cachedResource, importKey } from "./sync.js";
import { applyAction, hide, queryAll } from "./dom.js";
import { createQueue } from "./track.js";
import { createFeed, renderCards } from "./cards.js";
import { showInApp } from "./inapp.js";
import { nativePost, nativeState } from "./bridge.js";
import { readEdge } from "./edge.js";

const DAY = 86400000;
const SESSION = 30 * 60000;
const CONSENTS = ["in", "out", "pending"];

const consentOf = (value) =>
  typeof value === "string" ? { personalize: value, track: value } : { ...value };

/** Creates an SDK instance; call `configure` first. */
/**
 * Whether a decision's surface is `wanted`: the same surface (scheme and host in any case, a
 * trailing slash or none), or, for a wanted `#fragment` alone, that fragment on any page.
 */
function sameSurface(surface, wanted) {
  const norm = (s) => {
    const [, scheme, host, path = "", fragment = ""] = /^([^:]+):\/\/([^/#]*)([^#]*)(#.*)?$/.exec(s) ?? [];
    return scheme === undefined ? s : `${scheme.toLowerCase()}://${host.toLowerCase()}${path.replace(/\/+$/, "")}${fragment}`;
  };
  return wanted.startsWith("#") ? surface.endsWith(wanted) : norm(surface) === norm(wanted);
}

export function createWaymark() {
  let config;
  let store;
  let queue;
  let engine; // Promise<Runtime>
  let matchedAtEdge; // Promise<Set<string> | null>, see edgeMatched()
  let bundle;
  let key;
  let identity; // {profileId, token} or null
  let localConsent; // what the site or the native app said, or undefined
  let context = {};
  let snapshot; // {resource, id}
  let zone; // {name, resource}: the browser's time zone rule, for anonymous visitors
  let fetching; // {maxAge, onError, timeout}: how cached resources fetch
  let pageView = 0; // page views: what displays are counted by
  let renders = 0; // decisions rendered: a new one ends the watching of the previous one's actions
  let unhide = () => {};
  let edge; // the edge's decision for the first page view, if any
  let native = null;
  let lastDecision = null;
  let started = null;
  let begun = false;
  const shown = new Set(); // `${pageView}|${target}`: one display per page view
  const listeners = new Map();
  const feed = createFeed({
    store: { get: (k) => store?.get(k), set: (k, v) => store?.set(k, v) },
    track: (type, card) => track(type, card.proposition),
  });

  const emit = (type, detail) => {
    for (const fn of listeners.get(type) ?? []) {
      try {
        fn(detail);
      } catch (error) {
        console.error(error);
      }
    }
    document.dispatchEvent(new CustomEvent(`waymark:${type}`, { detail }));
  };
  const report = (error) => emit("error", error);
  const now = () => (config.now ? config.now() : Date.now());

  // ---- identity, consent, local state

  function visitorId() {
    let id = store.get("id");
    if (!id) {
      const random = crypto.getRandomValues(new Uint8Array(18));
      id = `anon-${btoa(String.fromCharCode(...random)).replace(/\+/g, "-").replace(/\//g, "_")}`;
      store.set("id", id);
    }
    return id;
  }
  const profileId = () => identity?.profileId ?? visitorId();

  // Sign-in: the anonymous id's events and counters merge into the profile on the API, once per
  // (anonymous id, profile) pair (remembered in `merged`; the API answers a repeat the same),
  // with tracking consent; the profile's snapshot is fetched afresh after.
  async function stitch() {
    const from = store.get("id");
    const pair = `${from} ${identity?.profileId}`;
    if (!from || !identity?.token || !trackingAllowed() || store.get("merged") === pair) return;
    const r = await fetch(`${config.api}/v1/profiles/${encodeURIComponent(identity.profileId)}/merge`, {
      method: "POST",
      headers: { "x-waymark-key": config.clientKey, authorization: `Bearer ${identity.token}` },
      body: JSON.stringify({ from }),
      credentials: "omit",
      signal: AbortSignal.timeout(config.fetchTimeout),
    });
    if (!r.ok) throw new Error(`waymark: merging ${from} into the profile: HTTP ${r.status}`);
    store.set("merged", pair);
    store.remove(`snapshot:${identity.profileId}`);
    snapshot = null;
  }

  // The site's (or native app's) explicit choice, over the profile's, over the configured default.
  function consent(snapshotConsent) {
    return { ...consentOf(config.consent ?? "pending"), ...snapshotConsent, ...localConsent };
  }
  let profileConsent; // the consent in the visitor's latest snapshot
  const trackingAllowed = () => consent(profileConsent).track === "in";
  // What may be persisted: the site's own choices always; the event queue with tracking consent;
  // the rest (visitor id, state, snapshots, the bundle, card marks) with personalisation consent.
  const persistable = (k) =>
    k === "consent" || k === "identity" || consent(profileConsent)[k === "queue" ? "track" : "personalize"] === "in";

  // After a consent change (here or in another tab): persist what is now allowed, forget what
  // was refused.
  function consentChanged() {
    const c = consent(profileConsent);
    if (c.personalize === "out") {
      for (const k of store.keys()) if (/^(id|state|seen|snapshot:.*|zone:.*)$/.test(k)) store.remove(k);
      snapshot = null;
    }
    if (c.track === "out") {
      queue.clear();
      store.remove("queue");
    }
    store.persist();
  }

  function state() {
    const saved = store.get("state") ?? {};
    const t = now();
    if (!saved.sessionStart || t - (store.get("seen") ?? 0) > SESSION) saved.sessionStart = t;
    store.set("seen", t);
    saved.visitorId = visitorId();
    return saved;
  }
  const saveState = (text) => store.set("state", JSON.parse(text));

  // A signed snapshot is used only for the profile it was asked for, until its `expiresAt` (by
  // the SDK's clock, `now`): another visitor's, or an old one replayed, is refused.
  const snapshotProblem = (id) => (text) => {
    let s;
    try {
      s = JSON.parse(text);
    } catch {
      return "the snapshot is not JSON";
    }
    if (s?.profileId !== id) return `the snapshot is for ${JSON.stringify(s?.profileId)}, not ${JSON.stringify(id)}`;
    if (typeof s.expiresAt !== "number" || !(s.expiresAt > now())) return `the snapshot expired (expiresAt ${s.expiresAt}, now ${now()})`;
    return "";
  };

  function snapshotResource() {
    const id = profileId();
    if (snapshot?.id === id) return snapshot.resource;
    const headers = { "x-waymark-key": config.clientKey };
    if (identity?.token) headers.authorization = `Bearer ${identity.token}`;
    const url = `${config.api}/v1/profiles/${encodeURIComponent(id)}/snapshot`;
    const options = { key, label: LABELS.snapshot, problem: snapshotProblem(id), ...fetching };
    snapshot = { id, resource: cachedResource(store, `snapshot:${id}`, url, headers, options) };
    return snapshot.resource;
  }

  // The runtime carries no time zone table: a snapshot brings its profile's zone rule; for an
  // anonymous visitor the zone is the browser's, and its rule comes from /v1/zones/{name}
  // (signed, cached like snapshots). Reading the zone's name is all the browser is asked.
  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
    } catch {
      return null;
    }
  }
  function zoneRule() {
    const name = identity ? null : browserZone();
    if (!name) return null;
    if (zone?.name !== name) {
      const url = `${config.api}/v1/zones/${encodeURIComponent(name)}`;
      const options = { key, label: LABELS.zone, ...fetching };
      zone = { name, resource: cachedResource(store, `zone:${name}`, url, {}, options) };
    }
    return zone.resource.get().then(
      (text) => ({ name, rule: JSON.parse(text).rule }),
      () => null, // unknown to the API, or unreachable with nothing cached: the snapshot's zone
    );
  }

  // ---- tracking

  function track(type, proposition, extra = {}) {
    if (!proposition) return;
    const target = proposition.offerId ?? proposition.activityId;
    const local = { type, timestamp: now(), target };
    if (proposition.variantId) local.variant = proposition.variantId;
    saveState(recordEvent(JSON.stringify(store.get("state") ?? {}), JSON.stringify(local)));
    const event = {
      type,
      profileId: profileId(),
      timestamp: local.timestamp,
      decisionId: proposition.decisionId,
      ...(proposition.activityId && { activityId: proposition.activityId }),
      ...(proposition.variantId && { variantId: proposition.variantId }),
      ...(proposition.offerId && { offerId: proposition.offerId }),
      ...(proposition.placementId && { placementId: proposition.placementId }),
      ...extra,
    };
    send(event);
  }

  function send(event) {
    const c = consent(profileConsent);
    if (c.track === "out") return; // never sent, never kept
    // A known profile's events go with its visitor token: the API takes them only with it.
    queue.push(event, identity?.profileId === event.profileId ? identity.token : undefined);
    if (c.track === "in" && native) native({ type: "event", event });
    emit("event", event);
  }

  function display(proposition) {
    const id = `${pageView}|${proposition.surface ?? proposition.placementId}|${proposition.offerId ?? proposition.activityId}`;
    if (shown.has(id)) return;
    shown.add(id);
    track("display", proposition);
  }

  function navigate(url) {
    if (native) native({ type: "deepLink", url }); // in a webview, the app decides where links go
    else if (config.navigate) config.navigate(url);
    else location.assign(url);
  }

  // ---- deciding and rendering

  function pageSurface() {
    return config.surface ? config.surface(new URL(location.href)) : `web://${location.host}${location.pathname}`;
  }

  async function decide(event) {
    const [compiled, snapshotText, visitorZone] = await Promise.all([
      engine,
      snapshotResource().get().catch(() => null),
      zoneRule(),
    ]);
    const snap = snapshotText ? JSON.parse(snapshotText) : { profileId: profileId() };
    if (visitorZone) {
      snap.timeZone = visitorZone.name;
      snap.timeZoneRule = visitorZone.rule;
    }
    profileConsent = snap.consent;
    store.persist(); // the profile's consent may allow it
    snap.consent = consent(profileConsent);
    const input = {
      snapshot: snap,
      context,
      state: state(),
      now: now(),
      request: { surfaces: [pageSurface(), ...(config.surfaces ?? [])], event: event ?? null },
    };
    const decision = JSON.parse(compiled.decide(JSON.stringify(input)));
    saveState(applyStateChanges(JSON.stringify(store.get("state") ?? input.state), JSON.stringify(decision.stateChanges)));
    return decision;
  }

  function selectPropositions(decision, { surface, placement }) {
    if (!decision) return [];
    if (placement !== undefined) {
      return decision.offers
        .filter((p) => p.placementId === placement)
        .flatMap((p) => p.items.map((item) => ({ ...item, placementId: p.placementId, surface: p.surface, decisionId: decision.decisionId })));
    }
    return decision.propositions.filter((p) => surface === undefined || sameSurface(p.surface, surface)).map((p) => withIds(decision, p));
  }

  function withIds(decision, p) {
    return { ...p, decisionId: p.decisionId ?? decision.decisionId, variantId: p.variantId };
  }

  // An action that throws (an invalid selector) changes nothing; the rest of the decision renders.
  function apply(action, onClick, alive) {
    const failed = (error) => (report(error), 0);
    try {
      return applyAction(action, config.timeout, onClick, alive).catch(failed);
    } catch (error) {
      return Promise.resolve(failed(error));
    }
  }

  /**
   * Applies a page decision; `applied` lists the propositions an edge took, and the edge's list at
   * the end of the page says which of their actions matched an element there: the SDK applies the
   * others itself (an element the origin's HTML did not have, rendered later by the page).
   */
  async function render(decision, applied = [], nonce = "") {
    const view = ++renders;
    const edgeAt = (p) => applied.findIndex((a) => a.activityId === p.activityId && (!a.surface || a.surface === p.surface));
    const work = [];
    const cards = [];
    for (const raw of decision.propositions) {
      const p = withIds(decision, raw);
      const content = p.content;
      if (!content) {
        display(p); // an experiment's control: the original page is what shows
      } else if (content.channel === "web") {
        const at = edgeAt(p);
        const click = () => track("click", p);
        const alive = () => view === renders;
        const one = (matched) => (action, i) => {
          if (at < 0 || (matched && !matched.has(`${at},${i}`))) return apply(action, click, alive);
          if (action.trackClicks && !/^(remove|replaceHtml)$/.test(action.type)) {
            try {
              for (const element of queryAll(action.selector)) element.addEventListener("click", click);
            } catch (error) {
              report(error); // a selector the edge took but this browser does not
            }
          }
          return 1; // done at the edge
        };
        work.push(
          (at < 0 ? Promise.resolve(null) : edgeMatched(nonce))
            .then((matched) => Promise.all(content.actions.map(one(matched))))
            .then((counts) => {
              if (alive() && counts.some((n) => n > 0)) display(p);
            }),
        );
      } else if (content.channel === "card") {
        cards.push({ ...content, id: content.id ?? p.activityId, surface: p.surface, proposition: p });
      } else if (content.channel === "inApp") {
        showMessage(p);
      }
    }
    // A held-out visitor sees nothing, and is counted: an exposure of the variant "holdout".
    for (const r of decision.reasons ?? []) {
      if (r.outcome === "holdout") display({ activityId: r.id, surface: r.scope, variantId: "holdout", decisionId: decision.decisionId });
    }
    feed.set(cards);
    for (const placement of decision.offers ?? []) {
      const selector = config.placements?.[placement.placementId];
      for (const item of placement.items) {
        const p = { ...item, placementId: placement.placementId, surface: placement.surface, decisionId: decision.decisionId };
        const edgeDid = applied.some((a) => a.offerId === item.offerId || (a.placementId && a.placementId === placement.placementId));
        if (!selector || item.format === "json" || edgeDid) {
          if (edgeDid) display(p);
          continue;
        }
        const action = item.format === "html"
          ? { selector, type: "setHtml", content: item.content }
          : item.format === "image"
            ? { selector, type: "showImage", url: item.content.url, alt: item.content.alt }
            : { selector, type: "setText", content: String(item.content) };
        work.push(apply(action, null, () => view === renders).then((n) => n > 0 && view === renders && display(p)));
      }
    }
    await Promise.all(work.map((w) => Promise.race([w, new Promise((r) => setTimeout(r, 0))])));
    unhide();
    unhide = () => {};
    lastDecision = decision;
    emit("decision", decision);
    return decision;
  }

  function showMessage(p) {
    const shownNow = showInApp(p.content, (button) => {
      track(button.dismiss ? "dismiss" : "click", p);
      if (button.actionUrl) navigate(button.actionUrl);
    });
    // Every time a message opens is a display (frequencies count them), even twice in one page
    // view: unlike a page's content, it is not shown again by re-rendering.
    if (shownNow) track("display", p);
  }

  let chain = Promise.resolve();
  const serial = (fn) => (chain = chain.then(fn, fn).catch((error) => (report(error), null)));

  // In-app messages and cards follow this browser's own state (frequency, dismissals), which the
  // edge does not see: on an edge page they come from a local decision (none if it fails).
  const local = (p) => p.content?.channel === "inApp" || p.content?.channel === "card";
  async function withLocalMessages(decision) {
    const mine = await decide().then(
      (d) => d.propositions.filter(local).map((p) => ({ ...p, decisionId: d.decisionId })),
      (error) => (report(error), []),
    );
    return { ...decision, propositions: [...decision.propositions.filter((p) => !local(p)), ...mine] };
  }

  /**
   * Decides for the current URL and renders: a new page view when `navigation`, else the same
   * one decided again (what it already displayed is not counted again). Whatever fails, the
   * hidden surfaces are shown (the page's defaults).
   */
  function page(navigation = true) {
    return serial(async () => {
      if (navigation) pageView++;
      try {
        if (edge) {
          const { decision, applied, nonce } = edge;
          edge = null;
          await engine.catch(() => null); // the state functions need the wasm module
          saveState(applyStateChanges(JSON.stringify(state()), JSON.stringify(decision.stateChanges ?? {})));
          return await render(await withLocalMessages(decision), applied ?? [], nonce);
        }
        return await render(await decide());
      } catch (error) {
        unhide();
        unhide = () => {};
        throw error;
      }
    });
  }

  // ---- SPA navigations: History API hooks, no polling

  function hookHistory() {
    // A navigation changes the page surface (by default the path): a query string alone, such
    // as UTM tags a replaceState strips, is the same page.
    let last = pageSurface();
    const changed = () => {
      const here = pageSurface();
      if (here === last) return;
      last = here;
      const reveal = hide(config.hide ?? []);
      unhide = reveal;
      setTimeout(reveal, config.timeout); // this navigation's, whatever happens to later ones
      page();
    };
    for (const name of ["pushState", "replaceState"]) {
      const original = history[name];
      history[name] = function (...args) {
        const result = original.apply(this, args);
        changed();
        return result;
      };
    }
    addEventListener("popstate", changed);
  }

  /**
   * The `"proposition,action"` pairs the edge's actions matched, once the page is parsed (the
   * edge writes them at its end, with the nonce of its decision, so page content cannot pose as
   * them); null when the page has no such list (the edge's `applied` is then taken as done).
   */
  function edgeMatched(nonce) {
    return (matchedAtEdge ??= new Promise((resolve) => {
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", resolve, { once: true });
      else resolve();
    }).then(() => {
      const script = [...document.querySelectorAll('script[type="application/json"][id="waymark-edge-matched"]')].find(
        (s) => nonce && s.dataset.nonce === nonce,
      );
      try {
        return script ? new Set(JSON.parse(script.textContent).map(String)) : null;
      } catch {
        return null;
      }
    }));
  }

  // ---- the public API

  const api = {
    /**
     * Starts the SDK. Options: api, clientKey, signingKey (base64; default "fetch"), surface(url),
     * surfaces, hide, timeout, placements, cards (container selector), consent, storage,
     * namespace, maxAge, context, now, navigate, spa, edge, fetchTimeout.
     */
    configure(options) {
      if (config) return report(new Error("waymark: configure was already called"));
      config = { api: location.origin, timeout: 1000, fetchTimeout: 3000, maxAge: DAY, storage: "local", spa: true, ...options };
      const namespace = config.namespace ?? "waymark";
      store = gatedStore(createStore(config.storage, namespace), persistable);
      if (config.storage === "local") {
        addEventListener("storage", (e) => {
          if (e.key !== `${namespace}:consent`) return;
          localConsent = store.get("consent");
          consentChanged();
        });
      }
      native = nativePost();
      const handed = nativeState(report);
      identity = store.get("identity") ?? null;
      const storedConsent = store.get("consent");
      if (storedConsent) localConsent = storedConsent;
      context = { ...(config.context ?? {}) };
      if (handed) {
        if (handed.profileId) identity = { profileId: handed.profileId, token: handed.token };
        if (handed.consent) localConsent = consentOf(handed.consent);
        if (handed.context) context = { ...context, ...handed.context };
      }
      edge = config.edge ? readEdge(report) : null;
      if (edge?.visitorId && !identity && !store.get("id") && /^anon-[\w-]{22,}$/.test(edge.visitorId) && !store.get("merged")?.startsWith(edge.visitorId)) {
        store.set("id", edge.visitorId);
      }
      // Everything from the API is verified: with the key given (pinned), or by default read
      // from the API ("fetch"), which trusts its TLS certificate, and kept with the cached
      // copies: with the API unreachable, the key read on an earlier visit verifies them. No
      // key, nothing used.
      const keyUrl = `${config.api}/v1/keys/signing`;
      key =
        config.signingKey && config.signingKey !== "fetch"
          ? Promise.resolve(config.signingKey).then(importKey) // not base64: rejects, not throws
          : fetch(keyUrl, { signal: AbortSignal.timeout(config.fetchTimeout), credentials: "omit" })
              .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${keyUrl}: HTTP ${r.status}`))))
              .then(async (k) => {
                const imported = await importKey(k.base64);
                store.set("signingKey", k.base64);
                return imported;
              })
              .catch((error) => {
                const kept = store.get("signingKey");
                if (typeof kept !== "string") throw error;
                report(new Error(`waymark: ${error?.message ?? error}; verifying with the key read earlier`));
                return importKey(kept);
              });
      key.catch((error) => report(new Error(`waymark: no signing key (${error?.message ?? error}): nothing from the API is used`)));
      fetching = { maxAge: config.maxAge, onError: report, timeout: config.fetchTimeout };
      const headers = { "x-waymark-key": config.clientKey };
      // The compiled bundle: the page's runtime carries no bundle compiler.
      const compiled = `${config.api}/v1/bundle/compiled`;
      store.remove("bundle"); // the JSON bundle earlier versions cached
      bundle = cachedResource(store, "compiled", compiled, headers, { key, label: LABELS.compiled, binary: true, ...fetching });
      engine = Promise.all([init({ module_or_path: config.wasmUrl ?? new URL("./wasm/runtime_bg.wasm", import.meta.url) }), bundle.get()]).then(
        ([, bytes]) => {
          try {
            return new Runtime(bytes);
          } catch (error) {
            // A copy this runtime cannot load (made for another version of the encoding): drop
            // it and fetch the current one once.
            report(error);
            store.remove("compiled");
            return bundle.refresh().then((fresh) => {
              try {
                return new Runtime(fresh);
              } catch (again) {
                store.remove("compiled"); // never keep what cannot load
                throw again;
              }
            });
          }
        },
      );
      engine.catch(report);
      const url = `${config.api}/v1/events`;
      const beaconUrl = config.clientKey && `${url}?key=${encodeURIComponent(config.clientKey)}`;
      queue = createQueue({ url, headers, beaconUrl, store, allowed: trackingAllowed, onError: report });
      if (config.cards) {
        const container = document.querySelector(config.cards);
        if (container) renderCards(feed, container, (card) => display(card.proposition), navigate);
      }
      if (config.spa) hookHistory();
      // The first page view waits for the commands queued with configure (identify, consent,
      // context) so that it decides once, with all of them.
      started = Promise.resolve().then(() => ((begun = true), page()));
      return started;
    },
    /**
     * Identifies the visitor: `{profileId, token}` (a visitor token from the site's backend), or
     * null. Signing in merges the anonymous id's history into the profile (see stitch).
     */
    identify(who) {
      const before = identity;
      identity = who?.profileId ? { profileId: who.profileId, token: who.token } : null;
      if (identity) store.set("identity", identity);
      else store.remove("identity");
      if (before && !identity) {
        // Signed out: a new anonymous id (the merged one's events would reach the profile).
        store.remove(`snapshot:${before.profileId}`);
        store.remove("id");
      }
      serial(stitch);
      if (before?.profileId === identity?.profileId) return begun ? chain : started; // the same visitor
      return api.refresh();
    },
    /** Sets consent: "in" | "out" | "pending", or `{personalize, track}`. "out" drops queued events. */
    consent(value) {
      const next = consentOf(value);
      if (![next.personalize, next.track].every((v) => v === undefined || CONSENTS.includes(v))) {
        return report(new Error(`waymark: bad consent ${JSON.stringify(value)}`));
      }
      const before = JSON.stringify(consent(profileConsent));
      localConsent = { ...localConsent, ...next };
      store.set("consent", localConsent);
      consentChanged();
      if (localConsent.track !== "out") queue.flush();
      if (JSON.stringify(consent(profileConsent)) === before) return begun ? chain : started; // nothing changed
      return api.refresh();
    },
    /** Merges `values` into the decision context (e.g. `{cart: {total: 60}}`). */
    context(values) {
      context = { ...context, ...values };
    },
    /** Decides again for the current page (after identity, consent or context changes). */
    refresh() {
      return begun ? page(false) : started;
    },
    /**
     * Sends a custom event `{name, data?}`: recorded in local state, tracked, and decided on
     * (in-app messages it triggers are shown).
     */
    sendEvent({ name, data }) {
      return serial(async () => {
        const local = { type: name, timestamp: now(), ...(data && { data }) };
        saveState(recordEvent(JSON.stringify(state()), JSON.stringify(local)));
        send({ type: "custom", name, profileId: profileId(), timestamp: local.timestamp, ...(data && { data }) });
        const decision = await decide(local);
        for (const raw of decision.propositions) {
          if (raw.content?.channel === "inApp") showMessage(withIds(decision, raw));
        }
        emit("decision", decision);
        return decision;
      });
    },
    /** The card feed: list(), markRead(id), dismiss(id), click(id), subscribe(fn). */
    cards: feed,
    /**
     * What the page decision holds for content the site renders itself (code-based
     * experiences, JSON offers), once the decision under way is made: `{surface}` the
     * propositions on a surface (`"#banner"` matches that fragment on this page), `{placement}`
     * the offer items of a placement, `{}` every proposition. Each carries its ids: hand it to
     * `displayed` when it is shown and to `clicked` when it is clicked.
     */
    async propositions({ surface, placement } = {}) {
      await (begun ? chain : started);
      return selectPropositions(lastDecision, { surface, placement });
    },
    /** Tracks a display of a proposition from `propositions`: once per page view. */
    displayed(proposition) {
      display(proposition);
    },
    /** Tracks a click on a proposition from `propositions`. */
    clicked(proposition) {
      track("click", proposition);
    },
    /** Listens to "decision", "event" or "error"; returns the unsubscribe function. */
    on(type, fn) {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type).add(fn);
      return () => listeners.get(type).delete(fn);
    },
    /** Sends queued events now (when consent allows). */
    flush: () => queue.flush(),
    /** The last page decision. */
    get decision() {
      return lastDecision;
    },
    /** Used by the loader: the snippet's unhide function. */
    set unhide(fn) {
      unhide = fn;
    },
  };
  return api;
}
