import type { Waymark } from "./sdk.js";

/** The global command function: `waymark("configure", {...})`, `waymark("sendEvent", {...})`, ... */
export declare function waymark<C extends keyof Waymark>(
  command: C,
  ...args: Waymark[C] extends (...a: infer A) => unknown ? A : never
): unknown;
export declare namespace waymark {
  const sdk: Waymark;
}
