// The demo shop's own code: switches visitors and plays a tiny single-page app. The Waymark
// snippet and `waymark("configure", ...)` are inline in index.html, as on a real site; everything
// Waymark does goes through the global `waymark(...)` command queue.
const $ = (selector) => document.querySelector(selector);
const pinned = Number(new URLSearchParams(location.search).get("now")) || null;

// The page is ready (for people and tests) once decided and once this script has set up.
let decided = false;
let setUp = false;

// Why: the reasons of each decision, as the engine gave them.
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
  decided = true;
  if (setUp) document.documentElement.dataset.waymark = "ready";
  document.documentElement.dataset.decisions = String(Number(document.documentElement.dataset.decisions ?? 0) + 1);
}
document.addEventListener("waymark:decision", ({ detail }) => why(detail));
if (window.waymark.sdk?.decision) why(window.waymark.sdk.decision); // decided before this ran

// The view's original hero, re-rendered on SPA navigations as a framework would.
const heroHtml = `
      <h1>Autumn collection</h1>
      <p>Fresh arrivals for every season.</p>
      <a class="cta" href="/collection">Shop the collection</a>
    `;

$("#cart").addEventListener("change", () => waymark("context", { cart: { total: Number($("#cart").value) } }));
$("#add").addEventListener("click", () => {
  waymark("context", { cart: { total: Number($("#cart").value) } });
  waymark("sendEvent", { name: "addToCart", data: { sku: "42" } });
});

// A single-page app: links change the URL with the History API and the view re-renders.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-spa]");
  if (!link) return;
  event.preventDefault();
  const url = new URL(link.href);
  if (pinned) url.searchParams.set("now", pinned);
  history.pushState(null, "", url);
  $("#hero").innerHTML = heroHtml;
  $("#hero").removeAttribute("data-tier");
});

// The visitors to switch between (each with a visitor token minted by `waymark demo`).
const config = await (await fetch("/demo/config.json")).json();
for (const profile of config.profiles) {
  const option = document.createElement("option");
  option.value = profile.id;
  option.textContent = profile.label;
  $("#who").append(option);
}
let current = null;
try {
  current = JSON.parse(localStorage.getItem("waymark:identity") ?? "null");
} catch {} // site data blocked: the SDK keeps its identity in memory, the switcher shows no one
if (current) $("#who").value = current.profileId;

$("#who").addEventListener("change", () => {
  // The list is filled only after config.json arrived, so `config` is set here.
  const profile = config.profiles.find((p) => p.id === $("#who").value);
  // A visitor's identity is known from the next page on (as after a sign-in), so reload.
  waymark("identify", profile ? { profileId: profile.id, token: profile.token } : null);
  location.reload();
});
setUp = true;
if (decided) document.documentElement.dataset.waymark = "ready";
