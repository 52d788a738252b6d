// Runs inside the sandboxed in-app frame: reports button presses, Escape and the document's
// height to the page, and takes focus to the first button when the page gives the frame focus.
const post = (message) => parent.postMessage({ waymark: message.type, ...message }, "*");
addEventListener("click", (event) => {
  const button = event.target.closest("[data-waymark-button]");
  if (button) post({ type: "button", id: button.getAttribute("data-waymark-button") });
});
addEventListener("keydown", (event) => {
  if (event.key === "Escape") post({ type: "escape" });
});
addEventListener("focus", () => {
  if (!document.activeElement || document.activeElement === document.body) document.querySelector("button, a[href]")?.focus();
});
addEventListener("load", () => {
  const size = () => post({ type: "size", height: Math.ceil(document.documentElement.scrollHeight) });
  new ResizeObserver(size).observe(document.body);
  size();
});
