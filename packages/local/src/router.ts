/** Matches `METHOD /path` against API Gateway route keys (`{param}` and greedy `{proxy+}`). */
import type { Route } from '@ade/functions';
import type { RouteMatch } from './apigw.ts';

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
    for (const candidate of compiled) {
      if (candidate.method !== method.toUpperCase()) continue;
      const match = candidate.pattern.exec(path);
      if (!match) continue;
      const pathParameters: Record<string, string> = {};
      candidate.names.forEach((name, index) => {
        pathParameters[name] = decodeURIComponent(match[index + 1]!);
      });
      return { route: candidate.route, routeKey: candidate.route.key, pathParameters };
    }
    return null;
  };
}
