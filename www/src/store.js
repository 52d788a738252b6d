// Namespaced key-value storage with a size guard: localStorage, sessionStorage or memory only.
// Values are JSON; a value over `limit` characters or a full quota is refused, never thrown.

/** @returns {{get(k: string): any, set(k: string, v: any): boolean, remove(k: string): void, keys(): string[]}} */
export function createStore(kind = "local", namespace = "waymark", limit = 512 * 1024) {
  let area = null;
  try {
    area = kind === "local" ? localStorage : kind === "session" ? sessionStorage : null;
  } catch {} // storage disabled (privacy settings, sandboxed frames): memory only
  const memory = new Map();
  const full = (key) => `${namespace}:${key}`;
  return {
    get(key) {
      try {
        const text = area ? area.getItem(full(key)) : memory.get(full(key));
        return text == null ? undefined : JSON.parse(text);
      } catch {
        return undefined;
      }
    },
    set(key, value) {
      const text = JSON.stringify(value);
      if (text.length > limit) return false;
      try {
        if (area) area.setItem(full(key), text);
        else memory.set(full(key), text);
        return true;
      } catch {
        return false;
      }
    },
    /** The keys stored under the namespace (without it). */
    keys() {
      try {
        const all = area ? Object.keys(area) : [...memory.keys()];
        return all.filter((k) => k.startsWith(`${namespace}:`)).map((k) => k.slice(namespace.length + 1));
      } catch {
        return [];
      }
    },
    remove(key) {
      try {
        if (area) area.removeItem(full(key));
        else memory.delete(full(key));
      } catch {}
    },
  };
}

/**
 * `store` persisting a key only while `allowed(key)`; until then the value is kept in memory
 * (newest first on reads), and `persist()` writes what has become allowed.
 */
export function gatedStore(store, allowed) {
  const memory = new Map(); // key → JSON text
  return {
    get: (key) => (memory.has(key) ? JSON.parse(memory.get(key)) : store.get(key)),
    set(key, value) {
      if (!allowed(key)) return memory.set(key, JSON.stringify(value)), true;
      memory.delete(key);
      return store.set(key, value);
    },
    remove(key) {
      memory.delete(key);
      store.remove(key);
    },
    keys: () => [...new Set([...store.keys(), ...memory.keys()])],
    persist() {
      for (const [key, text] of memory) if (allowed(key) && store.set(key, JSON.parse(text))) memory.delete(key);
    },
  };
}
