/**
 * The GraphQL explorer through the local runtime (API Gateway v2 events → the GraphQL handler as
 * deployed), against DynamoDB Local: what GET /graphql answers a browser and an API client, that
 * POST stays behind Apollo's CSRF prevention, and the page itself in Chromium with every request
 * that would leave the local server refused and recorded. A screenshot is kept in
 * .artifacts/screenshots.
 */
import { mkdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ensureLocalExplorer } from '@ade/explorer/local';
import { createGraphQLHandler } from '@ade/functions/graphql';
import { EXPLORER_CSP, explorerFromDirectory } from '@ade/functions/web/explorer';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { createTenantFixture, type TenantFixture, useTestCore } from '../support/core.ts';

const SHOTS = new URL('../../.artifacts/screenshots/', import.meta.url).pathname;
const core = useTestCore();
let server: LocalServer;
let f: TenantFixture;
let browser: Browser;

beforeAll(async () => {
  const [{ dir }, fixture] = await Promise.all([
    ensureLocalExplorer(),
    createTenantFixture(core(), 'Explorer Co'),
  ]);
  f = fixture;
  const handler = createGraphQLHandler(core(), explorerFromDirectory(dir));
  server = await startLocalServer({ loadHandler: async () => handler });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const viewerQuery = '{ viewer { kind tenant { name } } }';

/** The assets a page links (stylesheet and module script), as URLs. */
function linkedAssets(page: string): string[] {
  return [...page.matchAll(/(?:href|src)="(graphql\/explorer\/[^"]+)"/g)].map(
    (m) => new URL(m[1]!, `${server.url}/graphql`).href,
  );
}

describe('GET /graphql for a browser', () => {
  it('answers the explorer page without a key, under a strict CSP, linking only its own files', async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: html });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toBe(EXPLORER_CSP);
    const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d]));
    expect(directives['script-src']).toBe("script-src 'self'");
    expect(directives['connect-src']).toBe("connect-src 'self'");
    expect(directives['frame-ancestors']).toBe("frame-ancestors 'none'");
    expect(directives['default-src']).toBe("default-src 'none'");
    const page = await response.text();
    expect(page).toContain('<title>ADE Cloud — GraphQL explorer</title>');
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script: 'self' is enough
    expect(page).not.toMatch(/https?:\/\//); // nothing from another origin
    expect(linkedAssets(page)).toHaveLength(2);
  });

  it('serves the linked files with long caching, gzipped when asked, and nothing it did not build', async () => {
    const page = await (await fetch(`${server.url}/graphql`, { headers: html })).text();
    for (const url of linkedAssets(page)) {
      const plain = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.status, url).toBe(200);
      expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(plain.headers.get('content-type')).toMatch(/^text\/(javascript|css); charset=utf-8$/);
      expect(plain.headers.get('content-encoding')).toBeNull();
      const body = Buffer.from(await plain.arrayBuffer());
      expect(body.length).toBeGreaterThan(1000);
      // Node's fetch would decode gzip itself: read the raw bytes through a plain request instead.
      const gz = await rawGet(url, { 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.headers.vary).toBe('accept-encoding');
      expect(gunzipSync(gz.body).equals(body)).toBe(true);
      expect(gz.body.length).toBeLessThan(body.length);
    }
    for (const name of ['manifest.json', 'page.html', '..%2Fmanifest.json', 'nope.js', 'constructor'])
      expect((await fetch(`${server.url}/graphql/explorer/${name}`)).status, name).toBe(404);
  });

  it('leads / to the explorer', async () => {
    const response = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get('location')!, `${server.url}/`).href).toBe(`${server.url}/graphql`);
  });
});

describe('the API behind it, unchanged', () => {
  const getQuery = (headers: Record<string, string>) =>
    fetch(`${server.url}/graphql?query=${encodeURIComponent(viewerQuery)}`, { headers });

  it('answers GET with a query as GraphQL (even from a browser), behind Apollo CSRF prevention', async () => {
    const auth = { authorization: `Bearer ${f.tenantAdminKey}` };
    const ok = await getQuery({ ...html, ...auth, 'apollo-require-preflight': 'true' });
    expect(ok.headers.get('content-type')).toMatch(/application\/json/);
    expect(await ok.json()).toEqual({
      data: { viewer: { kind: 'TENANT', tenant: { name: 'Explorer Co' } } },
    });
    expect((await getQuery({ ...html, ...auth })).status).toBe(400); // a simple GET: refused
    const noKey = await getQuery(html);
    expect(noKey.status).toBe(401);
    const refusal = (await noKey.json()) as { errors: { extensions: { code: string } }[] };
    expect(refusal.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    // Not a browser (no text/html): the API's answer, as before.
    const json = await fetch(`${server.url}/graphql`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(401);
  });

  it('refuses POSTs a form or a simple cross-site request could send', async () => {
    const post = (contentType: string, key?: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': contentType, ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query: viewerQuery }),
      });
    // With a key (not something a cross-site form can add, but CSRF prevention holds on its own).
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const refused = await post(type, f.tenantAdminKey);
      expect(refused.status, type).toBe(400);
      expect(await refused.text(), type).toMatch(/CSRF|preflight/i);
    }
    // Without a key nothing runs at all.
    expect((await post('text/plain')).status).toBe(401);
    // The control: the same request as JSON runs.
    expect(await (await post('application/json', f.tenantAdminKey)).json()).toEqual({
      data: { viewer: { kind: 'TENANT', tenant: { name: 'Explorer Co' } } },
    });
  });
});

/** A Chromium page whose every request off the local server is aborted and recorded. */
async function offlinePage(): Promise<{
  context: BrowserContext;
  page: Page;
  outside: string[];
  problems: string[];
}> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const outside: string[] = [];
  const problems: string[] = [];
  const origin = new URL(server.url).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || new URL(url).origin === origin) return route.continue();
    outside.push(url);
    return route.abort('internetdisconnected');
  });
  context.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin)
      outside.push(url);
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 401/.test(message.text()))
      problems.push(`console: ${message.text()}`);
  });
  return { context, page, outside, problems };
}

/** Opens an example from the Examples panel in a new tab and runs it; returns the API's answer. */
async function runExample(page: Page, name: string) {
  if (!(await page.getByRole('region', { name: 'Example operations' }).isVisible()))
    await page.getByRole('button', { name: 'Show Examples' }).click();
  await page.getByRole('button', { name, exact: true }).click();
  await expect.poll(() => editorText(page, '.graphiql-query-editor')).toContain('viewer');
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/graphql'));
  await page.getByRole('button', { name: /^Execute query/ }).click();
  return answer;
}

/** The text a Monaco editor shows, lines run together (Monaco's non-breaking spaces as spaces). */
async function editorText(page: Page, selector: string): Promise<string> {
  const text = await page.locator(`${selector} .view-lines`).first().textContent();
  return (text ?? '').replace(/\u00a0/g, ' ');
}

describe('the explorer in Chromium, offline', () => {
  it('loads from this origin only, refuses queries without a key, and runs them with a pasted key', async () => {
    const { context, page, outside, problems } = await offlinePage();
    const sameOrigin: string[] = [];
    context.on('request', (request) => sameOrigin.push(new URL(request.url()).pathname));
    try {
      await page.goto(`${server.url}/graphql`);
      await page.locator('.graphiql-query-editor .monaco-editor').waitFor();
      expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);

      // No key: the schema cannot load and a query is refused, and the page says so.
      const refused = await runExample(page, 'viewer');
      expect(refused.status()).toBe(401);
      expect(refused.request().headers().authorization).toBeUndefined();
      await expect.poll(() => editorText(page, '.result-window')).toContain('UNAUTHENTICATED');
      await expect(page.getByRole('status').textContent()).resolves.toContain(
        'The API refused the request: UNAUTHENTICATED',
      );

      // A pasted key: kept in sessionStorage only, sent as a bearer, and the query returns data.
      await page.getByLabel('API key').fill(f.tenantAdminKey);
      await page.getByRole('button', { name: 'Use key' }).click();
      await expect(page.getByRole('status').textContent()).resolves.toContain('sessionStorage');
      const answered = await runExample(page, 'viewer');
      expect(answered.status()).toBe(200);
      expect(answered.request().headers().authorization).toBe(`Bearer ${f.tenantAdminKey}`);
      await expect.poll(() => editorText(page, '.result-window')).toContain('"Explorer Co"');
      // (Run in the page, which has the DOM's storages; this file is type-checked for Node.)
      const storage = await page.evaluate<{ session: string[]; local: string[] }>(
        '({ session: Object.values(sessionStorage), local: Object.entries(localStorage).map(([k, v]) => k + "=" + v) })',
      );
      expect(storage.session).toEqual([f.tenantAdminKey]);
      expect(storage.local.join('\n')).not.toContain(f.tenantAdminKey);
      expect(storage.local.join('\n')).toContain('viewer'); // GraphiQL keeps the tabs, not the key

      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: `${SHOTS}graphql-explorer.png` });

      // Monaco's language services ran in workers built beside the page, not fetched from a CDN.
      expect(
        sameOrigin.filter((p) => /\/graphql\/explorer\/graphql\.worker-/.test(p)).length,
      ).toBeGreaterThan(0);
      expect(outside).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});

async function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { get } = await import('node:http');
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    }).on('error', reject);
  });
}
