/**
 * Operations whose code loads on their first call. Every function bundles the whole core, but a
 * device route that never delivers payloads (discovery, the sign-in page, enrollment) should not pay
 * for that code at cold start: with the module behind `import()`, the bundler puts it in a chunk of
 * its own. Only for groups whose every operation is async.
 */
// biome-ignore lint/suspicious/noExplicitAny: any function signature; the result type is T itself
type AsyncOperations = Record<string, (...args: any[]) => Promise<unknown>>;

export function lazyOperations<T extends AsyncOperations>(load: () => Promise<T>): T {
  let loaded: Promise<T> | undefined;
  return new Proxy({} as T, {
    get(_target, name) {
      if (typeof name !== 'string' || name === 'then') return undefined; // not a thenable
      return async (...args: unknown[]) => {
        loaded ??= load();
        const operations = await loaded;
        const operation = operations[name];
        if (typeof operation !== 'function') throw new TypeError(`No operation ${name}`);
        return operation(...args);
      };
    },
  });
}
