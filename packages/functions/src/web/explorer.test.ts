import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { explorerFromDirectory } from './explorer.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function emptyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ade-explorer-'));
  dirs.push(dir);
  return dir;
}

function writeBuild(dir: string) {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'assets', 'main-AAAA.js'), 'console.log(1)');
  writeFileSync(join(dir, 'page.html'), '<!doctype html><title>x</title>');
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      stamp: 'x',
      page: 'page.html',
      assets: { 'main-AAAA.js': { contentType: 'text/javascript; charset=utf-8', bytes: 14, gzipBytes: 0 } },
    }),
  );
}

describe('explorerFromDirectory', () => {
  it('answers 503 while nothing is built, and serves the build once it is there', async () => {
    const dir = emptyDir();
    const explorer = explorerFromDirectory(dir);
    expect((await explorer.page()).statusCode).toBe(503);
    expect((await explorer.asset('main-AAAA.js', undefined)).statusCode).toBe(503);
    writeBuild(dir); // `pnpm dev` finished building: not remembered as missing
    const page = await explorer.page();
    expect(page.statusCode).toBe(200);
    expect(page.body).toBe('<!doctype html><title>x</title>');
    const asset = await explorer.asset('main-AAAA.js', 'br');
    expect(asset).toMatchObject({ statusCode: 200, isBase64Encoded: true });
    expect(asset.headers?.['content-encoding']).toBeUndefined();
    expect(Buffer.from(asset.body!, 'base64').toString()).toBe('console.log(1)');
  });

  it('serves only the files its manifest names', async () => {
    const dir = emptyDir();
    writeBuild(dir);
    const explorer = explorerFromDirectory(dir);
    for (const name of ['manifest.json', '../page.html', 'main-AAAA.js.gz', 'toString', '__proto__', ''])
      expect((await explorer.asset(name, undefined)).statusCode, name).toBe(404);
  });
});
