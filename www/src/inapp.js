// In-app messages in a sandboxed iframe: `sandbox="allow-scripts"` without allow-same-origin,
// the document in `srcdoc` (no blob:), its buttons reporting through postMessage, checked by
// `event.source`. The frame loads its stylesheet and its one script from the SDK's folder, so
// no inline script or style is needed (the frame inherits the page's CSP).

const base = new URL(".", import.meta.url).href;
const escape = (text) =>
  String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The frame document for an in-app message's rendered content. */
export function frameDocument(content) {
  const buttons = (content.buttons ?? [])
    .map((b) => `<button type="button" data-waymark-button="${escape(b.id)}">${escape(b.text)}</button>`)
    .join("");
  const image = content.image
    ? `<img src="${escape(content.image.url)}" alt="${escape(content.image.alt)}">`
    : "";
  // An HTML message is the engine's rendered template (values escaped there); a structured one
  // is laid out here, every value escaped.
  const body =
    content.html ??
    `${image}<h1>${escape(content.title)}</h1><p>${escape(content.body)}</p>`;
  return (
    `<!doctype html><html><head><meta charset="utf-8">` +
    `<link rel="stylesheet" href="${base}inapp.css"><script src="${base}frame.js"></script></head>` +
    `<body class="waymark-${escape(content.layout)}">${body}<footer>${buttons}</footer></body></html>`
  );
}

let open = null;

/** What the SDK's own close control reports: a dismissal, like a dismissing button. */
export const CLOSE = Object.freeze({ id: "close", dismiss: true });

/**
 * Shows a message unless one is open (one at a time). `onButton(button)` hears each press;
 * a dismissing button, or a press on one with an actionUrl, closes the message, and so do the
 * close control and Escape, which report `CLOSE`. Returns false when another message was open.
 *
 * The frame sits in a `role="dialog"` labelled by the message's title, with a close control.
 * A modal or full-screen message is `aria-modal`: focus moves into it, stays inside it (Tab
 * from its close control goes back into the frame), and returns where it was when it closes. A
 * banner leaves focus where it is. The frame takes the height its document needs (up to
 * 90% of the viewport).
 */
export function showInApp(content, onButton) {
  if (open) return false;
  const modal = content.layout !== "banner";
  const previous = document.activeElement;
  const dialog = document.createElement("div");
  dialog.className = `waymark-inapp-dialog waymark-inapp-dialog--${content.layout}`;
  dialog.setAttribute("role", "dialog");
  dialog.setAttribute("aria-modal", String(modal));
  dialog.setAttribute("aria-label", content.title ?? "Message");
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.setAttribute("title", content.title ?? "Message");
  frame.className = `waymark-inapp waymark-inapp--${content.layout} waymark-inapp--${content.position ?? "center"}`;
  const closer = document.createElement("button");
  closer.type = "button";
  closer.className = "waymark-inapp-close";
  closer.setAttribute("aria-label", "Close");
  closer.textContent = "\u00d7";
  // CSSOM writes are allowed under a strict style-src; a style attribute would not be.
  Object.assign(dialog.style, {
    position: "fixed",
    zIndex: "2147483647",
    left: "50%",
    transform: "translateX(-50%)",
    width: "min(420px, 92vw)",
    background: "white",
    boxShadow: "0 8px 32px rgba(0,0,0,.25)",
    borderRadius: "12px",
    overflow: "hidden",
  });
  const position = content.layout === "banner" ? content.position : "center";
  if (position === "top") dialog.style.top = "12px";
  else if (position === "bottom") dialog.style.bottom = "12px";
  else dialog.style.top = "20vh";
  if (content.layout === "fullscreen") Object.assign(dialog.style, { inset: "0", width: "100vw", height: "100vh", transform: "none", borderRadius: "0" });
  Object.assign(frame.style, { display: "block", border: "0", width: "100%", height: content.layout === "fullscreen" ? "100%" : content.layout === "banner" ? "96px" : "240px" });
  Object.assign(closer.style, {
    position: "absolute",
    top: "4px",
    right: "4px",
    width: "32px",
    height: "32px",
    border: "0",
    borderRadius: "16px",
    background: "transparent",
    color: "#1d1d1f",
    font: "22px/1 system-ui, sans-serif",
    cursor: "pointer",
  });
  frame.srcdoc = frameDocument(content);
  const press = (button) => {
    onButton(button);
    if (button.dismiss || button.actionUrl) close();
  };
  const listener = (event) => {
    if (event.source !== frame.contentWindow) return;
    const data = event.data ?? {};
    if (data.waymark === "escape") return press(CLOSE);
    if (data.waymark === "size" && content.layout !== "fullscreen" && Number.isFinite(data.height)) {
      frame.style.height = `${Math.min(Math.max(data.height, 48), innerHeight * 0.9)}px`;
      return;
    }
    if (data.waymark !== "button") return;
    const button = (content.buttons ?? []).find((b) => b.id === data.id);
    if (button) press(button);
  };
  const onKey = (event) => {
    if (event.key === "Escape") press(CLOSE);
    // Tab from the close control, the message's last stop, goes back into the frame (the
    // page may have nothing after it to take focus, and focus would leave the page).
    if (modal && event.key === "Tab" && !event.shiftKey && event.target === closer) {
      event.preventDefault();
      frame.focus();
    }
  };
  // Focus that leaves a modal message is brought back to it.
  const onFocus = (event) => {
    if (modal && !dialog.contains(event.target)) frame.focus();
  };
  const close = () => {
    removeEventListener("message", listener);
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("focusin", onFocus);
    dialog.remove();
    open = null;
    if (modal && previous instanceof HTMLElement && previous.isConnected) previous.focus();
  };
  closer.addEventListener("click", () => press(CLOSE));
  addEventListener("message", listener);
  document.addEventListener("keydown", onKey);
  document.addEventListener("focusin", onFocus);
  if (modal) frame.addEventListener("load", () => frame.focus(), { once: true });
  dialog.append(frame, closer);
  document.body.append(dialog);
  open = { frame, close };
  return true;
}

/** Closes the open message, if any. */
export const closeInApp = () => open?.close();
