// Minifies the loader snippet (www/src/snippet.js → www/dist/snippet.min.js) with esbuild, as
// ES2017 (what the snippet itself is written in, so that it runs before anything else loads).
import { readFileSync, writeFileSync } from "node:fs";
import { transformSync } from "esbuild";

const [input, output] = process.argv.slice(2);
const { code } = transformSync(readFileSync(input, "utf8"), { minify: true, target: "es2017", legalComments: "none" });
writeFileSync(output, code);
