// Generated from the engine's Rust types (their JSON Schema) by crates/cli/tests/types.rs:
// do not edit; run WAYMARK_BLESS=1 cargo test -p waymark-cli --test types.
// Bundle: what a bundle holds. DecideInput: what a decision is made from. Decision: what
// it gives. Fields marked `?` may be left out (they have defaults) or be absent.

/** A delivery bundle. */
export interface Bundle {
  /** Always 1 for this engine; a newer format is refused with a clear error. */
  format: number;
  /** Names the bundle in reports and logs. */
  id: string;
  /** Set by the central API on publication; increases with every publication. */
  revision?: number;
  /** Bundle-wide settings. */
  settings?: Settings;
  /** Named conditions that activities and offers refer to with `{"audience": "name"}`. */
  audiences?: Record<string, Condition>;
  /** Named template fragments usable as `{{> name}}` in every template. */
  partials?: Record<string, string>;
  /** Web changes, cards, in-app messages and code-based experiences. */
  activities?: Activity[];
  /** The offer catalogue. */
  offers?: Offer[];
  /** Where offers show. */
  placements?: Placement[];
  /** How each placement's offers are chosen. */
  policies?: DecisionPolicy[];
  /** Activities and offers the engine skips with the reason `exhausted`. The central API
   * writes here the items whose `"scope": "global"` caps its event counts have reached,
   * besides any id the author lists. */
  exhausted?: string[];
  /** Activities and offers paused by the central API (`POST /v1/activities/{id}/pause`): they
   * are skipped with the reason `paused` until resumed. */
  paused?: string[];
}

/** Bundle-wide settings. */
export interface Settings {
  /** Whether to personalise while the visitor's consent is still pending (default: no). */
  personalizeWhenConsentPending?: boolean;
  /** Caps across every activity of a channel. */
  channelCaps?: ChannelCap[];
  /** How many cards a feed surface returns at most (default 10). */
  cardFeedSize?: number | null;
  /** URL schemes of the brand's own apps (`shopapp` for `shopapp://product/42`) allowed in
   * rendered URLs besides http, https, mailto, tel and sms: deep links in cards, in-app
   * buttons and webviews. Any other scheme renders as `about:invalid#waymark`. */
  appSchemes?: string[];
}

/** A cap across everything on a channel (e.g. at most 2 in-app messages a day). */
export interface ChannelCap {
  /** The channel whose activities it counts together. */
  channel: Channel;
  /** What is counted (displays by default). */
  event?: CapEvent;
  /** Over which period, in the profile's time zone. */
  period: Period;
  /** Activities of the channel are skipped once this many events are counted. */
  max: number;
}

/** The delivery channels. */
export type Channel = "web" | "card" | "inApp" | "code";

/** The events a cap counts: `"display"`, `"click"`, `"dismiss"`, or any other name for a custom
 * event type. */
export type CapEvent = string;

/** Cap periods. Days, weeks (starting Monday) and months are calendar periods in the profile's
 * time zone; a session is the host's session. */
export type Period = "session" | "day" | "week" | "month" | "lifetime";

/** A condition (or, for ranking formulas, any expression): the text language, JsonLogic, or a
 * reference to a named audience. */
export type Condition = string | {
  jsonlogic: unknown;
} | {
  audience: string;
};

/** One piece of personalisation: what to show where, to whom, and when. */
export interface Activity {
  /** Unique among the activities; reasons, tokens and reports use it. */
  id: string;
  /** For people (Studio, reports). */
  name?: string;
  /** The surfaces it applies to; wildcards allowed. */
  surfaces: Surface[];
  /** Who qualifies; everyone when absent. */
  audience?: Condition | null;
  /** When it is live. */
  schedule?: Schedule;
  /** 0–100; higher wins conflicts on the same surface. */
  priority?: number;
  /** The content everyone in the audience sees, unless an experiment splits them. */
  content?: Content | null;
  /** Splits the audience between variants; give either this or `content`. */
  experiment?: Experiment | null;
  /** Per-visitor (or global) limits on its displays, clicks or other events. */
  caps?: Cap[];
  /** Periods in the profile's time zone when the activity does not show. */
  quietHours?: TimeWindow[];
}

/** A surface URI such as web://shop.example/product#hero (scheme and host in any case); a trailing * matches every path below. */
export type Surface = string;

/** When something is live: from `start` (inclusive) to `end` (exclusive), RFC 3339. */
export interface Schedule {
  /** RFC 3339 (`2026-12-01T00:00:00Z`, `2026-12-01T09:00:00+01:00`); live from then on. */
  start?: string | null;
  /** RFC 3339; not live from then on. Must be after `start`. */
  end?: string | null;
}

/** The content of one activity (or one experiment variant) on its channel. */
export type Content = {
  channel: "web";
  /** Applied in order. */
  actions: WebAction[];
} | {
  channel: "card";
  /** Text (a template, not escaped: the UI sets it as text). */
  title: string;
  /** Text (a template, not escaped). */
  body?: string;
  /** Shown by the default UI's layouts (`template`). */
  image?: Image | null;
  /** Where a click on the card leads (a URL template, URL-checked). */
  actionUrl?: string | null;
  /** Buttons under the card. */
  buttons?: Button[];
  /** Whether the visitor may dismiss it; a dismissed card is not shown again (reason
   * `dismissed`). */
  dismissible?: boolean;
  /** The layout the default UI uses. */
  template?: CardTemplate;
  /** RFC 3339; before it the card is not shown (reason `schedule`, `not published yet`).
   * Shown to the host as is; the feed is in priority order (highest first, then by
   * activity id), not by this date. */
  publishedAt?: string | null;
  /** RFC 3339; from it on the card is not shown (reason `schedule`, `expired`). Must be
   * after `publishedAt`. */
  expiresAt?: string | null;
  /** Free key/values handed to the host untouched. */
  meta?: Record<string, unknown>;
} | (InApp & {
  channel: "inApp";
}) | ({
  channel: "code";
} & ({
  format: "json";
  /** Any JSON; its string values are templates, not escaped. */
  content: unknown;
} | {
  format: "html";
  /** A template whose values are HTML-escaped. */
  content: string;
}));

/** One DOM change on the elements a CSS selector finds. `selector` may pierce shadow roots with
 * `>>>` (e.g. `shop-header >>> .banner`). */
export type WebAction = {
  /** A CSS selector; every element it finds is changed, including elements that appear
   * later (within the SDK's timeout) or that a single-page app re-renders. */
  selector: string;
  /** Whether clicks on the changed element are tracked. */
  trackClicks?: boolean;
} & ({
  type: "setHtml";
  /** HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup). */
  content: string;
} | {
  type: "setText";
  /** Text: a template rendered without escaping, set as the element's text. */
  content: string;
} | {
  type: "setAttribute";
  /** Attribute name → value template. Values of URL attributes (`href`, `src`, `action`,
   * `formaction`, …) are URL-checked; `srcdoc` is HTML-escaped; the rest are text. Event
   * handler attributes (`on…`) are refused. */
  attributes: Record<string, string>;
} | {
  type: "setStyle";
  /** CSS property → value, applied as written (not templates). */
  properties: Record<string, string>;
  /** Whether the properties are set `!important`. */
  important?: boolean;
} | {
  type: "setImageSource";
  /** A URL template; a URL of a scheme not allowed renders as `about:invalid#waymark`. */
  src: string;
} | {
  type: "insertBefore";
  /** HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup). */
  content: string;
} | {
  type: "insertAfter";
  /** HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup). */
  content: string;
} | {
  type: "appendHtml";
  /** HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup). */
  content: string;
} | {
  type: "prependHtml";
  /** HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup). */
  content: string;
} | {
  type: "replaceHtml";
  /** HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup). */
  content: string;
} | {
  type: "remove";
} | {
  type: "move";
  left?: string | null;
  top?: string | null;
} | {
  type: "resize";
  width?: string | null;
  height?: string | null;
} | {
  type: "rearrange";
  /** The index of the child to move, among the element's children. */
  from: number;
  /** Where it goes, as an index among the children before the move. */
  to: number;
} | {
  type: "trackClicks";
});

/** An image with its dark-mode variant and alt text. */
export interface Image {
  /** A URL template, URL-checked. */
  url: string;
  /** Shown instead of `url` when the host is in dark mode (URL-checked). */
  darkUrl?: string | null;
  /** Text (a template). */
  alt?: string;
}

/** A card or message button. */
export interface Button {
  /** Echoed in the click event, so reports can tell buttons apart. */
  id: string;
  /** Text (a template). */
  text: string;
  /** Where the button leads; absent for a button that only dismisses. */
  actionUrl?: string | null;
  /** Whether pressing it also dismisses the card or message. */
  dismiss?: boolean;
}

/** Card layouts of the default UI. */
export type CardTemplate = "smallImage" | "largeImage" | "imageOnly";

/** In-app layouts. */
export type Layout = "modal" | "banner" | "fullscreen";

/** Where a banner sits. */
export type Position = "top" | "center" | "bottom";

/** When an in-app message shows. */
export type Trigger = {
  on: "pageView";
} | {
  on: "event";
  /** The event's type, e.g. `addToCart`. */
  type: string;
  /** Must also hold; the event is visible as `event`. */
  condition?: Condition | null;
};

/** How often one visitor sees an in-app message. */
export type DisplayFrequency = {
  show: "everyTime";
} | {
  show: "once";
} | {
  show: "untilClicked";
} | {
  show: "times";
  times: number;
};

/** An in-app message. */
export type InApp = {
  layout: Layout;
  /** Where a banner sits (the other layouts are centred). */
  position?: Position;
  /** Buttons under a structured message (an HTML message draws its own). */
  buttons?: Button[];
  /** When it shows: on page views (the default) or on an event. */
  trigger?: Trigger;
  /** How often one visitor sees it. */
  frequency?: DisplayFrequency;
} & ({
  html: string;
} | {
  /** Text (a template). */
  title: string;
  /** Text (a template). */
  body?: string;
  image?: Image | null;
});

/** An experiment over an activity's audience.
 * 
 * Each unit (the visitor id) falls in a bucket `hash::bucket(seed, unit)` in `0..10000`. Buckets
 * below `holdout` are held out and see nothing from the activity; the rest are split between the
 * variants in proportion to their weights (or the bandit weights, when the bundle carries them).
 * Assignments are sticky: once made they are kept in the visitor's state. */
export interface Experiment {
  /** Unique among the experiments; assignments are kept under it. */
  id: string;
  /** Defaults to the experiment id; change it to reshuffle everyone. */
  seed?: string | null;
  /** Buckets (out of 10000) held out of the activity. */
  holdout?: number;
  /** The arms, in the order buckets are given out. */
  variants: Variant[];
  /** Per-variant weights recomputed by the central API (Thompson sampling); used for new
   * assignments instead of the authored weights when present. */
  bandit?: number[] | null;
  /** What the central API's bandit and report count as a success; clicks when absent. */
  reward?: Reward | null;
}

/** One arm of an experiment. A variant without content is a control that shows the page as is. */
export interface Variant {
  /** Unique within the experiment; the proposition's `variantId`. */
  id: string;
  /** Relative traffic weight. */
  weight: number;
  /** What this arm shows; none for a control. */
  content?: Content | null;
}

/** An experiment's success: `"click"` (a click per display, the default), or the name of a
 * custom event (a conversion) a visitor sends within `windowHours` after a display of the
 * variant (a conversion per visitor shown the variant). */
export interface Reward {
  /** `click`, or a custom event's name (not `display` or `dismiss`). */
  event: string;
  /** The attribution window of a conversion, in hours after the display (1 to 720; 168, a
   * week, when absent). Clicks ignore it. */
  windowHours?: number | null;
}

/** A cap: at most `max` events of a kind per period, counted per visitor (the default) or, with
 * `"scope": "global"`, across all visitors together. */
export interface Cap {
  /** What is counted: displays, clicks, or a named custom event. */
  event?: CapEvent;
  /** Over which period events count, in the profile's time zone. */
  period: Period;
  /** The item is skipped once this many events are counted. */
  max: number;
  /** Whose events count: the visitor's own (`"profile"`, the default), or everyone's
   * (`"global"`, period `"lifetime"` only). */
  scope?: CapScope;
}

/** Whose events a cap counts.
 * 
 * A runtime sees one visitor, so it enforces only `profile` caps. A `global` cap (e.g. the
 * first 1,000 redemptions of an offer) is counted by the central API over every ingested
 * event; when the count reaches `max` the API republishes the bundle with the item in
 * `exhausted`, and runtimes skip it from their next sync with the reason `exhausted`. */
export type CapScope = "profile" | "global";

/** A daily window `from`–`to` ("HH:MM", 24 h; may cross midnight) on the given weekdays
 * (1 = Monday … 7 = Sunday; every day when empty). */
export interface TimeWindow {
  /** The window's start, inclusive. */
  from: string;
  /** The window's end, exclusive; at or before `from`, the window crosses midnight. */
  to: string;
  /** The weekdays it starts on; every day when empty. */
  days?: number[];
}

/** An offer item. */
export interface Offer {
  /** Unique among the offers. */
  id: string;
  /** For people (Studio, reports); conditions see it as `offer.name`. */
  name?: string;
  /** Who may receive it; everyone when absent. */
  eligibility?: Condition | null;
  /** Higher ranks first under priority ranking. */
  priority?: number;
  /** When it may be chosen. */
  schedule?: Schedule;
  /** Free labels, visible as `offer.tags` (e.g. to filter in a collection). */
  tags?: string[];
  /** Catalogue attributes, usable in eligibility conditions, collection filters, ranking
   * formulas and representation templates as `offer.attributes.<key>` (in the bundle's key
   * order, like all JSON data). Those see an offer as `{id, name, priority, tags,
   * attributes}`; a condition reading any other `offer.<field>` is refused. */
  attributes?: Record<string, unknown>;
  /** Per-visitor (or global) limits on its displays, clicks or other events. */
  caps?: Cap[];
  /** How the offer looks in each placement, keyed by placement id. */
  representations: Record<string, Representation>;
}

/** An offer's content for one placement: a template of the placement's format. */
export type Representation = {
  format: "text";
  /** A template, not escaped (the SDK sets it as text). */
  content: string;
} | {
  format: "html";
  /** A template whose values are HTML-escaped. */
  content: string;
} | {
  format: "image";
  /** URL-checked. */
  url: string;
  /** Text (a template). */
  alt?: string;
} | {
  format: "json";
  /** Any JSON; its string values are templates, not escaped. */
  content: unknown;
};

/** Where offers go: a surface and the format it takes. */
export interface Placement {
  /** Unique among the placements; offers' representations and policies refer to it. */
  id: string;
  /** Where its offers show, usually a fragment (`web://shop.example/#offer`). */
  surface: Surface;
}

/** How a placement's offers are chosen. */
export interface DecisionPolicy {
  /** Unique among the policies. */
  id: string;
  /** The placement it decides for (one policy per placement; the first one counts). */
  placement: string;
  /** Which items are candidates, over `{offer, profile, context}`; all items when absent. */
  collection?: Condition | null;
  /** How candidates are ordered (by priority when absent). */
  ranking?: Ranking;
  /** How many items to return. */
  top?: number;
  /** Shown when nothing else is eligible; never capped, scheduled or filtered. */
  fallback?: string | null;
}

/** How candidates are ordered. */
export type Ranking = {
  by: "priority";
} | {
  by: "formula";
  /** The score: a number over `{offer, profile, context}`. */
  formula: Condition;
} | {
  by: "bandit";
  /** Offer id → weight, highest first. */
  weights: Record<string, number>;
};

/** Everything one decision depends on. Time and identity are explicit: the same input always
 * gives the same decision. */
export interface DecideInput {
  /** The profile as the central API last served it; an empty profile when absent. */
  snapshot?: Snapshot;
  /** Request data visible to conditions and templates as `context` (page, cart, device...). */
  context?: unknown;
  /** The visitor's local state as persisted by the host. */
  state?: State;
  /** "Now", unix milliseconds. */
  now: number;
  request: Request;
}

/** A profile snapshot: the attributes the bundle uses, consent, and counters. */
export interface Snapshot {
  /** The profile id; also the unit experiments bucket on (else `state.visitorId`). */
  profileId?: string;
  /** Visible to conditions and templates as `profile`. */
  attributes?: unknown;
  /** Audience memberships computed centrally; visible as `profile.audiences`. */
  audiences?: string[];
  consent?: Consent;
  /** IANA time zone for calendar caps, quiet hours and the date helpers; UTC when absent or
   * unknown. */
  timeZone?: string | null;
  /** The POSIX TZ rule of `time_zone` (`CET-1CEST,M3.5.0,M10.5.0/3`), as the central API
   * serves it. When present it is the zone's rule; when absent, an engine loaded from a
   * compiled bundle knows only the zones the bundle carries (an engine compiled from JSON
   * also knows its built-in table), and treats any other zone as unknown. */
  timeZoneRule?: string | null;
  counters?: Counters;
}

/** The visitor's consent. */
export interface Consent {
  personalize?: ConsentState;
}

/** A consent answer. */
export type ConsentState = "in" | "out" | "pending";

/** Central event counts per target, up to `watermark`; local events after it add to them. */
export interface Counters {
  /** Unix ms of the newest event the central API counted. */
  watermark?: number;
  items?: Counter[];
}

/** Counts of one event kind for one activity or offer. */
export interface Counter {
  /** An activity or offer id. */
  target: string;
  /** `display`, `click`, `dismiss` or a custom event name. */
  event: string;
  total?: number;
  /** Counts per calendar day (`YYYY-MM-DD`, in the profile's time zone). */
  days?: Record<string, number>;
}

/** What the host keeps for the visitor between decisions. */
export interface State {
  /** The visitor's own id (anonymous), used for bucketing when the snapshot has no profile id. */
  visitorId?: string;
  /** When the current session started (unix ms); session caps count events since then. */
  sessionStart?: number;
  /** Sticky experiment assignments: experiment id → variant id (or `"holdout"`). */
  assignments?: Record<string, string>;
  /** Recent events, oldest first (see [`State::record`](crate::engine::State::record)). */
  events?: LocalEvent[];
}

/** An event the visitor caused, as kept in local state and visible to conditions as `events`. */
export interface LocalEvent {
  /** `display`, `click`, `dismiss`, or a custom event name such as `addToCart`. */
  type: string;
  /** Unix ms. */
  timestamp: number;
  /** The activity or offer it concerns, if any. */
  target?: string | null;
  variant?: string | null;
  /** Free data (e.g. the product viewed), visible to conditions. */
  data?: unknown;
}

/** What to decide. */
export interface Request {
  /** Surfaces to resolve. A page surface (no `#fragment`) resolves every activity on the page
   * and every placement on it. */
  surfaces: string[];
  /** The event that triggered this decision (for in-app triggers), if any. */
  event?: LocalEvent | null;
}

/** The result of [`Engine::decide`](super::Engine::decide). */
export interface Decision {
  /** Identifies this decision; events echo it. A hash of the inputs, so deterministic. */
  decisionId: string;
  /** The bundle revision decided with. */
  bundleRevision: number;
  /** Chosen activities, in surface order then priority order. */
  propositions: Proposition[];
  /** Chosen offers per placement. */
  offers: PlacementDecision[];
  /** Why each candidate was chosen, skipped or suppressed. */
  reasons: Reasons;
  /** What the host should persist (new sticky assignments). */
  stateChanges: StateChanges;
  /** Problems met while rendering or evaluating (type mismatches, missing values...). */
  diagnostics?: string[];
}

/** One activity chosen for one surface. */
export interface Proposition {
  /** The requested surface it was chosen for. */
  surface: string;
  activityId: string;
  experimentId?: string | null;
  variantId?: string | null;
  channel: Channel;
  priority: number;
  /** The rendered content; `None` for an experiment's control variant, which shows the page as
   * it is but is still tracked. */
  content?: Rendered | null;
  /** Echoed in display, click and dismiss events: `decisionId:activityId:variantId`. */
  token: string;
}

/** Content with every template rendered for the visitor. */
export type Rendered = {
  channel: "web";
  actions: RenderedAction[];
} | (RenderedCard & {
  channel: "card";
}) | (RenderedInApp & {
  channel: "inApp";
}) | {
  channel: "code";
  format: string;
  content: unknown;
};

/** A DOM action with rendered content. */
export type RenderedAction = {
  selector: string;
  trackClicks?: boolean;
} & ({
  type: "setHtml";
  /** HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup). */
  content: string;
} | {
  type: "setText";
  /** Text: a template rendered without escaping, set as the element's text. */
  content: string;
} | {
  type: "setAttribute";
  /** Attribute name → value template. Values of URL attributes (`href`, `src`, `action`,
   * `formaction`, …) are URL-checked; `srcdoc` is HTML-escaped; the rest are text. Event
   * handler attributes (`on…`) are refused. */
  attributes: Record<string, string>;
} | {
  type: "setStyle";
  /** CSS property → value, applied as written (not templates). */
  properties: Record<string, string>;
  /** Whether the properties are set `!important`. */
  important?: boolean;
} | {
  type: "setImageSource";
  /** A URL template; a URL of a scheme not allowed renders as `about:invalid#waymark`. */
  src: string;
} | {
  type: "insertBefore";
  /** HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup). */
  content: string;
} | {
  type: "insertAfter";
  /** HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup). */
  content: string;
} | {
  type: "appendHtml";
  /** HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup). */
  content: string;
} | {
  type: "prependHtml";
  /** HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup). */
  content: string;
} | {
  type: "replaceHtml";
  /** HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup). */
  content: string;
} | {
  type: "remove";
} | {
  type: "move";
  left?: string | null;
  top?: string | null;
} | {
  type: "resize";
  width?: string | null;
  height?: string | null;
} | {
  type: "rearrange";
  /** The index of the child to move, among the element's children. */
  from: number;
  /** Where it goes, as an index among the children before the move. */
  to: number;
} | {
  type: "trackClicks";
});

/** A rendered image. */
export interface RenderedImage {
  url: string;
  darkUrl?: string | null;
  alt: string;
}

/** A rendered button. */
export interface RenderedButton {
  id: string;
  text: string;
  actionUrl?: string | null;
  dismiss: boolean;
}

/** A rendered content card. */
export interface RenderedCard {
  id: string;
  title: string;
  body: string;
  image?: RenderedImage | null;
  actionUrl?: string | null;
  buttons: RenderedButton[];
  dismissible: boolean;
  template: CardTemplate;
  publishedAt?: string | null;
  expiresAt?: string | null;
  meta?: Record<string, unknown>;
}

/** A rendered in-app message. */
export interface RenderedInApp {
  layout: Layout;
  position: Position;
  /** An HTML document for a sandboxed iframe, when authored as HTML. */
  html?: string | null;
  title?: string | null;
  body?: string | null;
  image?: RenderedImage | null;
  buttons: RenderedButton[];
}

/** The offers chosen for one placement. */
export interface PlacementDecision {
  placementId: string;
  surface: string;
  policyId: string;
  items: OfferItem[];
}

/** One offer chosen for a placement. */
export interface OfferItem {
  offerId: string;
  /** `text`, `html`, `image` or `json`. */
  format: string;
  /** The rendered representation (a string, or JSON for the json format; `{url, alt}` for
   * images). */
  content: unknown;
  /** Whether this is the policy's fallback. */
  fallback: boolean;
  /** The ranking score (priority, formula value or bandit weight). */
  score: number;
  /** Echoed in events: `decisionId:offerId:placementId`. */
  token: string;
}

export type Reasons = Reason[];

/** One reason, owned. */
export interface Reason {
  id: string;
  scope: string;
  outcome: Outcome;
  detail?: string | null;
}

/** The closed set of outcomes. */
export type Outcome = "chosen" | "control" | "fallback" | "consent" | "schedule" | "audience" | "collection" | "cap" | "paused" | "exhausted" | "quietHours" | "holdout" | "trigger" | "frequency" | "dismissed" | "conflict" | "suppressed" | "duplicate" | "ranked" | "error";

/** What the host persists after a decision. */
export interface StateChanges {
  /** New sticky assignments: experiment id → variant id (or `"holdout"`). */
  assignments?: Record<string, string>;
}
