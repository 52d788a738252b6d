// Types of the Waymark browser SDK (sdk.js, loader.js). Bundles, decide inputs and decisions
// are typed in types.d.ts, generated from the engine's Rust types.
import type { Decision, OfferItem, Proposition as DecidedProposition } from "./types.js";

export type * from "./types.js";

export type ConsentValue = "in" | "out" | "pending";
export type Consent = ConsentValue | { personalize?: ConsentValue; track?: ConsentValue };

export interface WaymarkOptions {
  /** The central API's origin (default: the page's). Another origin must be allowed there with `waymark serve --cors-origin <the site's origin>`. */
  api?: string;
  /** A client key (`wmc_…`), sent in `X-Waymark-Key`, and in `?key=` of the events URL for `navigator.sendBeacon` when the page is hidden or left. */
  clientKey: string;
  /**
   * Ed25519 public key (base64) the compiled bundle, snapshots and zone rules must be signed with, or
   * "fetch" (the default) to read it from /v1/keys/signing on each page load: that trusts the
   * API's TLS certificate (no pinning). Every copy used is verified, fetched or cached, with the
   * label of what was asked for (`waymark-compiled-v1`, `waymark-snapshot-v1`, `waymark-zone-v1`); a snapshot must
   * also be for the profile asked for and not past its `expiresAt` (by `now`). There is no way to
   * turn verification off. A key read with "fetch" is kept with the cached copies and verifies
   * them while the API is down; with no key at all (the API unreachable on the first visit), no
   * copy is used, not even a cached one.
   */
  signingKey?: string;
  /** The page surface for a URL (default `web://<host><path>`). */
  surface?: (url: URL) => string;
  /** Further surfaces to decide (e.g. placements' surfaces). */
  surfaces?: string[];
  /** Selectors hidden until rendered on SPA navigations (the snippet hides them on load). */
  hide?: string[];
  /** How long to wait for late elements and to keep surfaces hidden, in ms (default 1000). */
  timeout?: number;
  /** Placement id → container selector for its offers. */
  placements?: Record<string, string>;
  /** Container selector for the default card UI. */
  cards?: string;
  /**
   * Consent until the site or the profile says otherwise (default "pending"). Nothing is stored
   * before consent (the event queue needs `track`, the rest `personalize`): it is kept in memory.
   * "out" removes the visitor id, state, cached snapshots and zone rules and the queue; consent set in another
   * tab applies here too (local storage).
   */
  consent?: Consent;
  /** Where the SDK keeps its state (default "local"). */
  storage?: "local" | "session" | "memory";
  /** Storage key prefix (default "waymark"). */
  namespace?: string;
  /** Cached bundles, snapshots and zone rules younger than this are used at once and revalidated in the background (ms, default one day). */
  maxAge?: number;
  /** Initial decision context. */
  context?: Record<string, unknown>;
  /** The clock (default Date.now), for demos and tests. */
  now?: () => number;
  /** Opens an action URL (default location.assign); a native bridge takes precedence. */
  navigate?: (url: string) => void;
  /** Hook the History API to decide again on SPA navigations (default true). */
  spa?: boolean;
  /**
   * Use the edge Worker's decision for the first view (default false): a
   * `<script type="application/json" id="waymark-edge-decision">` in `<head>` whose `nonce` is
   * the one in this response's `Server-Timing: waymark-edge;desc="…"` header, read once and
   * removed. Scripts with another nonce, and elements with that id outside `<head>`, are ignored.
   */
  edge?: boolean;
  /** How long to wait for the API (bundle, snapshot, signing key), in ms, before using the cached copy or the page's defaults (default 3000). */
  fetchTimeout?: number;
  /** Where the engine's .wasm is (default beside wasm/runtime.js). */
  wasmUrl?: string | URL;
}

export interface Card {
  id: string;
  title: string;
  body: string;
  image?: { url: string; darkUrl?: string; alt?: string };
  actionUrl?: string;
  buttons: { id: string; text: string; actionUrl?: string; dismiss: boolean }[];
  dismissible: boolean;
  template: string;
  publishedAt?: string;
  expiresAt?: string;
  surface: string;
  read: boolean;
}

export interface CardFeed {
  list(): Card[];
  markRead(id: string): void;
  dismiss(id: string): void;
  click(id: string): void;
  subscribe(fn: (cards: Card[]) => void): () => void;
}

/** An event as sent to POST /v1/events. */
export interface TrackedEvent {
  id: string;
  type: "display" | "click" | "dismiss" | "custom";
  name?: string;
  profileId: string;
  timestamp: number;
  activityId?: string;
  variantId?: string;
  offerId?: string;
  placementId?: string;
  decisionId?: string;
  data?: Record<string, unknown>;
}

/**
 * What `propositions` gives: an activity chosen for a surface, or an offer item chosen for a
 * placement, each with the ids its events carry.
 */
export type Proposition =
  | (DecidedProposition & { decisionId: string })
  | (OfferItem & { placementId: string; surface: string; decisionId: string });

export interface Waymark {
  configure(options: WaymarkOptions): Promise<unknown>;
  /**
   * Signs the visitor in (`{profileId, token}`, a visitor token from the site's backend) or out
   * (null). Signing in with a token and tracking consent merges this browser's anonymous id into
   * the profile on the API (`POST /v1/profiles/{id}/merge`), once per pair; signing out starts a
   * new anonymous id.
   */
  identify(who: { profileId: string; token?: string } | null): Promise<unknown>;
  consent(value: Consent): Promise<unknown> | void;
  context(values: Record<string, unknown>): void;
  refresh(): Promise<unknown>;
  sendEvent(event: { name: string; data?: Record<string, unknown> }): Promise<unknown>;
  readonly cards: CardFeed;
  /**
   * What the page decision holds for content the site renders itself (code-based experiences,
   * JSON offers), once the decision under way is made: `{surface}` the propositions on a surface
   * (`"#banner"` matches that fragment on this page), `{placement}` the offer items of a
   * placement, `{}` every proposition.
   */
  propositions(query?: { surface?: string; placement?: string }): Promise<Proposition[]>;
  /** Tracks a display of a proposition from `propositions` (once per page view). */
  displayed(proposition: Proposition): void;
  /** Tracks a click on a proposition from `propositions`. */
  clicked(proposition: Proposition): void;
  on(type: "decision", fn: (decision: Decision) => void): () => void;
  on(type: "event", fn: (event: TrackedEvent) => void): () => void;
  on(type: "error", fn: (error: Error) => void): () => void;
  flush(): Promise<void> | undefined;
  /** The last page decision (undefined before the first). */
  readonly decision: Decision | undefined;
}

export function createWaymark(): Waymark;
