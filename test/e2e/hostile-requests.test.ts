/**
 * Hostile requests, fuzzed: fast-check throws random and mutated requests at every route of the one
 * route table (packages/functions/src/routes.ts) through the local runtime — GraphQL on the core,
 * the device functions on the device core over the wire client, DynamoDB Local underneath, as in
 * Lambda — and asserts that none is answered with a 5xx and that the server still answers known-good
 * requests afterwards. A route added to the table is fuzzed with no change here: its parameters get
 * the valid values below when their names are known, random ones otherwise.
 *
 * Mutations start from valid requests (a real enrollment body, a signed check-in and command-channel
 * message, a GraphQL query, the sign-in page and its form with cookie and CSRF token) and edit
 * paths, path parameters, query strings, headers (Authorization, Mdm-Signature, Cookie,
 * Content-Type) and bodies byte by byte; the rest is random. Seeded and bounded by a number of runs:
 * ADE_FUZZ_RUNS (default 250) and ADE_FUZZ_SEED for longer or different local runs, e.g.
 * `ADE_FUZZ_RUNS=5000 ADE_FUZZ_SEED=7 pnpm vitest run test/e2e/hostile-requests.test.ts`.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { buildPlist, parseEnrollRequest } from '@ade/apple';
import { isAppleProtocolError } from '@ade/apple/errors';
import { ENROLL_CAPTURE_PATH, workdir } from '@ade/apple/testing/tools';
import { runAs } from '@ade/core';
import { createGraphQLHandler } from '@ade/functions/graphql';
import { type Route, routes } from '@ade/functions/routes';
import { explorerFromDirectory } from '@ade/functions/web/explorer';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadPushCertificate } from '../support/ade.ts';
import { createTenantFixture, type TenantFixture, useTestCore } from '../support/core.ts';
import { signDetached } from '../support/device-crypto.ts';
import { signedEnrollBody } from '../support/device-simulator.ts';
import { enrollDevice } from '../support/enroll-device.ts';
import { localHandlers, wireDeviceCore } from '../support/handlers.ts';

const RUNS = Number(process.env.ADE_FUZZ_RUNS ?? 250);
const SEED = Number(process.env.ADE_FUZZ_SEED ?? 13_2026);

const core = useTestCore();
let server: LocalServer;
let f: TenantFixture;
const explorerDir = workdir('ade-fuzz-explorer-');

/** One request as the fuzzer builds it: header values and the path are latin1 text (what HTTP/1.1 carries). */
interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** A valid request for a route: its path parameters, query, headers and body. */
interface Seed {
  params: Record<string, string>;
  query: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Valid values by path parameter name; a route whose parameter is not here gets random ones only. */
const validParams: Record<string, string> = {};
/** Valid requests by route key; a route not here is fuzzed from an empty request. */
const seeds = new Map<string, Seed[]>();

function send(req: FuzzRequest): Promise<{ status: number; body: string }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      // A connection per request: a keep-alive socket the server has just closed (after answering a request
      // whose body it did not read) would fail the next request with no server at fault.
      { host: '127.0.0.1', port, agent: false, method: req.method, path: req.path, headers: req.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('latin1').slice(0, 300) }),
        );
        res.on('error', reject);
      },
    );
    outgoing.setTimeout(15_000, () => outgoing.destroy(new Error('no answer within 15 s')));
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

// ---------------------------------------------------------------- mutation

type Edit = {
  kind: 'set' | 'delete' | 'insert' | 'truncate' | 'repeat';
  at: number;
  n: number;
  bytes: number[];
};

const editArb: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('set', 'delete', 'insert', 'truncate', 'repeat'),
  at: fc.nat(),
  n: fc.integer({ min: 1, max: 64 }),
  bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 }),
});

/** Byte-level edits of a valid value: what a bit-flipping proxy, a truncated upload or an attacker makes. */
function applyEdits(seed: Buffer, edits: Edit[]): Buffer {
  let out = Buffer.from(seed);
  for (const { kind, at, n, bytes } of edits) {
    const i = out.length ? at % (out.length + 1) : 0;
    if (kind === 'set') for (const [k, b] of bytes.entries()) if (i + k < out.length) out[i + k] = b;
    if (kind === 'delete') out = Buffer.concat([out.subarray(0, i), out.subarray(i + n)]);
    if (kind === 'insert') out = Buffer.concat([out.subarray(0, i), Buffer.from(bytes), out.subarray(i)]);
    if (kind === 'truncate') out = out.subarray(0, i);
    if (kind === 'repeat') {
      const piece = out.subarray(i, i + n);
      out = Buffer.concat([out.subarray(0, i), ...Array(Math.min(n, 200)).fill(piece), out.subarray(i)]);
    }
  }
  return out;
}

const mutatedBytes = (seed: Buffer) =>
  fc.array(editArb, { minLength: 1, maxLength: 4 }).map((edits) => applyEdits(seed, edits));

/** Where each ASN.1 element of a (valid) BER/DER value starts and where its length is, by depth. */
function berElements(buf: Buffer): { tagAt: number; lengthAt: number }[][] {
  const byDepth: { tagAt: number; lengthAt: number }[][] = [];
  const element = (start: number, depth: number): number => {
    let i = start;
    const tag = buf[i++]!;
    if ((tag & 0x1f) === 0x1f) while (i < buf.length && buf[i++]! & 0x80);
    byDepth[depth] ??= [];
    byDepth[depth].push({ tagAt: start, lengthAt: i });
    const first = buf[i++]!;
    if (first === 0x80) {
      while (i + 1 < buf.length && !(buf[i] === 0 && buf[i + 1] === 0)) i = element(i, depth + 1);
      return i + 2;
    }
    let length = first;
    if (first & 0x80) {
      length = 0;
      for (let n = first & 0x7f; n > 0; n--) length = length * 256 + buf[i++]!;
    }
    const end = i + length;
    if (tag & 0x20) while (i < end) i = element(i, depth + 1);
    return end;
  };
  element(0, 0);
  return byDepth;
}

/** Tags to swap in: constructed for constructed (the message still frames), primitive for primitive. */
const CONSTRUCTED_TAGS = [0x24, 0x30, 0x31, 0xa0, 0xa1, 0xa3, 0x2c];
const PRIMITIVE_TAGS = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x17, 0x18, 0x80, 0x81];

/**
 * Edits that respect the structure of a signed message: a tag swapped (an OCTET STRING that is now a
 * SEQUENCE, a SET that is now a context tag), a length made shorter, longer or indefinite. Random byte
 * flips almost never land on the few bytes that matter to a parser.
 */
function mutatedBer(seed: Buffer): fc.Arbitrary<Buffer> {
  // A depth first, then an element at it: the few elements near the top, where a parser decides what a
  // message is, are chosen as often as the hundreds inside its certificates.
  const byDepth = berElements(seed);
  const element = fc.nat({ max: byDepth.length - 1 }).chain((depth) => fc.constantFrom(...byDepth[depth]!));
  const edit = fc.oneof(
    fc.record({ element, tag: fc.nat() }).map(({ element, tag }) => (out: Buffer) => {
      const tags = out[element.tagAt]! & 0x20 ? CONSTRUCTED_TAGS : PRIMITIVE_TAGS;
      out[element.tagAt] = tags[tag % tags.length]!;
    }),
    fc
      .record({
        element,
        length: fc.oneof(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0x81, 0x84, 0x89, 0xff), fc.nat(255)),
      })
      .map(({ element, length }) => (out: Buffer) => {
        out[element.lengthAt] = length;
      }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 2 }).map((edits) => {
    const out = Buffer.from(seed);
    for (const apply of edits) apply(out);
    return out;
  });
}

/** Bytes HTTP/1.1 lets a client put in a header value (Node refuses the rest before sending). */
const headerSafe = (b: Buffer) =>
  Buffer.from(b.map((x) => (x === 0x09 || (x >= 0x20 && x !== 0x7f) ? x : 0x2e))).toString('latin1');
/**
 * Printable ASCII for a request-target. Node's parser answers 400 itself to bytes over 0x7e, and a
 * stray `%` is the runtime's 400: both stop a request before any handler, so they are kept to the
 * escapes `randomComponent` makes on purpose.
 */
const pathSafe = (b: Buffer) =>
  Buffer.from(b.map((x) => (x > 0x20 && x < 0x7f && x !== 0x25 ? x : 0x21 + (x % 4)))).toString('latin1');

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const mutatedHeader = (valid: string) => mutatedBytes(latin1(valid)).map(headerSafe);
const randomHeader = fc
  .oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => headerSafe(Buffer.from(b))),
    fc.string({ maxLength: 100 }).map((s) => headerSafe(Buffer.from(s, 'utf8'))),
    fc.integer({ min: 1_000, max: 9_000 }).map((n) => 'A'.repeat(n)),
  )
  .map((s) => s.trim());

/** Text a path segment or query may carry: escapes (well-formed or not), raw bytes, Unicode, or a lot. */
const randomComponent = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent),
  fc.uint8Array({ maxLength: 40 }).map((b) => pathSafe(Buffer.from(b)).replace(/[/?#]/g, '_')),
  fc
    .array(fc.constantFrom('%', '%E0', '%A4', '%ZZ', '%C0%AF', '%ED%A0%80', '%00', '%2F', '..', '%25'), {
      maxLength: 6,
    })
    .map((parts) => parts.join('')),
  fc.integer({ min: 300, max: 6_000 }).map((n) => 'x'.repeat(n)),
);

// ---------------------------------------------------------------- requests per route

function paramArb(valid: string | undefined): fc.Arbitrary<string> {
  const random = randomComponent.filter((s) => s.length > 0);
  if (!valid) return random;
  return fc.oneof(
    { weight: 3, arbitrary: mutatedBytes(latin1(valid)).map((b) => pathSafe(b).replace(/[/?#]/g, '~')) },
    { weight: 1, arbitrary: random },
  );
}

const queryArb = (valid: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(valid) },
    {
      weight: 3,
      arbitrary: mutatedBytes(latin1(valid))
        .map(pathSafe)
        .map((s) => s.replace(/#/g, '%23')),
    },
    {
      weight: 2,
      arbitrary: fc
        .array(
          fc.tuple(
            fc.oneof(fc.constantFrom('user-identifier', 'model-family', 'query', 'csrf'), randomComponent),
            randomComponent,
          ),
          { maxLength: 4 },
        )
        .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
    },
  );

const CONTENT_TYPES = [
  'application/json',
  'application/x-www-form-urlencoded',
  'application/pkcs7-signature',
  'application/x-apple-aspen-mdm-checkin',
  'application/x-apple-aspen-mdm',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
];

function headersArb(valid: Record<string, string>): fc.Arbitrary<Record<string, string>> {
  const one = (name: string) => {
    const options: fc.Arbitrary<string | undefined>[] = [fc.constant(undefined), randomHeader];
    if (valid[name] !== undefined) options.push(fc.constant(valid[name]), mutatedHeader(valid[name]));
    if (name === 'mdm-signature' && valid[name] !== undefined) {
      const der = Buffer.from(valid[name], 'base64');
      options.push(
        mutatedBer(der).map((b) => b.toString('base64')),
        mutatedBer(der).map((b) => b.toString('base64')),
      );
    }
    if (name === 'content-type') options.push(fc.constantFrom(...CONTENT_TYPES));
    if (name === 'authorization') options.push(randomHeader.map((s) => `Bearer ${s}`));
    if (name === 'cookie') options.push(randomHeader.map((s) => `ade_csrf=${s}`));
    return fc.oneof(...options);
  };
  const names = ['authorization', 'mdm-signature', 'cookie', 'content-type', 'accept', 'accept-encoding'];
  return fc
    .tuple(
      fc.tuple(...names.map(one)),
      fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/), randomHeader), { maxLength: 3 }),
    )
    .map(([values, extra]) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of extra)
        if (
          !['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade'].includes(name)
        )
          headers[name] = value;
      names.forEach((name, i) => {
        if (values[i] !== undefined) headers[name] = values[i]!;
      });
      for (const [name, value] of Object.entries(valid)) if (!names.includes(name)) headers[name] = value;
      return fitHeaders(headers);
    });
}

/**
 * API Gateway takes 10 KB of request line and headers; Node's parser 16 KB, past which it answers
 * 431 and drops the connection before the runtime sees anything. Keep within that: what the handlers get.
 */
function fitHeaders(headers: Record<string, string>): Record<string, string> {
  let room = 10_000;
  for (const [name, value] of Object.entries(headers)) {
    headers[name] = value.slice(0, Math.max(0, room));
    room -= headers[name]!.length + name.length + 4;
  }
  return headers;
}

function bodyArb(valid: Buffer): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(valid) },
    { weight: 5, arbitrary: mutatedBytes(valid) },
    {
      weight: valid[0] === 0x30 ? 5 : 0,
      arbitrary: valid[0] === 0x30 ? mutatedBer(valid) : fc.constant(valid),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 4 }).map((j) => Buffer.from(j)) },
  );
}

function pathOf(route: Route, params: Record<string, string>): string {
  return route.key.split(' ')[1]!.replace(/\{(\w+)\+?\}/g, (_, name: string) => params[name] ?? '');
}

/**
 * Requests for one route: mostly a valid request with one part replaced (a path parameter, the query,
 * the headers or the body), so that the other parts still lead the request as deep as it can go;
 * sometimes every part at once.
 */
function requestArb(route: Route): fc.Arbitrary<FuzzRequest> {
  const method = route.key.split(' ')[0]!;
  const names = [...route.key.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]!);
  const routeSeeds = seeds.get(route.key) ?? [{ params: {}, query: '', headers: {}, body: Buffer.alloc(0) }];
  return fc.constantFrom(...routeSeeds).chain((seed) => {
    const valid = { ...validParams, ...seed.params };
    const params = names.map((n) => valid[n] ?? 'x');
    const build = (
      parts: Partial<{ params: string[]; query: string; headers: Record<string, string>; body: Buffer }>,
    ) => {
      const all = { params, query: seed.query, headers: seed.headers, body: seed.body, ...parts };
      const path = pathOf(route, Object.fromEntries(names.map((n, i) => [n, all.params[i]!])));
      return described({
        method,
        path: all.query ? `${path}?${all.query}` : path,
        headers: { ...all.headers },
        body: all.body,
      });
    };
    const paramArbs = names.map((n) => paramArb(valid[n]));
    return fc.oneof(
      ...paramArbs.map((arb, i) => ({
        weight: 1,
        arbitrary: arb.map((value) => build({ params: params.map((p, j) => (i === j ? value : p)) })),
      })),
      { weight: 1, arbitrary: queryArb(seed.query).map((query) => build({ query })) },
      { weight: 2, arbitrary: headersArb(seed.headers).map((headers) => build({ headers })) },
      { weight: 3, arbitrary: bodyArb(seed.body).map((body) => build({ body })) },
      {
        weight: 1,
        arbitrary: fc
          .record({
            params: fc.tuple(...paramArbs),
            query: queryArb(seed.query),
            headers: headersArb(seed.headers),
            body: bodyArb(seed.body),
          })
          .map(build),
      },
    );
  });
}

/** What fast-check prints for a counterexample: enough to replay it, not megabytes. */
function described(req: FuzzRequest): FuzzRequest {
  return Object.assign(req, {
    [fc.toStringMethod]: () =>
      `${req.method} ${req.path.slice(0, 400)}${req.path.length > 400 ? `… (${req.path.length} chars)` : ''}\n` +
      `  headers: ${JSON.stringify(req.headers, (_k, v) => (typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}… (${v.length} chars)` : v))}\n` +
      `  body (${req.body.length} bytes, base64): ${req.body.toString('base64').slice(0, 600)}`,
  });
}

/** Anything at all: unknown paths and methods, and the route table's paths under the wrong method. */
const strayArb: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    path: fc.oneof(
      fc.array(randomComponent, { maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
      fc.constantFrom(...routes.map((r) => r.key.split(' ')[1]!)),
    ),
    headers: headersArb({}),
    body: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  })
  .map(described);

// ---------------------------------------------------------------- the valid requests

let discovery: { path: string; query: string };
let graphql: Seed;
let checkIn: Seed;

beforeAll(async () => {
  f = await createTenantFixture(core(), 'Fuzzed');
  const push = await uploadPushCertificate(core(), f);
  explorerDir.write(
    'manifest.json',
    JSON.stringify({
      stamp: 'fuzz',
      page: 'page.html',
      assets: { 'app-1.js': { contentType: 'text/javascript', bytes: 2, gzipBytes: 22 } },
    }),
  );
  explorerDir.write('page.html', '<!doctype html><title>explorer</title>');
  mkdirSync(explorerDir.path('assets'));
  explorerDir.write('assets/app-1.js', '1;');
  explorerDir.write('assets/app-1.js.gz', gzipSync('1;'));
  const handlers = {
    ...localHandlers(core(), await wireDeviceCore(core())),
    graphql: createGraphQLHandler(core(), explorerFromDirectory(explorerDir.dir)),
  };
  server = await startLocalServer({ loadHandler: async (name) => handlers[name] });

  // A BYOD iPhone enrolled all the way (the real capture): its identity signs check-ins.
  const { sim, user } = await enrollDevice(
    core(),
    server.url,
    { tenantId: f.tenantId, tenantActor: f.tenantActor },
    {
      type: 'USER',
      policyId: f.rootPolicyId,
      hardware: {
        body: readFileSync(ENROLL_CAPTURE_PATH),
        family: 'iPhone',
        product: 'iPhone12,1',
        os: '15.7',
        build: '19H12',
      },
      topic: push.topic,
    },
  );
  const userConfig = (
    await runAs(f.tenantActor, () =>
      core().tenancy.inTenant(f.tenantId, () => core().adeConfigurations.list()),
    )
  ).find((c) => c.enrollmentType === 'USER')!;
  const domain = user.split('@')[1]!;
  // An ADDE configuration with a passcode, on a policy of its own.
  const addePolicy = await runAs(f.tenantActor, () =>
    core().tenancy.inTenant(f.tenantId, () =>
      core().policies.create({ parentId: f.rootPolicyId, name: 'ADDE' }),
    ),
  );
  const { item: deviceConfig } = await runAs(f.tenantActor, () =>
    core().tenancy.inTenant(f.tenantId, () =>
      core().adeConfigurations.set({
        policyId: addePolicy.policyId,
        enrollmentType: 'DEVICE',
        domains: [`adde-${domain}`],
        authMethod: 'PASSCODE',
        passcode: 'correct horse',
        enabled: true,
      }),
    ),
  );

  validParams.discoveryId = userConfig.discoveryId;
  validParams.tenant = /\/mdm\/t\/([^/]+)\/checkin$/.exec(sim.profile!.mdm.CheckInURL as string)![1]!;
  validParams.asset = 'app-1.js';
  discovery = {
    path: `/mdm/enrollment/servicediscovery/${userConfig.discoveryId}`,
    query: `user-identifier=${encodeURIComponent(user)}&model-family=iPhone`,
  };
  seeds.set('GET /mdm/enrollment/servicediscovery/{discoveryId}', [
    { params: {}, query: discovery.query, headers: {}, body: Buffer.alloc(0) },
  ]);

  const capture = readFileSync(ENROLL_CAPTURE_PATH);
  const addeBody = signedEnrollBody({ PRODUCT: 'iPhone17,2', VERSION: '22B83' });
  const enrollHeaders = {
    'content-type': 'application/pkcs7-signature',
    authorization: `Bearer ${sim.token}`,
  };
  seeds.set('POST /mdm/enrollment/servicediscovery/{discoveryId}/userenroll', [
    { params: {}, query: '', headers: enrollHeaders, body: capture },
  ]);
  seeds.set('POST /mdm/enrollment/servicediscovery/{discoveryId}/deviceenroll', [
    { params: { discoveryId: deviceConfig.discoveryId }, query: '', headers: enrollHeaders, body: addeBody },
  ]);

  // Sign-in pages of open sessions (each challenge opens one), with their cookie and form.
  const authSeeds: Record<'GET' | 'POST' | 'LOGO', Seed[]> = { GET: [], POST: [], LOGO: [] };
  for (const [config, who, route, body] of [
    [userConfig, user, 'userenroll', capture],
    [deviceConfig, `bob@adde-${domain}`, 'deviceenroll', addeBody],
  ] as const) {
    const challenge = await fetch(
      `${server.url}/mdm/enrollment/servicediscovery/${config.discoveryId}/${route}`,
      {
        method: 'POST',
        body,
      },
    );
    const sessionId = /\/auth\/([0-9A-Z]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')![1]!;
    const query = `user-identifier=${encodeURIComponent(who)}`;
    const page = await fetch(
      `${server.url}/mdm/enrollment/servicediscovery/${config.discoveryId}/auth/${sessionId}?${query}`,
    );
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    const params = { discoveryId: config.discoveryId, sessionId };
    authSeeds.GET.push({ params, query, headers: {}, body: Buffer.alloc(0) });
    authSeeds.LOGO.push({ params, query: '', headers: {}, body: Buffer.alloc(0) });
    authSeeds.POST.push({
      params,
      query: '',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(new URLSearchParams({ csrf, 'user-identifier': who, passcode: 'not it' }).toString()),
    });
    validParams.sessionId = sessionId;
  }
  seeds.set('GET /mdm/enrollment/servicediscovery/{discoveryId}/auth/{sessionId}', authSeeds.GET);
  seeds.set('POST /mdm/enrollment/servicediscovery/{discoveryId}/auth/{sessionId}', authSeeds.POST);
  seeds.set('GET /mdm/enrollment/servicediscovery/{discoveryId}/auth/{sessionId}/logo', authSeeds.LOGO);

  // Signed messages of the enrolled device: a declarative-management token read and an Idle.
  const identity = sim.profile!.identity;
  const signed = (message: Record<string, unknown>, contentType: string): Seed => {
    const body = Buffer.from(buildPlist(message as never));
    return {
      params: {},
      query: '',
      headers: {
        'content-type': contentType,
        'mdm-signature': signDetached(body, identity),
        authorization: `Bearer ${sim.token}`,
      },
      body,
    };
  };
  checkIn = signed(
    { MessageType: 'DeclarativeManagement', ...sim.ids, Endpoint: 'tokens' },
    'application/x-apple-aspen-mdm-checkin',
  );
  seeds.set('PUT /mdm/t/{tenant}/checkin', [checkIn]);
  seeds.set('PUT /mdm/t/{tenant}/connect', [
    signed({ ...sim.ids, Status: 'Idle' }, 'application/x-apple-aspen-mdm'),
  ]);

  graphql = {
    params: {},
    query: '',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${f.tenantAdminKey}` },
    body: Buffer.from(
      JSON.stringify({
        query:
          'query($t: ID!, $n: Int) { tenant(id: $t) { name devices(first: $n) { nodes { id status managedAppleId } } auditEvents(first: 5) { nodes { action details } } } }',
        variables: { t: f.tenantId, n: 5 },
      }),
    ),
  };
  const readOnlyMutation = {
    ...graphql,
    headers: { ...graphql.headers, authorization: `Bearer ${f.tenantReadOnlyKey}` },
    body: Buffer.from(
      JSON.stringify({
        query: 'mutation($p: ID!) { createPolicy(input: { parentId: $p, name: "x" }) { errors { code } } }',
        variables: { p: f.rootPolicyId },
      }),
    ),
  };
  seeds.set('POST /graphql', [graphql, readOnlyMutation]);
  seeds.set('GET /graphql', [
    {
      params: {},
      query: `query=${encodeURIComponent('{ viewer { kind } }')}`,
      headers: { authorization: `Bearer ${f.tenantAdminKey}`, 'apollo-require-preflight': 'true' },
      body: Buffer.alloc(0),
    },
    { params: {}, query: '', headers: { accept: 'text/html' }, body: Buffer.alloc(0) },
  ]);
}, 120_000);

afterAll(async () => {
  await server?.close();
  explorerDir.remove();
});

// ---------------------------------------------------------------- the property

/** Answers by route and status (ADE_FUZZ_STATS=1 prints them): shows how deep the inputs reach. */
const statuses = new Map<string, Record<number, number>>();
const matchRoute = routes.map((r) => ({
  key: r.key,
  method: r.key.split(' ')[0],
  pattern: new RegExp(`^${r.key.split(' ')[1]!.replace(/\{\w+\}/g, '[^/]+')}$`),
}));
function tally(req: FuzzRequest, status: number) {
  const path = req.path.split('?')[0]!;
  const key = matchRoute.find((r) => r.method === req.method && r.pattern.test(path))?.key ?? 'other';
  const counts = statuses.get(key) ?? {};
  counts[status] = (counts[status] ?? 0) + 1;
  statuses.set(key, counts);
}

async function knownGoodRequestsAnswer() {
  const found = await send({
    method: 'GET',
    path: `${discovery.path}?${discovery.query}`,
    headers: {},
    body: Buffer.alloc(0),
  });
  expect(found.status).toBe(200);
  const api = await send({ method: 'POST', path: '/graphql', headers: graphql.headers, body: graphql.body });
  expect(api.status, api.body).toBe(200);
  const signed = await send({
    method: 'PUT',
    path: `/mdm/t/${validParams.tenant}/checkin`,
    headers: checkIn.headers,
    body: checkIn.body,
  });
  expect(signed.status, signed.body).toBe(200);
}

describe('hostile requests through the local runtime', () => {
  it('fuzzes every route of the route table', () => {
    // Each route of routes.ts is a candidate; the fuzzer must not silently skip one.
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) expect(() => requestArb(route)).not.toThrow();
  });

  it(
    'answers no request with a 5xx, and keeps answering known-good requests',
    async () => {
      await knownGoodRequestsAnswer();
      const anyRequest = fc.oneof(
        { weight: 12, arbitrary: fc.constantFrom(...routes).chain(requestArb) },
        { weight: 1, arbitrary: strayArb },
      );
      await fc.assert(
        fc.asyncProperty(anyRequest, async (req) => {
          const answer = await send(req);
          tally(req, answer.status);
          if (answer.status >= 500) throw new Error(`answered ${answer.status}: ${answer.body}`);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      await knownGoodRequestsAnswer();
      if (process.env.ADE_FUZZ_STATS) console.log(JSON.stringify(Object.fromEntries(statuses), null, 1));
    },
    10 * 60_000,
  );
});

/**
 * The parsers behind the device routes, called directly with many more inputs than HTTP allows in
 * the same time. Their contract is what keeps the routes off 5xx: anything a client can send either
 * parses or throws AppleProtocolError (a 400 or 403 at the edge); any other error is a 500.
 */
describe('the device parsers behind the routes', () => {
  const PARSER_RUNS = RUNS * 10;
  const typedOnly = (parse: () => unknown) => {
    try {
      parse();
    } catch (error) {
      if (!isAppleProtocolError(error)) throw error;
    }
  };

  it('enrollment bodies: parse or AppleProtocolError', () => {
    const capture = readFileSync(ENROLL_CAPTURE_PATH);
    const adde = signedEnrollBody({ PRODUCT: 'iPhone17,2', VERSION: '22B83' });
    const body = fc.oneof(
      fc.constantFrom(capture, adde).chain(mutatedBer),
      fc.constantFrom(capture, adde).chain(mutatedBytes),
      fc
        .constantFrom(capture, adde)
        .map((b) => b.toString('base64'))
        .chain((t) => mutatedBytes(latin1(t))),
    );
    fc.assert(
      fc.property(body, (b) => typedOnly(() => parseEnrollRequest(b))),
      { numRuns: PARSER_RUNS, seed: SEED },
    );
  });

  it('Mdm-Signature, check-in and command-channel messages: parse or AppleProtocolError', async () => {
    const seedsOf = (key: string) => seeds.get(key)!.map((s) => s) as Seed[];
    const messages = [...seedsOf('PUT /mdm/t/{tenant}/checkin'), ...seedsOf('PUT /mdm/t/{tenant}/connect')];
    const { verifyMdmSignature, parseCheckin, parseCommandResult } = await import(
      '@ade/apple/device-messages'
    );
    const signature = fc.constantFrom(...messages).chain((m) =>
      fc.oneof(
        mutatedBer(Buffer.from(m.headers['mdm-signature']!, 'base64')).map((der) => ({
          m,
          sig: der.toString('base64'),
        })),
        mutatedHeader(m.headers['mdm-signature']!).map((sig) => ({ m, sig })),
      ),
    );
    fc.assert(
      fc.property(signature, ({ m, sig }) => typedOnly(() => verifyMdmSignature(sig, m.body))),
      { numRuns: PARSER_RUNS, seed: SEED },
    );
    const plist = fc.constantFrom(...messages).chain((m) => mutatedBytes(m.body));
    fc.assert(
      fc.property(plist, (body) => {
        typedOnly(() => parseCheckin(body));
        typedOnly(() => parseCommandResult(body));
      }),
      { numRuns: PARSER_RUNS, seed: SEED },
    );
  });
});
