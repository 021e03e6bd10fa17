/** Matches `METHOD /path` against API Gateway route keys (`{param}` and greedy `{proxy+}`). */
import type { Route } from '@ade/functions';
import type { RouteMatch } from './apigw.ts';

/**
 * A path API Gateway would not route: a `%` not followed by two hex digits, or escapes that do not
 * decode to UTF-8 (`%E0%A4%A`, `%C0%AF`). AWS does not document this; observed, an HTTP API answers
 * such requests `400` without calling the function (adamchainz/apig-wsgi#102, aws-devtools-labs/aws-blocks
 * "dev-server-404-bad-encoding"), so the local runtime answers `400` too (server.ts).
 */
export class UndecodablePathError extends Error {
  constructor(readonly path: string) {
    super('the path holds a percent-escape that does not decode');
    this.name = 'UndecodablePathError';
  }
}

function decodePathSegment(value: string, path: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new UndecodablePathError(path);
  }
}

interface CompiledRoute {
  route: Route;
  method: string;
  pattern: RegExp;
  names: string[];
}

export function compileRoutes(
  routes: readonly Route[],
): (method: string, path: string) => (RouteMatch & { route: Route }) | null {
  const compiled: CompiledRoute[] = routes.map((route) => {
    const [method, path] = route.key.split(' ') as [string, string];
    const names: string[] = [];
    const source = path
      .split('/')
      .map((segment) => {
        const param = /^\{(\w+)(\+)?\}$/.exec(segment);
        if (!param) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        names.push(param[1]!);
        return param[2] ? '(.+)' : '([^/]+)';
      })
      .join('/');
    return { route, method, pattern: new RegExp(`^${source}$`), names };
  });
  return (method, path) => {
    // API Gateway decodes the whole path before it routes: a bad escape anywhere is a bad request,
    // whether or not a route would have matched.
    decodePathSegment(path, path);
    for (const candidate of compiled) {
      if (candidate.method !== method.toUpperCase()) continue;
      const match = candidate.pattern.exec(path);
      if (!match) continue;
      const pathParameters: Record<string, string> = {};
      candidate.names.forEach((name, index) => {
        pathParameters[name] = decodePathSegment(match[index + 1]!, path);
      });
      return { route: candidate.route, routeKey: candidate.route.key, pathParameters };
    }
    return null;
  };
}
