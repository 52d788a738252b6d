// Prints raw, gzip and brotli sizes of every .wasm and .js file under the given folders, then
// the browser SDK's totals: the inline snippet, the JS the page loads, the wasm, and all-in.
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(wasm|m?js|css)$/.test(name)) files.push(path);
  }
};
for (const dir of process.argv.slice(2)) if (existsSync(dir)) walk(dir);

const sizes = (bytes) => [
  bytes.length,
  gzipSync(bytes, { level: 9 }).length,
  brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
];
const kb = (n) => `${(n / 1024).toFixed(1)} KB`.padStart(10);
const row = (name, [raw, gzip, brotli]) => console.log(`  ${name.padEnd(52)}${kb(raw)}${kb(gzip)}${kb(brotli)}`);
console.log(`size report${"raw".padStart(53)}${"gzip".padStart(10)}${"brotli".padStart(10)}`);
const measured = new Map();
for (const file of files.sort()) {
  measured.set(file, sizes(readFileSync(file)));
  row(file, measured.get(file));
}

// The browser SDK as a page loads it: the snippet inline, the loader (the SDK's modules and the
// runtime's wasm glue, bundled and minified by esbuild: scripts/bundle-sdk.mjs) and the
// runtime's wasm (wasm/waymark* is the full engine for index.js, which the SDK does not load).
// The frame's script and stylesheet load only with an in-app message and are left out.
const www = process.argv.slice(2).find((d) => existsSync(join(d, "loader.js")));
if (www) {
  const sum = (list) => list.reduce((a, f) => a.map((v, i) => v + measured.get(f)[i]), [0, 0, 0]);
  const parts = [
    ["snippet (inline, minified)", join(www, "snippet.min.js")],
    ["SDK JS (loader.js, with the wasm glue)", join(www, "loader.js")],
    ["wasm (wasm/runtime_bg.wasm)", join(www, "wasm/runtime_bg.wasm")],
  ].filter(([, f]) => measured.has(f));
  console.log("browser SDK totals (each file compressed on its own, as served)");
  for (const [name, file] of parts) row(name, measured.get(file));
  row("all-in (snippet + JS + wasm)", sum(parts.map(([, f]) => f)));
}
