/**
 * Monaco runs its language services in web workers. GraphiQL's own setups load them from a CDN or
 * through a bundler's worker syntax; ours are built beside the page's script (src/build.ts), so
 * they come from this origin (CSP `worker-src 'self'`).
 */
export function setUpMonacoWorkers(): void {
  self.MonacoEnvironment = {
    getWorker(_workerId, label) {
      const file =
        label === 'json' || label === 'graphql'
          ? __ADE_EXPLORER_WORKERS__[label]
          : __ADE_EXPLORER_WORKERS__.editor;
      return new Worker(new URL(`./${file}`, import.meta.url), { name: label });
    },
  };
}
