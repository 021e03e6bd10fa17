/**
 * `pnpm bench:tree`: reading a 1,000-policy tree through the real GraphQL handler over HTTP.
 *
 * Starts an in-memory DynamoDB Local, builds a tenant with a 1,000-policy tree through core, starts
 * the local runtime (the same Lambda handler API Gateway calls) on 127.0.0.1, and reads every policy
 * in pages of 100 with a tenant ADMIN key — once plain, once with `parent { name }` (dataloader
 * batching). Per page it records DynamoDB requests (core's request counter: the server runs in this
 * process and shares the core `coreFromEnv()` returns, which is checked) and latency.
 *
 * Options: --passes N (default 20), --warmup N (default 1), --concurrency N (tree build, default 8).
 * Result: .artifacts/bench/policy-tree.json
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { type Actor, AppError, type Core, runAs } from '@ade/core';
import type { DynamoLocal } from '@ade/local/dynamodb-local';
import type { LocalServer } from '@ade/local/server';
import {
  environment,
  round,
  sleep,
  summarize,
  table,
  verdict,
  wholeNumberOption,
  writeResult,
} from './common.ts';

const TARGET_REQUESTS_PER_PAGE = 2;
const TOTAL_POLICIES = 1_000;
const REGIONS = 10;
const SITES_PER_REGION = 9;
const PAGE_SIZE = 100;
const TABLE_NAME = 'ade-bench-policy-tree';

const passes = wholeNumberOption('passes', 20, 0);
const warmupPasses = wholeNumberOption('warmup', 1, 0);
const concurrency = Math.max(1, wholeNumberOption('concurrency', 8, 0));

const system: Actor = { kind: 'system', role: 'ADMIN', name: 'bench' };

interface PageSample {
  ms: number;
  requests: number;
  byCommand: Record<string, number>;
  items: number;
}

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

async function buildTree(core: Core, tenantId: string, rootPolicyId: string) {
  let retries = 0;
  let created = 0;
  /** One create as its own "request" (own actor scope and memo), retried on CONCURRENT_CHANGE. */
  const create = async (parentId: string, name: string): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const policy = await runAs(system, () =>
          core.tenancy.inTenant(tenantId, () => core.policies.create({ parentId, name })),
        );
        created++;
        return policy.policyId;
      } catch (error) {
        if (error instanceof AppError && error.code === 'CONCURRENT_CHANGE' && attempt < 50) {
          retries++;
          await sleep(Math.random() * 10 * Math.min(attempt, 5));
          continue;
        }
        throw error;
      }
    }
  };
  /** Children of one parent one after the other: concurrent creates under one parent conflict. */
  const chain = async (parentId: string, names: string[]) => {
    const ids: string[] = [];
    for (const name of names) ids.push(await create(parentId, name));
    return ids;
  };

  const started = performance.now();
  const regionIds = await chain(
    rootPolicyId,
    Array.from({ length: REGIONS }, (_, r) => `Region ${r + 1}`),
  );
  const siteIds = (
    await pool(
      concurrency,
      regionIds.map(
        (regionId, r) => () =>
          chain(
            regionId,
            Array.from({ length: SITES_PER_REGION }, (_, s) => `Site ${r + 1}.${s + 1}`),
          ),
      ),
    )
  ).flat();
  const leaves = TOTAL_POLICIES - 1 - regionIds.length - siteIds.length;
  await pool(
    concurrency,
    siteIds.map((siteId, i) => {
      const count = Math.floor(leaves / siteIds.length) + (i < leaves % siteIds.length ? 1 : 0);
      return () =>
        chain(
          siteId,
          Array.from({ length: count }, (_, l) => `Leaf ${i + 1}.${l + 1}`),
        );
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { created, retries, seconds: round(seconds, 2), createsPerSecond: round(created / seconds, 1) };
}

async function main() {
  const { startDynamoLocal } = await import('@ade/local/dynamodb-local');
  const { ensureTable } = await import('@ade/local/table');

  let dynamo: DynamoLocal | undefined;
  let server: LocalServer | undefined;
  let core: Core | undefined;
  try {
    dynamo = await startDynamoLocal();
    // The handlers read their configuration from the environment, exactly as in Lambda: set it
    // before @ade/functions (and the local runtime, which imports it) is loaded.
    process.env.ADE_TABLE_NAME = TABLE_NAME;
    process.env.ADE_DYNAMODB_ENDPOINT = dynamo.endpoint;
    process.env.ADE_PUBLIC_URL ??= 'http://localhost:4000';
    const { coreFromEnv } = await import('@ade/functions');
    const { startLocalServer } = await import('@ade/local/server');
    core = coreFromEnv();
    await ensureTable(core.db.client, TABLE_NAME);
    const db = core.db;

    // The counter counts each SDK command once, document-client commands included.
    const fixture = await runAs(system, async () => {
      const { partner } = await core!.partners.create({ name: 'Bench MSP', firstKeyName: null });
      const tenant = await core!.tenants.create({ name: 'Bench tenant' }, partner.partnerId);
      const key = await core!.apiKeys.createFor(tenant.tenantId, { name: 'bench admin', role: 'ADMIN' });
      return {
        partnerId: partner.partnerId,
        tenantId: tenant.tenantId,
        rootPolicyId: tenant.rootPolicyId,
        key,
      };
    });
    db.requests.reset();
    await core.service.entities.tenant.get({ tenantId: fixture.tenantId }).go();
    const countedPerGet = db.requests.total();
    if (countedPerGet !== 1)
      throw new Error(`request counter counted ${countedPerGet} requests for one GetItem`);

    console.log(`Building a ${TOTAL_POLICIES}-policy tree (concurrency ${concurrency})…`);
    const build = await buildTree(core, fixture.tenantId, fixture.rootPolicyId);
    const tenantItem = (await core.service.entities.tenant.get({ tenantId: fixture.tenantId }).go()).data;
    if (tenantItem?.policyCount !== TOTAL_POLICIES)
      throw new Error(`tenant has policyCount ${tenantItem?.policyCount}, expected ${TOTAL_POLICIES}`);

    server = await startLocalServer({ port: 0, host: '127.0.0.1' });
    const url = `${server.url}/graphql`;
    if (!url.startsWith('http://127.0.0.1:')) throw new Error(`server is not on 127.0.0.1: ${url}`);

    const query = (withParent: boolean) =>
      `query($after: String) { tenant(id: ${JSON.stringify(fixture.tenantId)}) { policies(first: ${PAGE_SIZE}, after: $after) { edges { node { id name parentId childCount${withParent ? ' parent { name }' : ''} } } pageInfo { hasNextPage endCursor } } } }`;

    interface PoliciesResponse {
      data?: {
        tenant: {
          policies: {
            edges: { node: { id: string; parentId: string | null; parent?: { name: string } | null } }[];
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
          };
        };
      };
      errors?: unknown[];
    }

    const readPage = async (withParent: boolean, after: string | null) => {
      db.requests.reset();
      const started = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${fixture.key.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: query(withParent), variables: { after } }),
      });
      const body = (await response.json()) as PoliciesResponse;
      const ms = performance.now() - started;
      if (response.status !== 200 || body.errors || !body.data)
        throw new Error(`GraphQL answered ${response.status}: ${JSON.stringify(body).slice(0, 500)}`);
      const sample: PageSample = {
        ms,
        requests: db.requests.total(),
        byCommand: { ...db.requests.byCommand },
        items: body.data.tenant.policies.edges.length,
      };
      return { sample, connection: body.data.tenant.policies };
    };

    /** One pass over the whole tree; checks it saw every policy once and (with parent) every parent. */
    const readPass = async (withParent: boolean): Promise<PageSample[]> => {
      const samples: PageSample[] = [];
      const seen = new Set<string>();
      let after: string | null = null;
      for (;;) {
        const { sample, connection } = await readPage(withParent, after);
        samples.push(sample);
        for (const { node } of connection.edges) {
          seen.add(node.id);
          if (withParent && Boolean(node.parentId) !== Boolean(node.parent?.name))
            throw new Error(
              `policy ${node.id}: parentId ${node.parentId} but parent ${JSON.stringify(node.parent)}`,
            );
        }
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      if (seen.size !== TOTAL_POLICIES)
        throw new Error(`a pass saw ${seen.size} policies, not ${TOTAL_POLICIES}`);
      return samples;
    };

    // Same core in the handler? A request must move this process's counter.
    const first = await readPage(false, null);
    const handlerSharesCore = first.sample.requests > 0;
    if (!handlerSharesCore)
      throw new Error('the handler did not use the core coreFromEnv() returned here: counter stayed at 0');
    const { coreFromEnv: coreFromEnvModule } = await import('@ade/functions/core-from-env');
    const sameInstance = coreFromEnvModule() === core;

    const variants = [
      // The target is for reading the tree; asking for each parent's name may add exactly
      // one batched read per page (BatchGetItem), never one per policy.
      { name: 'policies', withParent: false, target: TARGET_REQUESTS_PER_PAGE },
      { name: 'policies + parent { name }', withParent: true, target: TARGET_REQUESTS_PER_PAGE + 1 },
    ];
    const results = [];
    for (const variant of variants) {
      const warmup: PageSample[] = [];
      for (let i = 0; i < warmupPasses; i++) warmup.push(...(await readPass(variant.withParent)));
      const samples: PageSample[] = [];
      const started = performance.now();
      for (let i = 0; i < passes; i++) samples.push(...(await readPass(variant.withParent)));
      const elapsedMs = performance.now() - started;
      const requests = summarize(samples.map((s) => s.requests));
      const latency = summarize(samples.map((s) => s.ms));
      const byCommandTotal: Record<string, number> = {};
      for (const s of samples)
        for (const [command, n] of Object.entries(s.byCommand))
          byCommandTotal[command] = (byCommandTotal[command] ?? 0) + n;
      const pageShapes: Record<string, number> = {};
      for (const s of samples) {
        const shape = Object.entries(s.byCommand)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([command, n]) => `${command.replace(/Command$/, '')}×${n}`)
          .join(' + ');
        pageShapes[shape] = (pageShapes[shape] ?? 0) + 1;
      }
      results.push({
        variant: variant.name,
        withParent: variant.withParent,
        pages: samples.length,
        pagesPerPass: samples.length / Math.max(passes, 1),
        requestsPerPage: { min: requests.min, max: requests.max, mean: round(requests.mean, 3) },
        requestsByCommand: byCommandTotal,
        pageShapes,
        latencyMs: {
          p50: round(latency.p50, 2),
          p95: round(latency.p95, 2),
          min: round(latency.min, 2),
          max: round(latency.max, 2),
          mean: round(latency.mean, 2),
        },
        warmupLatencyMs: { p50: round(summarize(warmup.map((s) => s.ms)).p50, 2) },
        pagesPerSecond: round(samples.length / (elapsedMs / 1000), 1),
        target: variant.target,
        withinTarget: requests.max <= variant.target,
        meanWithinTarget: requests.mean <= variant.target,
      });
    }

    const result = {
      name: 'policy-tree',
      environment: environment(),
      config: { policies: TOTAL_POLICIES, pageSize: PAGE_SIZE, passes, warmupPasses, concurrency },
      targets: { maxRequestsPerPage: TARGET_REQUESTS_PER_PAGE },
      checks: { countedPerGetItem: countedPerGet, handlerSharesCore, coreFromEnvSameInstance: sameInstance },
      treeBuild: build,
      firstRequest: {
        ms: round(first.sample.ms, 2),
        requests: first.sample.requests,
        byCommand: first.sample.byCommand,
      },
      results,
    };
    const file = writeResult('policy-tree', result);

    console.log(
      `\nTree: ${build.created} creates in ${build.seconds} s (${build.createsPerSecond}/s, ${build.retries} CONCURRENT_CHANGE retries)`,
    );
    console.log(
      `Handler shares this process's core: ${handlerSharesCore && sameInstance ? 'yes' : 'NO'}; first (cold) request ${round(first.sample.ms)} ms, ${first.sample.requests} DynamoDB requests\n`,
    );
    console.log(
      table(
        [
          'query (100/page)',
          'pages',
          'req/page min',
          'max',
          'mean',
          'per page',
          'p50 ms',
          'p95 ms',
          'target',
        ],
        results.map((r) => [
          r.variant,
          r.pages,
          r.requestsPerPage.min,
          r.requestsPerPage.max,
          r.requestsPerPage.mean,
          Object.entries(r.pageShapes)
            .sort(([, a], [, b]) => b - a)
            .map(([shape, n]) => (n === r.pages ? shape : `${shape} (${n})`))
            .join('; '),
          r.latencyMs.p50,
          r.latencyMs.p95,
          `≤ ${r.target}: ${verdict(r.withinTarget)}`,
        ]),
      ),
    );
    console.log(`\n${file}`);
  } finally {
    await server?.close();
    core?.db.client.destroy();
    await dynamo?.stop();
  }
}

await main();
