// The webview bridge. A native app that hosts the page may:
// - hand in identity, consent and context before the page loads, as `window.WaymarkNative =
//   {profileId, token, consent, context}` (iOS: a WKUserScript at document start; Android:
//   evaluateJavascript, or an addJavascriptInterface object `WaymarkAndroid` whose
//   `initialState()` returns that JSON), and later with `waymark("identify" | "consent" |
//   "context", ...)` through evaluateJavascript;
// - receive every tracked event as `{type: "event", event}` and every click on an action URL
//   (a card's, an in-app button's) as `{type: "deepLink", url}`, which the app opens (in the
//   webview or natively) instead of the SDK: iOS through
//   `window.webkit.messageHandlers.waymark.postMessage(object)`, Android through
//   `WaymarkAndroid.postMessage(jsonText)`.

/** The native side's post function, or null in a plain browser. */
export function nativePost() {
  const ios = globalThis.webkit?.messageHandlers?.waymark;
  if (ios) return (message) => ios.postMessage(message);
  const android = globalThis.WaymarkAndroid;
  if (android?.postMessage) return (message) => android.postMessage(JSON.stringify(message));
  return null;
}

/** What the native app handed in, if anything: `{profileId?, token?, consent?, context?}`. */
export function nativeState() {
  if (globalThis.WaymarkNative) return globalThis.WaymarkNative;
  try {
    const text = globalThis.WaymarkAndroid?.initialState?.();
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
