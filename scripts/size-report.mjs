// Prints raw, gzip and brotli sizes of every .wasm and .js file under the given folders.
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(wasm|m?js)$/.test(name)) files.push(path);
  }
};
for (const dir of process.argv.slice(2)) if (existsSync(dir)) walk(dir);

const kb = (n) => `${(n / 1024).toFixed(1)} KB`.padStart(10);
console.log(`size report${"raw".padStart(53)}${"gzip".padStart(10)}${"brotli".padStart(10)}`);
for (const file of files.sort()) {
  const bytes = readFileSync(file);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
  }).length;
  console.log(`  ${file.padEnd(52)}${kb(bytes.length)}${kb(gzip)}${kb(brotli)}`);
}
