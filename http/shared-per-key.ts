// One load shared by every caller that asks with the same key. The last `entries` keys are kept (least
// recently asked dropped first); a failed load is forgotten, so the next caller retries instead of getting
// the failure again. Keys include the data version, so a refresh or a new model makes every entry stale.

export function sharedPerKey<K extends unknown[], T>(
  load: (...args: K) => Promise<T>,
  options: { entries?: number; key?: (...args: K) => string } = {},
): (...args: K) => Promise<T> {
  const entries = options.entries ?? 1;
  const keyOf = options.key ?? ((...args: K) => JSON.stringify(args));
  const kept = new Map<string, Promise<T>>();
  return (...args) => {
    const key = keyOf(...args);
    let value = kept.get(key);
    if (value) {
      kept.delete(key); // re-inserted below: most recently asked last
    } else {
      value = load(...args);
      value.catch(() => {
        if (kept.get(key) === value) kept.delete(key);
      });
    }
    kept.set(key, value);
    while (kept.size > entries) kept.delete(kept.keys().next().value!);
    return value;
  };
}
