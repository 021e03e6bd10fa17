import { MAX_SETTINGS_BYTES } from '@ade/core/payloads/index';
import {
  getIntrospectionQuery,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { armor, BYTES_PER_COST, enforceCost, LIMITS, limitCodeOf, operationCost } from './limits.ts';
import { schema } from './schema.ts';
import { SETTINGS_MAX_BYTES } from './types/payload.ts';

const operationOf = (query: string) => {
  const document = parse(query);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
  )!;
  return { document, operation };
};

const cost = (query: string, variables?: Record<string, unknown>) => {
  const { document, operation } = operationOf(query);
  return operationCost(schema, document, operation, variables);
};

/** The codes graphql-armor's rules (and graphql-js's own) give a document. */
const refusals = (query: string) =>
  validate(schema, parse(query), [...specifiedRules, ...armor().validationRules]).map(
    (error) => limitCodeOf(error) ?? error.message,
  );

const costRefusal = (query: string, variables?: Record<string, unknown>) => {
  const { document, operation } = operationOf(query);
  try {
    enforceCost(schema, document, operation, variables);
    return undefined;
  } catch (error) {
    return limitCodeOf(error);
  }
};

const nested = (first: string) =>
  `{ tenant(id: "t") { policies(first: ${first}) { nodes { children(first: ${first}) { nodes { children(first: ${first}) { nodes { id } } } } } } } }`;

describe('cost', () => {
  it('prices connections by their page size, with variables and their defaults applied', () => {
    const q = 'query($n: Int) { tenant(id: "t") { policies(first: $n) { edges { node { id name } } } } }';
    // tenant(1 + policies(1 + n × (edges(1 + node(1 + id 1 + name 1)))))
    expect(cost(q, { n: 10 })).toBe(1 + 1 + 10 * (1 + 1 + 2));
    expect(cost(q, { n: 100 })).toBe(1 + 1 + 100 * 4);
    expect(cost(q, {})).toBe(1 + 1 + 20 * 4); // no value: the default page size
    expect(cost(q, { n: 5000 })).toBe(1 + 1 + 100 * 4); // core refuses it (PAGE_SIZE_TOO_LARGE)
    const withDefault = q.replace('$n: Int', '$n: Int = 100');
    expect(cost(withDefault, {})).toBe(1 + 1 + 100 * 4);
    expect(cost(withDefault, { n: 10 })).toBe(1 + 1 + 10 * 4);
  });

  it("refuses nested connections, whether the page size is written, a variable or a variable's default", () => {
    expect(costRefusal(nested('100'))).toBe('QUERY_TOO_COSTLY');
    expect(costRefusal(nested('$n').replace('{ tenant', 'query($n: Int) { tenant'), { n: 100 })).toBe(
      'QUERY_TOO_COSTLY',
    );
    // The reproduction of issue 13: 100³ pages priced as 20³ ran, 125 times over the limit.
    const defaulted = nested('$n').replace('{ tenant', 'query($n: Int = 100) { tenant');
    expect(cost(defaulted)).toBeGreaterThan(40 * LIMITS.maxCost);
    expect(costRefusal(defaulted)).toBe('QUERY_TOO_COSTLY');
    expect(costRefusal(nested('5'))).toBeUndefined();
  });

  it('multiplies plain lists by their bound, and large scalars by their size', () => {
    // ancestors: at most 40 (core's MAX_DEPTH); payloads: one default page.
    expect(cost('{ policy(id: "p") { ancestors { id } } }')).toBe(1 + 1 + 40 * 1);
    expect(cost('{ policy(id: "p") { payloads { id } } }')).toBe(1 + 1 + 20 * 1);
    const settings = Math.ceil(MAX_SETTINGS_BYTES / BYTES_PER_COST);
    expect(cost('{ policy(id: "p") { payloads { settings } } }')).toBe(1 + 1 + 20 * settings);
    expect(SETTINGS_MAX_BYTES).toBe(MAX_SETTINGS_BYTES);
    // Three policies' payloads with their settings fit; a page of policies does not.
    expect(
      costRefusal('{ tenant(id: "t") { policies(first: 5) { nodes { payloads { settings } } } } }'),
    ).toBe('QUERY_TOO_COSTLY');
  });

  it('counts fragments, inline fragments and skips, and refuses fragment bombs', () => {
    const q = `query($skip: Boolean = true) { viewer { ...V ... on Viewer { kind } } a: viewer { role @skip(if: $skip) } }
      fragment V on Viewer { role tenant { name } }`;
    expect(cost(q)).toBe(1 + (1 + 2 + 1) + 1); // viewer + role + tenant{name} + kind; a: viewer alone
    expect(cost(q, { skip: false })).toBe(1 + (1 + 2 + 1) + 2);
    // Each fragment spreads the previous one 9 times: 9^6 selections from a few hundred tokens.
    const bomb = Array.from(
      { length: 6 },
      (_, i) => `fragment F${i + 1} on Viewer { ${Array.from({ length: 9 }, () => `...F${i}`).join(' ')} }`,
    ).join('\n');
    expect(costRefusal(`{ viewer { ...F6 } }\nfragment F0 on Viewer { kind }\n${bomb}`)).toBe(
      'QUERY_TOO_COSTLY',
    );
  });

  it('does not price operations whose variables do not fit (execution refuses them)', () => {
    expect(cost('query($n: Int!) { tenant(id: "t") { policies(first: $n) { nodes { id } } } }', {})).toBe(
      undefined,
    );
  });
});

describe('introspection', () => {
  it("costs what it returns: GraphiQL's own introspection query fits, several copies do not", () => {
    for (const options of [
      {}, // what GraphiQL 5 sends by default
      { descriptions: true, inputValueDeprecation: true, schemaDescription: true, specifiedByUrl: true },
    ]) {
      const query = getIntrospectionQuery(options);
      expect(refusals(query)).toEqual([]);
      const price = cost(query)!;
      expect(price).toBeGreaterThan(2_000);
      expect(price).toBeLessThan(LIMITS.maxCost / 2);
    }
    const selection = getIntrospectionQuery()
      .replace(/^\s*query IntrospectionQuery \{\s*__schema/, '')
      .replace(/\}\s*fragment[\s\S]*$/, '');
    const fragments = getIntrospectionQuery().slice(getIntrospectionQuery().indexOf('fragment'));
    const copies = Array.from({ length: 8 }, (_, i) => `s${i}: __schema ${selection}`).join(' ');
    expect(costRefusal(`{ ${copies} }\n${fragments}`)).toBe('QUERY_TOO_COSTLY');
  });

  it('counts aliases of introspection fields (160 aliased __schema: the 6 MB answer of issue 13)', () => {
    const aliased = (n: number, field: string) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
    expect(refusals(aliased(160, '__schema { types { name fields { name } } }'))).toEqual([
      'TOO_MANY_ALIASES',
    ]);
    expect(refusals(aliased(LIMITS.maxAliases + 1, '__typename'))).toEqual(['TOO_MANY_ALIASES']);
    expect(refusals(aliased(LIMITS.maxAliases, '__schema { queryType { name } }'))).toEqual([]);
    // Within the alias limit, the cost stops it: 30 × the types and their fields.
    expect(
      costRefusal(aliased(LIMITS.maxAliases, '__schema { types { name fields { name type { name } } } }')),
    ).toBe('QUERY_TOO_COSTLY');
  });
});

describe('depth, aliases and directives (graphql-armor)', () => {
  it('refuses deep queries; fragments add no level', () => {
    let q = 'id';
    for (let i = 0; i < LIMITS.maxDepth; i++) q = `parent { ${q} }`;
    expect(refusals(`{ policy(id: "p") { ${q} } }`)).toEqual(['QUERY_TOO_DEEP']);
    expect(refusals('{ policy(id: "p") { parent { parent { id } } } }')).toEqual([]);
    let fragments = 'fragment P0 on Policy { id }';
    for (let i = 1; i <= 8; i++) fragments += `\nfragment P${i} on Policy { parent { ...P${i - 1} } }`;
    // policy(1) + 8 parents (2–9) + id (10): the limit, through eight fragments.
    expect(refusals(`{ policy(id: "p") { ...P8 } }\n${fragments}`)).toEqual([]);
    expect(refusals(`{ policy(id: "p") { parent { ...P8 } } }\n${fragments}`)).toEqual(['QUERY_TOO_DEEP']);
  });

  it('refuses alias and directive floods, and does not loop on cyclic fragments', () => {
    const aliases = Array.from({ length: LIMITS.maxAliases + 1 }, (_, i) => `a${i}: viewer { kind }`);
    expect(refusals(`{ ${aliases.join(' ')} }`)).toEqual(['TOO_MANY_ALIASES']);
    const directives = Array.from({ length: LIMITS.maxDirectives + 1 }, () => '@include(if: true)');
    expect(refusals(`{ viewer { ${directives.map((d) => `kind ${d}`).join(' ')} } }`)).toEqual([
      'TOO_MANY_DIRECTIVES',
    ]);
    const cyclic = refusals(
      '{ viewer { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }',
    );
    expect(cyclic.length).toBeGreaterThan(0);
    expect(cyclic.every((message) => /Cannot spread fragment/.test(message))).toBe(true);
  });
});
