// The demo shop's page script: buckets the visitor into the hero experiment with the SDK.
import { bucket } from "../dist/index.js";

const key = "waymark.demo.visitor";
let visitor = localStorage.getItem(key);
if (!visitor) {
  visitor = crypto.randomUUID();
  localStorage.setItem(key, visitor);
}

const value = await bucket("hero-test", visitor);
document.getElementById("visitor").textContent = visitor;
document.getElementById("bucket").textContent = String(value);
if (value >= 5000) {
  const hero = document.getElementById("hero");
  hero.classList.add("variant-b");
  hero.querySelector("h1").textContent = "Winter is coming: 20% off coats";
}
document.documentElement.dataset.waymark = "ready";
