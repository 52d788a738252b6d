// Joins the SDK's modules into one file (www/dist/loader.js, what the snippet loads), so that a
// page fetches one module and the wasm glue instead of a waterfall of ten. No dependency: the
// modules are written for it (local imports on one line, unique top-level names, no multi-line
// template literals); comments and indentation are dropped. The per-module files stay in dist/
// for ESM users, whose bundler tree-shakes them.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [src, out] = process.argv.slice(2);
const order = ["store", "sync", "dom", "track", "cards", "inapp", "bridge", "edge", "sdk", "loader"];
const imports = new Set();
const seen = new Map();
const body = [];
for (const name of order) {
  let inDoc = false;
  for (const raw of readFileSync(join(src, `${name}.js`), "utf8").split("\n")) {
    const line = raw.trim();
    if (inDoc) {
      inDoc = !line.endsWith("*/");
      continue;
    }
    if (line.startsWith("/*")) {
      inDoc = !line.endsWith("*/");
      continue;
    }
    if (line === "" || line.startsWith("//")) continue;
    if (/^import .* from "\.\/[a-z]+\.js";$/.test(line)) continue; // joined here
    if (line.startsWith("import ")) {
      imports.add(line);
      continue;
    }
    const declared = line.match(/^(?:export )?(?:async )?(?:function|const|let|class) ([A-Za-z_$][\w$]*)/);
    if (declared && !raw.startsWith(" ")) {
      if (seen.has(declared[1])) throw new Error(`${name}.js: ${declared[1]} also in ${seen.get(declared[1])}.js`);
      seen.set(declared[1], name);
    }
    body.push(line.replace(/^export (?=(async )?(function|const|let|class) )/, name === "loader" ? "export " : ""));
  }
}
writeFileSync(out, `${[...imports].join("\n")}\n${body.join("\n")}\n`);
