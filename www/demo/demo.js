// The demo shop: fetches the bundle and the visitor's snapshot from the central API, decides
// in the browser with the wasm engine, and applies the result. (The full SDK with anti-flicker,
// SPA hooks and event batching is its own package; this page shows the engine at work.)
import init, { Engine, recordEvent } from "../dist/wasm/waymark.js";

const $ = (selector) => document.querySelector(selector);
// `?now=<unix ms>` pins the clock, for demos of schedules and quiet hours (and for tests).
const pinned = Number(new URLSearchParams(location.search).get("now")) || null;
const now = () => pinned ?? Date.now();
const config = await (await fetch("config.json")).json();
await init();
const key = { "x-waymark-key": config.clientKey };
const engine = new Engine(await (await fetch("/v1/bundle", { headers: key })).text());
const original = { hero: $("#hero").innerHTML, offer: $("#offer").innerHTML };

// An anonymous id of the visitor's own, kept first-party.
let anonymous = localStorage.getItem("waymark.demo.anon");
if (!anonymous) {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  anonymous = "anon-" + btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
  localStorage.setItem("waymark.demo.anon", anonymous);
}
let state = JSON.stringify({ visitorId: anonymous, sessionStart: now() });

for (const profile of config.profiles) {
  const option = document.createElement("option");
  option.value = profile.id;
  option.textContent = profile.label;
  $("#who").append(option);
}

async function snapshot() {
  const profile = config.profiles.find((p) => p.id === $("#who").value);
  const id = profile ? profile.id : anonymous;
  const headers = profile ? { ...key, authorization: `Bearer ${profile.token}` } : key;
  const response = await fetch(`/v1/profiles/${encodeURIComponent(id)}/snapshot`, { headers });
  const snapshot = response.ok ? await response.json() : { profileId: id };
  // The anonymous demo visitor has accepted personalisation (a real site asks with its banner).
  if (!profile) snapshot.consent = { personalize: "in" };
  return snapshot;
}

async function decide(event) {
  const input = {
    snapshot: await snapshot(),
    context: { cart: { total: Number($("#cart").value) } },
    state: JSON.parse(state),
    now: now(),
    request: { surfaces: [config.surface, "web://shop.example/#offer"], event },
  };
  const decision = JSON.parse(engine.decide(JSON.stringify(input)));
  const assignments = decision.stateChanges.assignments ?? {};
  const next = JSON.parse(state);
  next.assignments = { ...next.assignments, ...assignments };
  state = JSON.stringify(next);
  return decision;
}

function record(type, proposition) {
  const event = { type, timestamp: now(), target: proposition.activityId };
  if (proposition.variantId) event.variant = proposition.variantId;
  state = recordEvent(state, JSON.stringify(event));
}

function apply(action) {
  for (const element of document.querySelectorAll(action.selector)) {
    switch (action.type) {
      case "setText": element.textContent = action.content; break;
      case "setHtml": element.innerHTML = action.content; break; // escaped by the engine
      case "setAttribute":
        for (const [name, value] of Object.entries(action.attributes)) element.setAttribute(name, value);
        break;
      case "setStyle":
        for (const [name, value] of Object.entries(action.properties)) element.style.setProperty(name, value);
        break;
      case "remove": element.remove(); break;
    }
  }
}

function card(content, proposition) {
  const li = document.createElement("li");
  const title = document.createElement("h3");
  title.textContent = content.title;
  const body = document.createElement("p");
  body.textContent = content.body;
  if (content.dismissible) {
    const close = document.createElement("button");
    close.textContent = "×";
    close.title = "Dismiss";
    close.addEventListener("click", () => { record("dismiss", proposition); render(); });
    li.append(close);
  }
  li.append(title, body);
  return li;
}

function showInApp(content, proposition) {
  const box = document.createElement("div");
  const title = document.createElement("h2");
  title.textContent = content.title ?? "";
  const body = document.createElement("p");
  body.textContent = content.body ?? "";
  box.append(title, body);
  for (const button of content.buttons) {
    const b = document.createElement("button");
    b.textContent = button.text;
    b.addEventListener("click", () => {
      record(button.dismiss ? "dismiss" : "click", proposition);
      $("#inapp").hidden = true;
    });
    box.append(b);
  }
  $("#inapp").replaceChildren(box);
  $("#inapp").hidden = false;
}

function why(decision) {
  const rows = decision.reasons.map((r) => {
    const tr = document.createElement("tr");
    for (const text of [r.id, r.scope, r.outcome, r.detail ?? ""]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  $("#why tbody").replaceChildren(...rows);
}

async function render(event) {
  const decision = await decide(event);
  $("#hero").innerHTML = original.hero;
  $("#hero").removeAttribute("data-tier");
  $("#offer").innerHTML = original.offer;
  $("#cards").replaceChildren();
  for (const p of decision.propositions) {
    if (!p.content) { record("display", p); continue; } // an experiment's control
    if (p.content.channel === "web") p.content.actions.forEach(apply);
    if (p.content.channel === "card") $("#cards").append(card(p.content, p));
    if (p.content.channel === "inApp") showInApp(p.content, p);
    record("display", p);
  }
  for (const placement of decision.offers) {
    for (const item of placement.items) {
      if (item.format === "html") $("#offer").innerHTML = item.content; // escaped by the engine
      else $("#offer").textContent = typeof item.content === "string" ? item.content : JSON.stringify(item.content);
    }
  }
  why(decision);
  document.documentElement.dataset.waymark = "ready";
  return decision;
}

$("#who").addEventListener("change", () => render());
$("#add").addEventListener("click", () => render({ type: "addToCart", timestamp: now() }));
await render();
