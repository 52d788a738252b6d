// Namespaced key-value storage with a size guard: localStorage, sessionStorage or memory only.
// Values are JSON; a value over `limit` characters or a full quota is refused, never thrown.

/** @returns {{get(k: string): any, set(k: string, v: any): boolean, remove(k: string): void}} */
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
    remove(key) {
      try {
        if (area) area.removeItem(full(key));
        else memory.delete(full(key));
      } catch {}
    },
  };
}
