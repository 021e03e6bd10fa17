/**
 * The GraphQL explorer's page and assets (packages/explorer), served by the GraphQL function from
 * the files its build wrote: read on first use, never imported, so POST /graphql's cold start does
 * not carry the 7 MB of GraphiQL, React and Monaco.
 *
 * The page may be fetched without a key: it holds no data, and every operation it runs goes through
 * POST /graphql with the key the person pastes (kept in the tab's sessionStorage). Its CSP allows
 * scripts, workers and connections to this origin only; styles also inline, because Monaco writes
 * its theme and decorations into <style> elements it creates and supports no nonce.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExplorerManifest } from '@ade/explorer/build';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export const EXPLORER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // Small, and names the current assets: always revalidated.
  'cache-control': 'no-cache',
  'content-security-policy': EXPLORER_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

const ASSET_HEADERS = {
  // Content-hashed names: a new build has new names.
  'cache-control': 'public, max-age=31536000, immutable',
  'x-content-type-options': 'nosniff',
  'cross-origin-resource-policy': 'same-origin',
  vary: 'accept-encoding',
};

type Result = APIGatewayProxyStructuredResultV2;

export interface Explorer {
  /** The HTML page (GET /graphql from a browser). */
  page(): Promise<Result>;
  /** One file of assets/ (GET /graphql/explorer/{asset}); 404 for any name the build did not write. */
  asset(name: string, acceptEncoding: string | undefined): Promise<Result>;
}

function text(status: number, body: string): Result {
  return {
    statusCode: status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
    body,
  };
}

/** Serves the explorer built into `dir` (manifest.json, page.html, assets/). */
export function explorerFromDirectory(dir: string): Explorer {
  let loaded: Promise<{ manifest: ExplorerManifest; page: string }> | undefined;
  const load = () => {
    loaded ??= (async () => {
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ExplorerManifest;
      return { manifest, page: await readFile(join(dir, manifest.page), 'utf8') };
    })();
    // A missing build is not remembered: `pnpm dev` may still be writing it.
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
  const notBuilt = () =>
    text(503, 'The GraphQL explorer is not part of this build. POST /graphql with an API key works as ever.');

  return {
    async page() {
      const built = await load().catch(() => undefined);
      if (!built) return notBuilt();
      return { statusCode: 200, headers: PAGE_HEADERS, body: built.page };
    },
    async asset(name, acceptEncoding) {
      const built = await load().catch(() => undefined);
      if (!built) return notBuilt();
      const asset = Object.hasOwn(built.manifest.assets, name) ? built.manifest.assets[name] : undefined;
      if (!asset) return text(404, 'No such file.');
      const gzip = /\bgzip\b/i.test(acceptEncoding ?? '');
      const content = await readFile(join(dir, 'assets', gzip ? `${name}.gz` : name));
      return {
        statusCode: 200,
        headers: {
          'content-type': asset.contentType,
          ...ASSET_HEADERS,
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        },
        body: content.toString('base64'),
        isBase64Encoded: true,
      };
    },
  };
}
