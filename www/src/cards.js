// Content cards: a headless feed (list, mark read, dismiss, subscribe) and a default UI that
// renders it into a container. Every text goes in as text, never as HTML.

/**
 * @param {object} o
 * @param {ReturnType<import("./store.js").createStore>} o.store keeps the read marks
 * @param {(type: string, card: object) => void} o.track records display/click/dismiss
 */
export function createFeed({ store, track }) {
  let cards = [];
  const listeners = new Set();
  const read = () => new Set(store.get("cards.read") ?? []);
  const notify = () => listeners.forEach((fn) => fn(feed.list()));
  const feed = {
    /** The current cards, highest priority first, each with `read`. */
    list() {
      const seen = read();
      return cards.map((c) => ({ ...c, read: seen.has(c.id) }));
    },
    /** Marks a card read (kept across reloads). */
    markRead(id) {
      const seen = read();
      if (seen.has(id)) return;
      seen.add(id);
      store.set("cards.read", [...seen].slice(-500));
      notify();
    },
    /** Dismisses a card: gone now, and the engine keeps it out of later decisions. */
    dismiss(id) {
      const card = cards.find((c) => c.id === id);
      if (!card) return;
      cards = cards.filter((c) => c !== card);
      track("dismiss", card);
      notify();
    },
    /** Records a click on a card (or one of its buttons). */
    click(id) {
      const card = cards.find((c) => c.id === id);
      if (card) track("click", card);
      feed.markRead(id);
    },
    /** Calls `fn(cards)` now and on every change; returns the unsubscribe function. */
    subscribe(fn) {
      listeners.add(fn);
      fn(feed.list());
      return () => listeners.delete(fn);
    },
    /** Replaces the cards with a decision's (called by the SDK). */
    set(next) {
      cards = next;
      notify();
    },
  };
  return feed;
}

/** Links the default look (cards.css, beside this module) once, first in <head>, so that the
 * site's own stylesheets come after it. */
function stylesheet() {
  const href = new URL("./cards.css", import.meta.url).href;
  if ([...document.styleSheets].some((s) => s.href === href) || document.querySelector(`link[href="${href}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  document.head.prepend(link);
}

const el = (tag, className, text) => {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = text;
  return e;
};

/**
 * The default card UI: renders `feed` into `container` on every change; a display is tracked
 * the first time each card is in the DOM. `navigate(url)` opens action URLs.
 */
export function renderCards(feed, container, onDisplay, navigate) {
  stylesheet();
  return feed.subscribe((cards) => {
    const items = cards.map((card) => {
      const li = el("li", `waymark-card waymark-card--${card.template ?? "smallImage"}${card.read ? " waymark-card--read" : ""}`);
      li.dataset.cardId = card.id;
      if (card.image?.url) {
        const img = el("img", "waymark-card__image");
        img.src = card.image.url;
        img.alt = card.image.alt ?? "";
        if (card.image.darkUrl) {
          // The dark-mode image when the visitor's system is in dark mode.
          const picture = el("picture", "waymark-card__picture");
          const dark = document.createElement("source");
          dark.media = "(prefers-color-scheme: dark)";
          dark.srcset = card.image.darkUrl;
          picture.append(dark, img);
          li.append(picture);
        } else {
          li.append(img);
        }
      }
      li.append(el("h3", "waymark-card__title", card.title), el("p", "waymark-card__body", card.body));
      const open = (url) => {
        feed.click(card.id);
        if (url) navigate(url);
      };
      if (card.actionUrl) {
        li.classList.add("waymark-card--link");
        li.addEventListener("click", (e) => !e.target.closest("button") && open(card.actionUrl));
      }
      for (const button of card.buttons ?? []) {
        const b = el("button", "waymark-card__button", button.text);
        b.type = "button";
        b.addEventListener("click", () => (button.dismiss ? feed.dismiss(card.id) : open(button.actionUrl)));
        li.append(b);
      }
      if (card.dismissible) {
        const close = el("button", "waymark-card__dismiss", "×");
        close.type = "button";
        close.title = "Dismiss";
        close.setAttribute("aria-label", "Dismiss");
        close.addEventListener("click", () => feed.dismiss(card.id));
        li.append(close);
      }
      return li;
    });
    container.replaceChildren(...items);
    for (const card of cards) onDisplay(card);
  });
}
