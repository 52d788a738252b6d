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

/**
 * Shows a message unless one is open (one at a time). `onButton(button)` hears each press;
 * a dismissing button, or a press on one with an actionUrl, closes the message. Returns false
 * when another message was open.
 */
export function showInApp(content, onButton) {
  if (open) return false;
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.setAttribute("title", content.title ?? "Message");
  frame.className = `waymark-inapp waymark-inapp--${content.layout} waymark-inapp--${content.position ?? "center"}`;
  // CSSOM writes are allowed under a strict style-src; a style attribute would not be.
  Object.assign(frame.style, {
    position: "fixed",
    zIndex: "2147483647",
    border: "0",
    left: "50%",
    transform: "translateX(-50%)",
    width: "min(420px, 92vw)",
    height: content.layout === "banner" ? "96px" : "240px",
    background: "white",
    boxShadow: "0 8px 32px rgba(0,0,0,.25)",
    borderRadius: "12px",
  });
  const position = content.layout === "banner" ? content.position : "center";
  if (position === "top") frame.style.top = "12px";
  else if (position === "bottom") frame.style.bottom = "12px";
  else frame.style.top = "30vh";
  if (content.layout === "fullscreen") Object.assign(frame.style, { inset: "0", width: "100vw", height: "100vh", transform: "none", borderRadius: "0" });
  frame.srcdoc = frameDocument(content);
  const listener = (event) => {
    if (event.source !== frame.contentWindow || event.data?.waymark !== "button") return;
    const button = (content.buttons ?? []).find((b) => b.id === event.data.id);
    if (!button) return;
    onButton(button);
    if (button.dismiss || button.actionUrl) close();
  };
  const close = () => {
    removeEventListener("message", listener);
    frame.remove();
    open = null;
  };
  addEventListener("message", listener);
  document.body.append(frame);
  open = { frame, close };
  return true;
}

/** Closes the open message, if any. */
export const closeInApp = () => open?.close();
