// Extracts test cases from handlebars.js's spec (spec/*.js, vitest style) into JSON: every
// `expectTemplate(...)` chain is recorded instead of run. A case is kept when it uses only
// built-in helpers and default options: no `withHelper(s)`, `withDecorator(s)`,
// `withCompileOptions`, `withRuntimeOptions`, string partials only, JSON data only, and its test
// does not touch the JavaScript API (`Handlebars`, `handlebarsEnv`, `CompilerContext`) in the
// test or its `beforeEach`. Every other case is listed under `excluded` with the reason.
//
// Usage: node extract.mjs <handlebars.js checkout> <commit> <spec name>... (writes <name>.json)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import vm from "node:vm";

const [root, commit, ...names] = process.argv.slice(2);

function plainJson(v, seen = new Set()) {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (typeof v !== "object" || seen.has(v)) return false;
  seen.add(v);
  if (Array.isArray(v)) return v.every((x) => x !== undefined && plainJson(x, seen));
  const proto = Object.getPrototypeOf(v);
  // A plain object of any realm (the spec runs in its own context).
  if (proto !== null && Object.getPrototypeOf(proto) !== null) return false;
  return Object.values(v).every((x) => x === undefined || plainJson(x, seen));
}

for (const name of names) {
  const src = readFileSync(join(root, "spec", `${name}.js`), "utf8");
  const cases = [];
  const excluded = [];
  const path = [];
  let hooks = [[]];
  let current = null; // { name, tainted, n }

  // `registerHelper` in a test or hook only matters to the cases that name the helper;
  // `registerPartial` with a string adds the partial to the test's cases.
  const register = (kind) =>
    function (name, value) {
      const entries = typeof name === "object" ? Object.entries(name) : [[name, value]];
      for (const [n, v] of entries) {
        if (kind === "helper") current.helpers.add(n);
        else if (typeof v === "string") current.partials[n] = v;
        else current.tainted = "partial registered as a function";
      }
    };
  const taint = (what) =>
    new Proxy(function () {}, {
      get(_, prop) {
        if (current && (what === "handlebarsEnv" || what === "Handlebars")) {
          if (prop === "registerHelper") return register("helper");
          if (prop === "registerPartial") return register("partial");
        }
        if (current) current.tainted = `uses the JavaScript API (${what}.${String(prop)})`;
        return taint(what);
      },
      apply() {
        if (current) current.tainted ||= `uses the JavaScript API (${what}())`;
        return taint(what);
      },
      set() {
        if (current) current.tainted = `uses the JavaScript API (sets ${what})`;
        return true;
      },
    });

  class Bench {
    constructor(template) {
      this.t = { template, data: {}, partials: {} };
      this.why = typeof template === "string" ? null : "template is not a string";
    }
    withInput(input) {
      this.t.data = input;
      return this;
    }
    withHelper() {
      this.why ??= "custom helper";
      return this;
    }
    withHelpers(h) {
      if (Object.keys(h).length) this.why ??= "custom helper";
      return this;
    }
    withPartial(n, p) {
      if (typeof p !== "string") this.why ??= "partial given as a function";
      this.t.partials[n] = p;
      return this;
    }
    withPartials(ps) {
      for (const [n, p] of Object.entries(ps)) this.withPartial(n, p);
      return this;
    }
    withDecorator() {
      this.why ??= "decorator";
      return this;
    }
    withDecorators() {
      this.why ??= "decorator";
      return this;
    }
    withCompileOptions(o) {
      if (Object.keys(o).length) this.why ??= `compile options ${Object.keys(o).join(", ")}`;
      return this;
    }
    withRuntimeOptions(o) {
      if (Object.keys(o).length) this.why ??= `runtime options ${Object.keys(o).join(", ")}`;
      return this;
    }
    withMessage() {
      return this;
    }
    record(expect) {
      const c = current;
      const label = `${[...path, c.name].join(" / ")} #${++c.n}`;
      this.t.partials = { ...c.partials, ...this.t.partials };
      const text = [this.t.template, ...Object.values(this.t.partials)].join("\n");
      const helper = [...c.helpers].find((h) => text.includes(h));
      let why = this.why ?? c.tainted ?? (helper && `custom helper ${helper} (registered by the test)`);
      if (!why && !plainJson(this.t.data)) why = "data is not plain JSON (functions, undefined, objects with prototypes)";
      if (why) excluded.push({ name: label, reason: why });
      else cases.push({ name: label, ...this.t, ...expect });
    }
    toCompileTo(expected) {
      this.record({ expected });
    }
    toThrow(a, b) {
      const m = b ?? (typeof a === "function" ? undefined : a);
      this.record({ error: m === undefined ? true : String(m) });
    }
  }

  const noop = () => new Proxy(() => {}, { get: () => noop(), apply: () => noop() });
  function describe(n, fn) {
    path.push(n);
    hooks.push([]);
    fn();
    hooks.pop();
    path.pop();
  }
  describe.skip = (n) => excluded.push({ name: [...path, n].join(" / "), reason: "skipped upstream" });
  describe.only = describe;
  function it(n, fn) {
    current = { name: n, tainted: null, n: 0, helpers: new Set(), partials: {} };
    try {
      for (const level of hooks) for (const h of level) h();
      fn();
    } catch (e) {
      excluded.push({ name: [...path, n].join(" / "), reason: `the test did not run outside handlebars.js: ${e.message}` });
    }
    current = null;
  }
  it.skip = (n) => excluded.push({ name: [...path, n].join(" / "), reason: "skipped upstream" });
  it.only = it;
  it.skipIf = (cond) => (cond ? it.skip : it);
  describe.skipIf = (cond) => (cond ? describe.skip : describe);
  const context = {
    describe,
    it,
    beforeEach: (f) => hooks[hooks.length - 1].push(f),
    afterEach: () => {},
    beforeAll: () => {},
    afterAll: () => {},
    expect: noop,
    expectTemplate: (t) => new Bench(t),
    Handlebars: taint("Handlebars"),
    handlebarsEnv: taint("handlebarsEnv"),
    CompilerContext: taint("CompilerContext"),
    sinon: taint("sinon"),
    vi: taint("vi"),
    console: taint("console"),
  };
  context.global = context;
  vm.runInNewContext(src, context, { filename: `${name}.js` });
  const out = {
    source: `https://github.com/handlebars-lang/handlebars.js/blob/${commit}/spec/${name}.js`,
    commit,
    cases,
    excluded,
  };
  writeFileSync(`${name}.json`, `${JSON.stringify(out, null, 1)}\n`);
  console.log(`${name}: ${cases.length} cases, ${excluded.length} excluded`);
}
