// What the snippet loads: the global `waymark(command, ...args)` over one SDK instance. Replays
// the commands queued before it loaded, in order. Importing this module has that side effect;
// the rest of the package has none.
import { createWaymark } from "./sdk.js";

const queued = globalThis.waymark?.q ?? [];
const sdk = createWaymark();
if (globalThis.waymark?.u) sdk.unhide = globalThis.waymark.u;

/** `waymark("configure", {...})`, `waymark("sendEvent", {...})`, ...: calls the SDK's method. */
export function waymark(command, ...args) {
  const method = sdk[command];
  if (typeof method !== "function") {
    console.error(`waymark: unknown command ${command}`);
    return undefined;
  }
  return method(...args);
}
waymark.sdk = sdk;
globalThis.waymark = waymark;
for (const args of queued) waymark(...args);
