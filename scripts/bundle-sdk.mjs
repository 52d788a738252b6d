// Builds what the snippet loads (www/dist/loader.js) with esbuild: the SDK's modules in one
// minified module with the wasm glue (./wasm/runtime.js), so that a page fetches this file and
// the wasm instead of a waterfall of twelve. The glue is built first (scripts/build.sh), into the
// same dist folder. The per-module
// files stay in dist/ for ESM users, whose bundler tree-shakes them.
//
//   node scripts/bundle-sdk.mjs www/dist/loader.js www/dist/loader.js   # in place
import { build } from "esbuild";

const [entry, outfile] = process.argv.slice(2);
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2022",
  legalComments: "none",
  logLevel: "warning",
  allowOverwrite: true,
});
