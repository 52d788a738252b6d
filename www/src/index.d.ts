/** Loads the engine (once). `wasmUrl` overrides where the .wasm file is fetched from. */
export function load(options?: { wasmUrl?: string | URL }): Promise<unknown>;
/** MurmurHash3_x86_32 of the UTF-8 bytes of `input`. */
export function murmur3(input: string, seed?: number): Promise<number>;
/** The bucket (0..10000) of `unitId` in the experiment seeded with `seed`. */
export function bucket(seed: string, unitId: string): Promise<number>;

/** Data, rules and options: an object, or its JSON text (reused as is). */
export type Json = string | object;
/** Render options. `now` is unix milliseconds or an RFC 3339 string. */
export interface RenderOptions {
  escape?: "html" | "attribute" | "url" | "json" | "none";
  now?: number | string;
  locale?: string;
  timeZone?: string;
}

/** Decision data parsed once by the engine, for many `evaluateAll` / `renderAll` calls. */
export class Data {
  private constructor(inner: unknown);
  static from(data: Json): Promise<Data>;
  free(): void;
}

/** A compiled condition (text language or JsonLogic). */
export class Condition {
  private constructor(inner: unknown);
  /** Compiles the text condition language; rejects with the caret-drawn parse error. */
  static fromText(src: string): Promise<Condition>;
  /** Compiles a JsonLogic rule; rejects naming the rule's JSON pointer. */
  static fromJsonLogic(rule: Json): Promise<Condition>;
  /** The condition's value for `data` at `nowMs` (default: now). */
  evaluate(data: Json, nowMs?: number): unknown;
  /** Whether the condition's value is truthy for `data` at `nowMs` (default: now). */
  matches(data: Json, nowMs?: number): boolean;
  free(): void;
}

/** Many conditions evaluated in one call. */
export class ConditionSet {
  private constructor(inner: unknown);
  static create(
    conditions?: Array<string | { text: string } | { jsonLogic: Json }>,
  ): Promise<ConditionSet>;
  addText(src: string): number;
  addJsonLogic(rule: Json): number;
  readonly length: number;
  /** 1 or 0 per condition, in the order they were added. */
  evaluateAll(data: Json | Data, nowMs?: number): Uint8Array;
  /** The value of each condition. */
  valuesAll(data: Json, nowMs?: number): unknown[];
  free(): void;
}

/** Named templates and shared partials. */
export class TemplateSet {
  private constructor(inner: unknown);
  static create(init?: {
    templates?: Record<string, string>;
    partials?: Record<string, string>;
    options?: RenderOptions;
  }): Promise<TemplateSet>;
  add(name: string, src: string): void;
  addPartial(name: string, src: string): void;
  setOptions(options: RenderOptions | string): void;
  names(): string[];
  render(name: string, data: Json, options?: RenderOptions | string): string;
  /** Every template, in `names()` order. */
  renderAll(data: Json | Data, nowMs?: number): string[];
  free(): void;
}
