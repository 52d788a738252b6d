// The Waymark browser SDK entry. Loads the wasm engine once; every export waits for it.
import init, * as engine from "./wasm/waymark.js";

let loading;

/** Loads the engine (once). `wasmUrl` overrides where the .wasm file is fetched from. */
export function load({ wasmUrl } = {}) {
  loading ??= init(wasmUrl ? { module_or_path: wasmUrl } : undefined);
  return loading;
}

/** MurmurHash3_x86_32 of the UTF-8 bytes of `input`. */
export async function murmur3(input, seed = 0) {
  await load();
  return engine.murmur3(input, seed);
}

/** The bucket (0..10000) of `unitId` in the experiment seeded with `seed`. */
export async function bucket(seed, unitId) {
  await load();
  return engine.bucket(seed, unitId);
}

// Data, rules and options may be passed as objects or as JSON text (reuse one string to skip
// the stringify); they cross into the engine as JSON text.
const json = (value) => (typeof value === "string" ? value : JSON.stringify(value));

/** Decision data parsed once by the engine, for many `evaluateAll` / `renderAll` calls. */
export class Data {
  #inner;

  constructor(inner) {
    this.#inner = inner;
  }

  /** Parses `data` (an object or JSON text). */
  static async from(data) {
    await load();
    return new Data(new engine.Data(json(data)));
  }

  /** The engine's handle (for ConditionSet and TemplateSet). */
  get inner() {
    return this.#inner;
  }

  /** Frees the engine's memory for this data. */
  free() {
    this.#inner.free();
  }
}

/** A compiled condition. Create it with `await Condition.fromText(src)` or `fromJsonLogic(rule)`. */
export class Condition {
  #inner;

  constructor(inner) {
    this.#inner = inner;
  }

  /** Compiles the text condition language; rejects with the caret-drawn parse error. */
  static async fromText(src) {
    await load();
    return new Condition(engine.Condition.fromText(src));
  }

  /** Compiles a JsonLogic rule (object or JSON text); rejects naming the rule's JSON pointer. */
  static async fromJsonLogic(rule) {
    await load();
    return new Condition(engine.Condition.fromJsonLogic(json(rule)));
  }

  /** The condition's value for `data` at `nowMs` (default: now). */
  evaluate(data, nowMs = Date.now()) {
    return JSON.parse(this.#inner.evaluate(json(data), nowMs));
  }

  /** Whether the condition's value is truthy for `data` at `nowMs` (default: now). */
  matches(data, nowMs = Date.now()) {
    return this.#inner.matches(json(data), nowMs);
  }

  /** Frees the engine's memory for this condition. */
  free() {
    this.#inner.free();
  }
}

/** Many conditions evaluated in one call. Create it with `await ConditionSet.create()`. */
export class ConditionSet {
  #inner;

  constructor(inner) {
    this.#inner = inner;
  }

  /** An empty set, optionally filled with `{text}` or `{jsonLogic}` entries (or text strings). */
  static async create(conditions = []) {
    await load();
    const set = new ConditionSet(new engine.ConditionSet());
    for (const c of conditions) {
      if (typeof c === "string") set.addText(c);
      else if ("text" in c) set.addText(c.text);
      else set.addJsonLogic(c.jsonLogic);
    }
    return set;
  }

  /** Adds a text condition; returns its index in the results. */
  addText(src) {
    return this.#inner.addText(src);
  }

  /** Adds a JsonLogic rule (object or JSON text); returns its index in the results. */
  addJsonLogic(rule) {
    return this.#inner.addJsonLogic(json(rule));
  }

  /** The number of conditions. */
  get length() {
    return this.#inner.length;
  }

  /** 1 or 0 per condition (matched or not) for `data` (or a `Data`) at `nowMs` (default: now). */
  evaluateAll(data, nowMs = Date.now()) {
    if (data instanceof Data) return this.#inner.evaluateAllData(data.inner, nowMs);
    return this.#inner.evaluateAll(json(data), nowMs);
  }

  /** The value of each condition for `data` at `nowMs` (default: now). */
  valuesAll(data, nowMs = Date.now()) {
    return JSON.parse(this.#inner.valuesAll(json(data), nowMs));
  }

  /** Frees the engine's memory for this set. */
  free() {
    this.#inner.free();
  }
}

/** Named templates and shared partials. Create it with `await TemplateSet.create()`. */
export class TemplateSet {
  #inner;

  constructor(inner) {
    this.#inner = inner;
  }

  /** An empty set, optionally filled from `{templates: {name: src}, partials: {name: src}}`. */
  static async create({ templates = {}, partials = {}, options } = {}) {
    await load();
    const set = new TemplateSet(new engine.TemplateSet());
    for (const [name, src] of Object.entries(partials)) set.addPartial(name, src);
    for (const [name, src] of Object.entries(templates)) set.add(name, src);
    if (options) set.setOptions(options);
    return set;
  }

  /** Compiles `src` as the template `name`; throws the located compile error. */
  add(name, src) {
    this.#inner.add(name, src);
  }

  /** Compiles `src` as the partial `name` (for `{{> name}}`). */
  addPartial(name, src) {
    this.#inner.addPartial(name, src);
  }

  /** Default options: `{escape, now, locale, timeZone}`. */
  setOptions(options) {
    this.#inner.setOptions(json(options));
  }

  /** The template names, in `renderAll` order. */
  names() {
    return this.#inner.names();
  }

  /** Renders `name` with `data`; `options` as in `setOptions` (`now` defaults to now). */
  render(name, data, options = {}) {
    const opts = typeof options === "string" ? options : json({ now: Date.now(), ...options });
    return this.#inner.render(name, json(data), opts);
  }

  /** Renders every template with `data` (or a `Data`) at `nowMs` (default: now), in `names()` order. */
  renderAll(data, nowMs = Date.now()) {
    if (data instanceof Data) return this.#inner.renderAllData(data.inner, nowMs);
    return this.#inner.renderAll(json(data), nowMs);
  }

  /** Frees the engine's memory for this set. */
  free() {
    this.#inner.free();
  }
}
