import { buildSchema, type OperationDefinitionNode, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { enforceLimits, LIMITS, measureOperation } from './limits.ts';

void buildSchema; // limits are measured on the document alone
const measure = (query: string, variables?: Record<string, unknown>) => {
  const document = parse(query);
  const operation = document.definitions.find(
    (d) => d.kind === 'OperationDefinition',
  ) as OperationDefinitionNode;
  return {
    ...measureOperation(document, operation, variables),
    check: () => enforceLimits(document, operation, variables),
  };
};

describe('query limits', () => {
  it('prices connections by their page size, with variables applied', () => {
    const q = 'query($n: Int) { tenant(id: "t") { policies(first: $n) { edges { node { id name } } } } }';
    // tenant(1) + policies(1 + n × (edges 1 + node(1 + 2)))
    expect(measure(q, { n: 10 }).cost).toBe(1 + 1 + 10 * (1 + 1 + 2));
    expect(measure(q, { n: 100 }).cost).toBe(1 + 1 + 100 * 4);
    expect(measure(q, {}).cost).toBe(1 + 1 + 20 * 4); // default page size
  });

  it('refuses nested connections that multiply', () => {
    const q = `{ tenant(id: "t") { policies(first: 100) { nodes { children(first: 100) { nodes { children(first: 100) { nodes { id } } } } } } } }`;
    expect(() => measure(q).check()).toThrowError(/could return about/);
  });

  it('counts fragments and inline fragments, and ignores introspection', () => {
    const q = `query { viewer { ...V ... on Viewer { kind } } __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }
      fragment V on Viewer { role tenant { name } }`;
    const m = measure(q);
    expect(m.depth).toBe(3);
    expect(m.cost).toBe(1 + 1 + 2 + 1); // viewer + role + tenant{name} + kind; __schema is free
  });

  it('refuses deep queries', () => {
    let q = 'id';
    for (let i = 0; i < LIMITS.maxDepth; i++) q = `parent { ${q} }`;
    expect(() => measure(`{ policy(id: "p") { ${q} } }`).check()).toThrowError(/levels deep/);
    expect(() => measure('{ policy(id: "p") { parent { parent { id } } } }').check()).not.toThrow();
  });

  it('refuses alias floods', () => {
    const aliases = Array.from({ length: LIMITS.maxAliases + 1 }, (_, i) => `a${i}: viewer { kind }`).join(
      ' ',
    );
    expect(() => measure(`{ ${aliases} }`).check()).toThrowError(/aliases/);
  });

  it('does not loop on cyclic fragments', () => {
    expect(() =>
      measure('{ viewer { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }').check(),
    ).not.toThrow();
  });
});
