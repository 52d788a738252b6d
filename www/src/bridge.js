// The webview bridge. A native app that hosts the page may:
// - hand in identity, consent and context before the page loads, as `window.WaymarkNative =
//   {profileId, token, consent, context}` (iOS: a WKUserScript at document start; Android:
//   evaluateJavascript, or an addJavascriptInterface object `WaymarkAndroid` whose
//   `initialState()` returns that JSON), and later with `waymark("identify" | "consent" |
//   "context", ...)` through evaluateJavascript;
// - receive every tracked event as `{type: "event", event}` and every deep-link click (a URL
//   whose scheme is not http/https) as `{type: "deepLink", url}`: iOS through
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

/** Whether `url` is a deep link for the app rather than a web page. */
export const isDeepLink = (url) => /^[a-z][a-z0-9+.-]*:/i.test(url) && !/^https?:/i.test(url);
