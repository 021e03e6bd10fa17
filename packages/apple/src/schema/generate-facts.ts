/**
 * Reads a local copy of Apple's device-management repository (https://github.com/apple/device-management;
 * the YAML format is described in
 * https://github.com/apple/device-management/blob/3b90e3fb6874afc707945774cdf929da3d8d03b6/docs/schema.md)
 * and keeps the facts this project uses (facts.ts): payload identifiers, `supportedOS` rules, and for
 * every key its name, type, presence, rangelist, range, format, subkeys and `supportedOS`. Titles,
 * descriptions, notes, defaults and examples — Apple's prose — are dropped. Development tool, run by
 * `pnpm apple:generate` (scripts/generate-apple-schema.ts) and by the drift test; it is the only code
 * that parses YAML.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse } from 'yaml';
import {
  contentHash,
  type SchemaOs,
  type SchemaPlatform,
  type SchemaUpstream,
  type StoredDoc,
  type StoredFacts,
  type StoredKey,
} from './facts.ts';

/** The folders whose schemas the project reads (check-in messages, commands, profiles, declarative management). */
export const SCHEMA_DIRS = [
  'declarative/declarations',
  'declarative/protocol',
  'declarative/status',
  'mdm/checkin',
  'mdm/commands',
  'mdm/profiles',
] as const;

const PLATFORMS: readonly SchemaPlatform[] = ['iOS', 'macOS', 'tvOS', 'visionOS', 'watchOS'];
const OS_SCALARS = [
  'introduced',
  'deprecated',
  'removed',
  'supervised',
  'requiresdep',
  'multiple',
  'devicechannel',
  'userchannel',
] as const;
const OS_LISTS = ['allowed-enrollments', 'allowed-scopes'] as const;
const PAYLOAD_IDS = ['payloadtype', 'requesttype', 'declarationtype', 'statusitemtype'] as const;

const REPOSITORY = 'https://github.com/apple/device-management';

interface YamlKey {
  key: unknown;
  type: unknown;
  presence?: unknown;
  rangelist?: unknown[];
  range?: { min?: unknown; max?: unknown };
  format?: unknown;
  subkeys?: YamlKey[];
  supportedOS?: Record<string, Record<string, unknown> | null>;
}
interface YamlDoc {
  payload?: Record<string, unknown> & { supportedOS?: YamlKey['supportedOS'] };
  payloadkeys?: YamlKey[];
}

/** The facts file's content for the copy of apple/device-management at `root`. */
export function readSchemaFacts(root: string): StoredFacts {
  const docs = new Map<string, YamlDoc>();
  for (const dir of SCHEMA_DIRS) {
    const base = join(root, dir);
    if (!existsSync(base))
      throw new Error(`${root} does not look like apple/device-management: ${dir}/ is missing`);
    for (const file of walk(base)) docs.set(relative(root, file).split(sep).join('/'), parseYaml(file));
  }
  const paths = [...docs.keys()].sort();
  const lists = new SharedLists(paths.map((p) => docs.get(p)!));
  const files: Record<string, StoredDoc> = {};
  for (const path of paths) files[path] = lists.doc(docs.get(path)!, path);
  return {
    generatedBy: 'pnpm apple:generate (scripts/generate-apple-schema.ts)',
    licence: `Facts from Apple's schemas, MIT licence, ${readLicence(root).split('\n')[0]}: APPLE-LICENSE.txt`,
    upstream: upstream(root),
    sha256: contentHash(lists.stored, files),
    lists: lists.stored,
    files,
  };
}

/** Apple's licence notice (LICENSE.txt of the copy), kept beside the facts as APPLE-LICENSE.txt. */
export function readLicence(root: string): string {
  const path = join(root, 'LICENSE.txt');
  if (!existsSync(path))
    throw new Error(`${root} has no LICENSE.txt: Apple's notice must travel with the facts`);
  return readFileSync(path, 'utf8');
}

/**
 * The file as committed: one line per shared key list and per schema file, so that a schema update is a
 * readable diff, and no other whitespace.
 */
export function renderSchemaFacts(facts: StoredFacts): string {
  const lists = facts.lists.map((list) => JSON.stringify(list)).join(',\n');
  const files = Object.entries(facts.files)
    .map(([path, doc]) => `${JSON.stringify(path)}:${JSON.stringify(doc)}`)
    .join(',\n');
  const head = (['generatedBy', 'licence', 'upstream', 'sha256'] as const)
    .map((name) => `${JSON.stringify(name)}:${JSON.stringify(facts[name])}`)
    .join(',\n');
  return `{${head},\n"lists":[\n${lists}\n],\n"files":{\n${files}\n}}\n`;
}

/**
 * Key lists reached more than once (a YAML alias is the same array object) are stored once, in the
 * order first met, and referred to by index; all others stay inline.
 */
class SharedLists {
  readonly stored: StoredKey[][] = [];
  private readonly shared = new Map<YamlKey[], number | undefined>();

  constructor(docs: YamlDoc[]) {
    const seen = new Set<YamlKey[]>();
    const visit = (list: YamlKey[] | undefined) => {
      if (!Array.isArray(list)) return;
      if (seen.has(list)) {
        this.shared.set(list, undefined);
        return;
      }
      seen.add(list);
      for (const k of list) visit(k.subkeys);
    };
    for (const doc of docs) visit(doc.payloadkeys);
  }

  doc(doc: YamlDoc, path: string): StoredDoc {
    const out: StoredDoc = {};
    const payload: NonNullable<StoredDoc['payload']> = {};
    for (const id of PAYLOAD_IDS) {
      const value = doc.payload?.[id];
      if (value !== undefined) payload[id] = String(value);
    }
    const os = supportedOS(doc.payload?.supportedOS, path);
    if (os) payload.supportedOS = os;
    if (Object.keys(payload).length > 0) out.payload = payload;
    if (Array.isArray(doc.payloadkeys)) out.payloadkeys = this.inline(doc.payloadkeys, path);
    return out;
  }

  private list(list: YamlKey[], path: string): StoredKey[] | number {
    if (!this.shared.has(list)) return this.inline(list, path);
    let index = this.shared.get(list);
    if (index === undefined) {
      index = this.stored.length;
      this.shared.set(list, index);
      this.stored.push([]); // reserved first: a list that contains itself refers to this index
      this.stored[index] = this.inline(list, path);
    }
    return index;
  }

  private inline(list: YamlKey[], path: string): StoredKey[] {
    return list.map((k) => this.key(k, path));
  }

  private key(k: YamlKey, path: string): StoredKey {
    const where = `${path}: ${String(k.key)}`;
    if (k.key === undefined || typeof k.type !== 'string')
      throw new Error(`${where}: a key without key/type`);
    const out: StoredKey = { key: String(k.key), type: k.type };
    if (k.presence === 'required' || k.presence === 'optional') out.presence = k.presence;
    if (Array.isArray(k.rangelist)) out.rangelist = k.rangelist.map((v) => plain(v, where));
    if (k.range) {
      const range: NonNullable<StoredKey['range']> = {};
      if (typeof k.range.min === 'number') range.min = k.range.min;
      if (typeof k.range.max === 'number') range.max = k.range.max;
      out.range = range;
    }
    if (typeof k.format === 'string') out.format = k.format;
    if (Array.isArray(k.subkeys)) out.subkeys = this.list(k.subkeys, path);
    const os = supportedOS(k.supportedOS, where);
    if (os) out.supportedOS = os;
    return out;
  }
}

function supportedOS(
  yaml: YamlKey['supportedOS'],
  where: string,
): Partial<Record<SchemaPlatform, SchemaOs>> | undefined {
  if (!yaml) return undefined;
  const out: Partial<Record<SchemaPlatform, SchemaOs>> = {};
  for (const name of Object.keys(yaml))
    if (!PLATFORMS.includes(name as SchemaPlatform)) throw new Error(`${where}: unknown platform ${name}`);
  for (const platform of PLATFORMS) {
    const os = yaml[platform];
    if (!os) continue;
    const rule: Record<string, unknown> = {};
    for (const name of OS_SCALARS) if (os[name] !== undefined) rule[name] = plain(os[name], where);
    const mode = (os.userenrollment as { mode?: unknown } | undefined)?.mode;
    if (mode !== undefined) rule.userenrollment = { mode: String(mode) };
    const shared = (os.sharedipad as { mode?: unknown } | undefined)?.mode;
    if (shared !== undefined) rule.sharedipad = { mode: String(shared) };
    for (const name of OS_LISTS)
      if (Array.isArray(os[name])) rule[name] = (os[name] as unknown[]).map(String);
    out[platform] = rule as SchemaOs;
  }
  return out;
}

/** A YAML scalar as JSON keeps it; a date or an object here would be a format change worth a look. */
function plain(value: unknown, where: string): unknown {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value;
  throw new Error(`${where}: unexpected value ${String(value)} (${typeof value})`);
}

function parseYaml(file: string): YamlDoc {
  const doc = parse(readFileSync(file, 'utf8')) as YamlDoc | null;
  if (!doc || typeof doc !== 'object') throw new Error(`${file}: not a YAML mapping`);
  return doc;
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return name.endsWith('.yaml') ? [path] : [];
    });
}

/**
 * Which release and commit `root` holds: a git clone says so itself; a plain copy needs a SOURCE.md
 * naming them ("branch `…`, commit <40 hex digits>"), as the copy this project was first generated from has.
 */
function upstream(root: string): SchemaUpstream {
  const release = schemaRelease(root);
  const git = gitCommit(root);
  if (git) return { repository: REPOSITORY, ...git, release };
  const source = join(root, 'SOURCE.md');
  const text = existsSync(source) ? readFileSync(source, 'utf8') : '';
  const commit = /commit\s+([0-9a-f]{40})\b/.exec(text)?.[1];
  if (!commit)
    throw new Error(
      `${root} is neither a git clone of apple/device-management nor a copy with a SOURCE.md naming its commit`,
    );
  const branch = /branch\s+`([^`]+)`/.exec(text)?.[1];
  return { repository: REPOSITORY, ...(branch ? { branch } : {}), commit, release };
}

function gitCommit(root: string): { branch?: string; commit: string } | undefined {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', root, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    // Only the repository's own top level counts: a copy inside another repository is not a clone.
    if (realpathSync(git('rev-parse', '--show-toplevel')) !== realpathSync(root)) return undefined;
    const commit = git('rev-parse', 'HEAD');
    const branch = git('rev-parse', '--abbrev-ref', 'HEAD');
    return branch && branch !== 'HEAD' ? { branch, commit } : { commit };
  } catch {
    return undefined;
  }
}

/** "iOS 18.2, macOS 15.2, …" from the README's "OS Versions" table. */
function schemaRelease(root: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\|\s*(iOS|macOS|tvOS|visionOS|watchOS)\s*\|\s*([\d.]+)\s*\|/gm)];
  if (rows.length === 0) throw new Error(`${root}/README.md has no "OS Versions" table`);
  return rows.map((m) => `${m[1]} ${m[2]}`).join(', ');
}
