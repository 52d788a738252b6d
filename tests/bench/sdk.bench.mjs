// Time from navigation start to the personalised DOM with the browser SDK, cold cache and warm,
// in headless Chromium against `waymark demo` on 127.0.0.1, on loopback and under emulated
// networks (Chrome DevTools Protocol `Network.emulateNetworkConditions`: 9 Mbps down / 40 ms
// round trip, and 1.6 Mbps / 150 ms, the "fast" and "slow" mobile profiles).
// Run: node tests/bench/sdk.bench.mjs [runs] (after `bash scripts/build.sh www` and
// `cargo build -p waymark-cli`). Prints medians and ranges.
import { startWaymark, launchChromium } from "../js/harness.mjs";

const runs = Number(process.argv[2] ?? 10);
const NOW = 1795867200000;
const server = await startWaymark(["demo", "--listen", "127.0.0.1:0"]);
const browser = await launchChromium();
const config = await (await fetch(new URL("config.json", server.url))).json();
const { token } = config.profiles.find((p) => p.id === "ann-gold");
const url = `${server.url}?now=${NOW}`;

// Marks the moment the hero first shows the personalised text while visible.
function probe() {
  const look = () => {
    const h = document.querySelector("#hero h1");
    if (!window.__personalised && h && h.textContent.startsWith("Hi Ann") && getComputedStyle(h).visibility !== "hidden") {
      window.__personalised = performance.now();
    }
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  const frame = () => (look(), window.__personalised || requestAnimationFrame(frame));
  requestAnimationFrame(frame);
}

async function measure(page, load) {
  await load();
  await page.waitForFunction(() => window.__personalised);
  return page.evaluate(() => window.__personalised); // ms since navigation start
}

const networks = [
  ["loopback", null],
  ["9 Mbps / 40 ms", { latency: 40, downloadThroughput: 9e6 / 8, uploadThroughput: 2e6 / 8 }],
  ["1.6 Mbps / 150 ms", { latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 0.75e6 / 8 }],
];

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(0)} ms (min ${s[0].toFixed(0)}, max ${s.at(-1).toFixed(0)})`;
};
console.log(`navigation start → personalised hero, ${runs} runs each`);
for (const [name, conditions] of networks) {
  const cold = [];
  const warm = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext(); // empty storage and HTTP cache
    await context.addInitScript(
      ([t]) => localStorage.setItem("waymark:identity", JSON.stringify({ profileId: "ann-gold", token: t })),
      [token],
    );
    await context.addInitScript(probe);
    const page = await context.newPage();
    if (conditions) {
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.emulateNetworkConditions", { offline: false, ...conditions });
    }
    cold.push(await measure(page, () => page.goto(url)));
    warm.push(await measure(page, () => page.reload()));
    await context.close();
  }
  console.log(`${name}`);
  console.log(`  cold cache (no bundle, snapshot, wasm or JS cached): ${stats(cold)}`);
  console.log(`  warm cache (reload):                                 ${stats(warm)}`);
}
await browser.close();
await server.stop();
