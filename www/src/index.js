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
