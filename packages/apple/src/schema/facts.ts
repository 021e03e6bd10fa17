/**
 * The facts this project takes from Apple's device-management schemas (https://github.com/apple/device-management),
 * as committed in apple-schema.generated.json: per schema file its payload identifiers and `supportedOS`,
 * and its `payloadkeys` (key, type, presence, rangelist, range, format, subkeys, supportedOS) — never
 * Apple's titles, descriptions or notes. `pnpm apple:generate` writes the file from a local copy of
 * Apple's repository (generate-facts.ts); the drift test compares the two when one is given.
 *
 * Development/test data: read by the schema validators (payload-schema.ts, protocol-schema.ts) and the
 * catalogue generator, never by deployed functions (they import catalog.generated.ts only).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FACTS_PATH = fileURLToPath(new URL('./apple-schema.generated.json', import.meta.url));
/** Apple's MIT notice for the schemas the facts come from, copied from the source by the generator. */
export const LICENCE_PATH = fileURLToPath(new URL('./APPLE-LICENSE.txt', import.meta.url));

/** Apple's platform names, as `supportedOS` spells them. */
export type SchemaPlatform = 'iOS' | 'macOS' | 'tvOS' | 'visionOS' | 'watchOS';

/** One platform of a `supportedOS` object, reduced to the rules this project applies. */
export interface SchemaOs {
  introduced?: string;
  deprecated?: string;
  removed?: string;
  supervised?: boolean;
  requiresdep?: boolean;
  multiple?: boolean;
  devicechannel?: boolean;
  userchannel?: boolean;
  userenrollment?: { mode?: string };
  sharedipad?: { mode?: string };
  'allowed-enrollments'?: string[];
  'allowed-scopes'?: string[];
}
export type SchemaSupportedOS = Partial<Record<SchemaPlatform, SchemaOs>>;

/** One entry of `payloadkeys` (or of a key's `subkeys`). */
export interface SchemaKey {
  key: string;
  type: string;
  presence?: 'required' | 'optional';
  rangelist?: unknown[];
  range?: { min?: number; max?: number };
  format?: string;
  subkeys?: SchemaKey[];
  supportedOS?: SchemaSupportedOS;
}

/** One schema file: what it describes (`payload`) and its keys. */
export interface SchemaDoc {
  payload?: {
    payloadtype?: string;
    requesttype?: string;
    declarationtype?: string;
    statusitemtype?: string;
    supportedOS?: SchemaSupportedOS;
  };
  payloadkeys?: SchemaKey[];
}

/** Where the facts come from. */
export interface SchemaUpstream {
  repository: string;
  branch?: string;
  commit: string;
  /** The OS releases the schemas describe, from their README ("iOS 18.2, macOS 15.2, …"). */
  release: string;
}

/**
 * The file as stored. Key lists that Apple's YAML shares through anchors (`subkeys: *id001`), including
 * the recursive ones (a Home Screen folder's pages hold icons that hold pages), are stored once in
 * `lists`, and a `subkeys` that is a number refers to one of them.
 */
export interface StoredKey extends Omit<SchemaKey, 'subkeys'> {
  subkeys?: StoredKey[] | number;
}
export interface StoredDoc extends Omit<SchemaDoc, 'payloadkeys'> {
  payloadkeys?: StoredKey[];
}
export interface StoredFacts {
  generatedBy: string;
  licence: string;
  upstream: SchemaUpstream;
  /** SHA-256 (hex) of `contentText(lists, files)`: a hand edit that forgets to regenerate shows up. */
  sha256: string;
  lists: StoredKey[][];
  files: Record<string, StoredDoc>;
}

/** The facts with shared key lists restored as shared arrays (the same array object, as the YAML had). */
export interface SchemaFacts {
  upstream: SchemaUpstream;
  /** Schema files by their path inside apple/device-management, e.g. `mdm/profiles/com.apple.mdm.yaml`; sorted. */
  files: ReadonlyMap<string, SchemaDoc>;
}

/** The text the content hash is taken over. */
export function contentText(lists: StoredKey[][], files: Record<string, StoredDoc>): string {
  return JSON.stringify({ lists, files });
}

export function contentHash(lists: StoredKey[][], files: Record<string, StoredDoc>): string {
  return createHash('sha256').update(contentText(lists, files)).digest('hex');
}

let committed: SchemaFacts | undefined;

/** The committed facts (read once). */
export function schemaFacts(): SchemaFacts {
  committed ??= resolveFacts(readStoredFacts());
  return committed;
}

export function readStoredFacts(path = FACTS_PATH): StoredFacts {
  return JSON.parse(readFileSync(path, 'utf8')) as StoredFacts;
}

/** Turns list references back into shared arrays; cycles are fine because every list exists before it is filled. */
export function resolveFacts(stored: StoredFacts): SchemaFacts {
  const lists: SchemaKey[][] = stored.lists.map(() => []);
  const resolveList = (keys: StoredKey[]): SchemaKey[] => keys.map(resolveKey);
  const resolveKey = ({ subkeys, ...rest }: StoredKey): SchemaKey => {
    if (subkeys === undefined) return rest;
    if (typeof subkeys === 'number') {
      const shared = lists[subkeys];
      if (!shared) throw new Error(`apple-schema.generated.json: no key list ${subkeys}`);
      return { ...rest, subkeys: shared };
    }
    return { ...rest, subkeys: resolveList(subkeys) };
  };
  stored.lists.forEach((keys, i) => {
    lists[i]!.push(...resolveList(keys));
  });
  const files = new Map<string, SchemaDoc>();
  for (const [path, { payloadkeys, ...doc }] of Object.entries(stored.files))
    files.set(path, payloadkeys ? { ...doc, payloadkeys: resolveList(payloadkeys) } : doc);
  return { upstream: stored.upstream, files };
}

/** Paths of the schema files under `dir` (e.g. `mdm/commands`), sorted. */
export function schemaPaths(facts: SchemaFacts, dir: string): string[] {
  const prefix = `${dir.replace(/\/$/, '')}/`;
  return [...facts.files.keys()].filter((path) => path.startsWith(prefix));
}
