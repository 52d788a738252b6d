// DOM actions: selectors pierce open shadow roots with `>>>`; late elements are awaited with a
// MutationObserver bounded by a timeout; every action is applied at most once per element.

// element → Map(action key → the element's outerHTML right after the action). Setting actions
// run again only when the page changed the element since (an SPA re-render); inserting ones never.
const done = new WeakMap();
const setting = /^(set|move|resize)/;

/** Elements matching `selector`, descending into open shadow roots at each `>>>`. */
export function queryAll(selector, root = document) {
  let scopes = [root];
  const parts = selector.split(">>>").map((s) => s.trim());
  parts.forEach((part, i) => {
    const found = scopes.flatMap((scope) => [...scope.querySelectorAll(part)]);
    scopes = i < parts.length - 1 ? found.map((e) => e.shadowRoot).filter(Boolean) : found;
  });
  return scopes;
}

const px = (v) => (v == null ? null : /^-?\d+(\.\d+)?$/.test(String(v)) ? `${v}px` : String(v));

function run(element, action) {
  switch (action.type) {
    case "setHtml": element.innerHTML = action.content; break; // templated values escaped by the engine
    case "setText": element.textContent = action.content; break;
    case "setAttribute":
      for (const [name, value] of Object.entries(action.attributes)) element.setAttribute(name, value);
      break;
    case "setStyle":
      for (const [name, value] of Object.entries(action.properties)) {
        element.style.setProperty(name, value, action.important ? "important" : "");
      }
      break;
    case "setImageSource": element.setAttribute("src", action.src); break;
    case "showImage": { // an image offer: its URL was checked by the engine
      const img = document.createElement("img");
      img.src = action.url;
      img.alt = action.alt;
      element.replaceChildren(img);
      break;
    }
    case "insertBefore": element.insertAdjacentHTML("beforebegin", action.content); break;
    case "insertAfter": element.insertAdjacentHTML("afterend", action.content); break;
    case "appendHtml": element.insertAdjacentHTML("beforeend", action.content); break;
    case "prependHtml": element.insertAdjacentHTML("afterbegin", action.content); break;
    case "replaceHtml": element.outerHTML = action.content; break;
    case "remove": element.remove(); break;
    case "move":
      if (action.left != null) element.style.left = px(action.left);
      if (action.top != null) element.style.top = px(action.top);
      break;
    case "resize":
      if (action.width != null) element.style.width = px(action.width);
      if (action.height != null) element.style.height = px(action.height);
      break;
    case "rearrange": {
      const children = element.children;
      const moved = children[action.from];
      if (moved) element.insertBefore(moved, children[action.to + (action.to > action.from ? 1 : 0)] ?? null);
      break;
    }
  }
}

/**
 * Applies `action` to every element its selector matches, now and for `timeout` ms: late
 * elements and elements an SPA re-renders are caught by a MutationObserver (on the document and
 * the shadow roots on the selector's path; no polling) before they are painted. `onClick(element)`
 * is attached when the action tracks clicks. Resolves with the number of elements first
 * changed, as soon as there are any, or with 0 when none appeared in time. Watching stops
 * early once `alive()` is false (the page view it belongs to is over).
 */
export function applyAction(action, timeout, onClick, alive = () => true) {
  const key = JSON.stringify(action);
  const parts = action.selector.split(">>>");
  return new Promise((resolve) => {
    let settled = false;
    const observers = [];
    const watched = new WeakSet();
    const watch = (root) => {
      if (watched.has(root)) return;
      watched.add(root);
      const observer = new MutationObserver(attempt);
      observer.observe(root, { childList: true, subtree: true, characterData: true });
      observers.push(observer);
    };
    function attempt() {
      if (!alive()) return observers.forEach((o) => o.disconnect());
      // Inserting actions run once; only setting ones are re-applied after re-renders.
      if (settled && !setting.test(action.type)) return;
      const elements = queryAll(action.selector);
      for (const element of elements) applyOnce(element, action, key, onClick);
      for (let i = 1; i < parts.length; i++) {
        for (const host of queryAll(parts.slice(0, i).join(">>>"))) if (host.shadowRoot) watch(host.shadowRoot);
      }
      if (elements.length && !settled) {
        settled = true;
        resolve(elements.length);
      }
    }
    attempt();
    if (timeout > 0) {
      watch(document);
      setTimeout(() => {
        observers.forEach((o) => o.disconnect());
        if (!settled) resolve(0);
      }, timeout);
    } else if (!settled) resolve(0);
  });
}

function applyOnce(element, action, key, onClick) {
  let applied = done.get(element);
  if (!applied) done.set(element, (applied = new Map()));
  const after = applied.get(key);
  if (after !== undefined && (!setting.test(action.type) || after === element.outerHTML)) return;
  if (after === undefined && action.trackClicks && onClick && !/^(remove|replaceHtml)$/.test(action.type)) {
    element.addEventListener("click", () => onClick(element));
  }
  run(element, action);
  applied.set(key, element.isConnected ? element.outerHTML : "");
}

/** Hides `selectors` with a constructed stylesheet (allowed under a strict CSP); returns an unhide. */
export function hide(selectors) {
  if (!selectors.length || !document.adoptedStyleSheets) return () => {};
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`${selectors.join(",")}{visibility:hidden!important}`);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  return () => {
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
  };
}
