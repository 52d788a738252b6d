// The demo shop's own code: configures the Waymark SDK (the snippet in index.html loads it),
// switches visitors, and plays a tiny single-page app. Everything Waymark does goes through
// the global `waymark(...)` command queue, as on a real site.
const $ = (selector) => document.querySelector(selector);
// `?now=<unix ms>` pins the clock, for demos of schedules and quiet hours (and for tests).
const pinned = Number(new URLSearchParams(location.search).get("now")) || null;
const config = await (await fetch("/demo/config.json")).json();

// Remember the view's original hero, to re-render it on SPA navigations like a framework would.
const heroHtml = $("#hero").innerHTML;

waymark("configure", {
  clientKey: config.clientKey,
  signingKey: "fetch", // verify bundles and snapshots against the API's published key
  // The page pretends to be shop.example; the view picks the page surface.
  surface: (url) => `web://shop.example/${url.searchParams.get("view") === "collection" ? "collection" : "product/42"}`,
  surfaces: ["web://shop.example/#offer"],
  hide: ["#hero h1", "#offer"],
  placements: { "home-offer": "#offer" },
  cards: "#cards",
  consent: "in", // the anonymous demo visitor has accepted (a real site asks with its banner)
  context: { cart: { total: Number($("#cart").value) } },
  ...(pinned && { now: () => pinned }),
});

for (const profile of config.profiles) {
  const option = document.createElement("option");
  option.value = profile.id;
  option.textContent = profile.label;
  $("#who").append(option);
}
const current = JSON.parse(localStorage.getItem("waymark:identity") ?? "null");
if (current) $("#who").value = current.profileId;

$("#who").addEventListener("change", () => {
  const profile = config.profiles.find((p) => p.id === $("#who").value);
  // A visitor's identity is known from the next page on (as after a sign-in), so reload.
  waymark("identify", profile ? { profileId: profile.id, token: profile.token } : null);
  location.reload();
});
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

// Why: the reasons of each decision, as the engine gave them.
document.addEventListener("waymark:decision", ({ detail }) => {
  const rows = detail.reasons.map((r) => {
    const tr = document.createElement("tr");
    for (const text of [r.id, r.scope, r.outcome, r.detail ?? ""]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  $("#why tbody").replaceChildren(...rows);
  document.documentElement.dataset.waymark = "ready";
  document.documentElement.dataset.decisions = String(Number(document.documentElement.dataset.decisions ?? 0) + 1);
});
