/** Loads the engine (once). `wasmUrl` overrides where the .wasm file is fetched from. */
export function load(options?: { wasmUrl?: string | URL }): Promise<unknown>;
/** MurmurHash3_x86_32 of the UTF-8 bytes of `input`. */
export function murmur3(input: string, seed?: number): Promise<number>;
/** The bucket (0..10000) of `unitId` in the experiment seeded with `seed`. */
export function bucket(seed: string, unitId: string): Promise<number>;
