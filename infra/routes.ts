/**
 * The route table (packages/functions/src/routes.ts) as data for infra.
 *
 * SST bundles sst.config.ts and everything it imports into one file under .sst/platform, leaving
 * packages external. Importing routes.ts there would inline the handler modules it loads on demand
 * (`handlerModules`) and hoist their package imports (@ade/core, @ade/graphql: TypeScript sources)
 * to the top of that file, which Node cannot load. So the table is compiled on its own with the
 * repository's esbuild, its `import()`s left unresolved (they never run), and imported from there.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionDefinition, Route, scheduledFunctions } from '../packages/functions/src/routes.ts';
import type { Esbuild } from './bundle.ts';

export const ROUTE_TABLE = 'packages/functions/src/routes.ts';

export interface RouteTable {
  functions: Record<string, FunctionDefinition>;
  routes: readonly Route[];
  /** Functions no route reaches, run on a schedule (the rollout worker). */
  scheduled: typeof scheduledFunctions;
}

/**
 * The repository's esbuild. A bare `import('esbuild')` from the bundled config would resolve from
 * .sst/platform/node_modules first, which holds SST's own (older) copy.
 */
export function repoEsbuild(root: string): Esbuild {
  return createRequire(join(root, 'package.json'))('esbuild') as Esbuild;
}

export async function loadRouteTable(root: string): Promise<RouteTable> {
  const result = await repoEsbuild(root).build({
    absWorkingDir: root,
    entryPoints: [join(root, ROUTE_TABLE)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    logLevel: 'silent',
    plugins: [
      {
        name: 'handler-modules-stay-lazy',
        setup(build) {
          build.onResolve({ filter: /.*/ }, (args) =>
            args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
          );
        },
      },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'ade-routes-'));
  try {
    const file = join(dir, 'routes.mjs');
    writeFileSync(file, result.outputFiles[0]!.text);
    const table = (await import(pathToFileURL(file).href)) as Omit<RouteTable, 'scheduled'> & {
      scheduledFunctions: RouteTable['scheduled'];
    };
    return { functions: table.functions, routes: table.routes, scheduled: table.scheduledFunctions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
