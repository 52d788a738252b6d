// The webview bridge. A native app that hosts the page may:
// - hand in identity, consent and context before the page loads, as `window.WaymarkNative =
//   {profileId, token, consent, context}` (iOS: a WKUserScript at document start, main frame
//   only; Android: evaluateJavascript, or an object `WaymarkAndroid` whose `initialState()`
//   returns that JSON), and later with `waymark("identify" | "consent" | "context", ...)`
//   through evaluateJavascript;
// - receive every tracked event as `{type: "event", event}` and every click on an action URL
//   (a card's, an in-app button's) as `{type: "deepLink", url}`, which the app opens (in the
//   webview or natively) instead of the SDK: iOS through
//   `window.webkit.messageHandlers.waymark.postMessage(object)`, Android through
//   `WaymarkAndroid.postMessage(jsonText)`.
// Whatever script runs in the page can set these globals too, so every field is checked for its
// type and a malformed one is ignored and reported. The native side must only talk to pages it
// trusts: see "Mobile webviews" in README.md (Android: addWebMessageListener with allowed
// origins, not addJavascriptInterface; iOS: main frame only, the security origin checked).

/** The native side's post function, or null in a plain browser. */
export function nativePost() {
  const ios = globalThis.webkit?.messageHandlers?.waymark;
  if (typeof ios?.postMessage === "function") return (message) => ios.postMessage(message);
  const android = globalThis.WaymarkAndroid;
  if (typeof android?.postMessage === "function") return (message) => android.postMessage(JSON.stringify(message));
  return null;
}

const CONSENT = ["in", "out", "pending"];
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const isConsent = (v) =>
  CONSENT.includes(v) ||
  (isObject(v) && Object.keys(v).every((k) => k === "personalize" || k === "track") && Object.values(v).every((c) => CONSENT.includes(c)));

/** The fields the app may hand in, each with its check. */
const FIELDS = {
  profileId: (v) => typeof v === "string" && v.length > 0 && v.length <= 200,
  token: (v) => typeof v === "string" && v.length > 0,
  consent: isConsent,
  context: isObject,
};

/**
 * What the native app handed in, if anything: `{profileId?, token?, consent?, context?}`, each
 * field of the right type (a string id and token, "in" | "out" | "pending" or `{personalize,
 * track}` consent, an object context); `report` hears each field left out and why. A token
 * without a profile id is left out too.
 */
export function nativeState(report) {
  let raw = globalThis.WaymarkNative;
  if (raw === undefined) {
    try {
      const text = globalThis.WaymarkAndroid?.initialState?.();
      raw = text ? JSON.parse(text) : undefined;
    } catch (error) {
      report(new Error(`waymark: the native initial state is not JSON (${error.message}); ignored`));
      return null;
    }
  }
  if (raw == null) return null;
  if (!isObject(raw)) {
    report(new Error("waymark: the native initial state is not an object; ignored"));
    return null;
  }
  const state = {};
  for (const [name, ok] of Object.entries(FIELDS)) {
    if (raw[name] === undefined) continue;
    if (ok(raw[name])) state[name] = raw[name];
    else report(new Error(`waymark: the native initial state's \`${name}\` is malformed; ignored`));
  }
  if (state.token && !state.profileId) {
    delete state.token;
    report(new Error("waymark: the native initial state has a token without a profileId; ignored"));
  }
  return state;
}
