// Minifies the loader snippet (www/src/snippet.js → www/dist/snippet.min.js) without a
// dependency: drops comments and layout, shortens the local names. The snippet is written so
// that this is safe: one statement per line, no `//` or newlines inside strings.
import { readFileSync, writeFileSync } from "node:fs";

const [input, output] = process.argv.slice(2);
let code = readFileSync(input, "utf8")
  .split("\n")
  .map((line) => line.replace(/^\s*\/\/.*$/, "").replace(/\s+\/\/ .*$/, "").trim())
  .filter(Boolean)
  .join("\n");
for (const [long, short] of [["selectors", "h"], ["sheet", "c"], ["timeout", "t"], ["src", "r"]]) {
  code = code.replace(new RegExp(`(?<![.\\w])${long}\\b(?!")`, "g"), short);
}
code = code
  .replace(/\s*([{}()[\],;:=+|&!?<>])\s*/g, "$1") // no spaces around punctuation
  .replace(/\n/g, "")
  .replace(/;}/g, "}");
writeFileSync(output, `${code}\n`);
