/**
 * The explorer for the local runtime and the tests: built with the repository's esbuild into
 * .artifacts/explorer/<stamp>, once per change of its inputs (build.ts, ensureExplorer).
 */
import { resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { type ExplorerManifest, ensureExplorer } from './build.ts';

export const repoRoot = resolve(import.meta.dirname, '../../..');

export function ensureLocalExplorer(): Promise<{ dir: string; manifest: ExplorerManifest }> {
  return ensureExplorer(esbuild, repoRoot);
}
