import { describe, expect, it } from 'vitest';
import { compileRoutes, UndecodablePathError } from './router.ts';

describe('route matching', () => {
  const match = compileRoutes([
    { key: 'POST /graphql', function: 'graphql' },
    { key: 'GET /mdm/enrollment/servicediscovery/{discoveryId}', function: 'graphql' },
    { key: 'GET /static/{proxy+}', function: 'graphql' },
  ]);

  it('matches methods, parameters and greedy paths like API Gateway', () => {
    expect(match('POST', '/graphql')?.routeKey).toBe('POST /graphql');
    expect(match('GET', '/graphql')).toBeNull();
    expect(match('GET', '/mdm/enrollment/servicediscovery/abc%20d')?.pathParameters).toEqual({
      discoveryId: 'abc d',
    });
    expect(match('GET', '/mdm/enrollment/servicediscovery/a/b')).toBeNull();
    expect(match('GET', '/static/a/b/c.png')?.pathParameters).toEqual({ proxy: 'a/b/c.png' });
    expect(match('post', '/graphql.')).toBeNull();
  });

  it('refuses a path whose escapes do not decode, matched or not (API Gateway: 400)', () => {
    expect(() => match('GET', '/mdm/enrollment/servicediscovery/%E0%A4%A')).toThrow(UndecodablePathError);
    expect(() => match('GET', '/nowhere/%')).toThrow(UndecodablePathError);
  });
});
