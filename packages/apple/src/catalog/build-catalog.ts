/**
 * Builds catalog.generated.ts from the committed facts of Apple's device-management schemas
 * (../schema/apple-schema.generated.json: mdm/profiles, mdm/commands, declarative/declarations; the YAML
 * format is described in
 * https://github.com/apple/device-management/blob/3b90e3fb6874afc707945774cdf929da3d8d03b6/docs/schema.md).
 * Development tool: run by `pnpm catalog:generate` and `pnpm apple:generate` and by the drift test;
 * deployed code imports only the generated module, never the facts.
 */
import { basename } from 'node:path';
import {
  type SchemaDoc,
  type SchemaFacts,
  type SchemaKey,
  type SchemaSupportedOS,
  schemaFacts,
  schemaPaths,
} from '../schema/facts.ts';
import { renderCatalog } from './render-catalog.ts';
import { SECRET_OVERRIDES, secretByName, secretIdentityData, secretOverride } from './secret-rule.ts';
import {
  CATALOG_PLATFORMS,
  type CatalogData,
  type DeclarationEnrollment,
  type DeclarationEntry,
  type KeyDef,
  type KeyPlatformRule,
  type KeyType,
  type PlatformRule,
  type Platforms,
  type ProfileEntry,
} from './types.ts';
import { compareVersions, parseVersion } from './version.ts';

/** One shared (empty) key list for items without `payloadkeys`. */
const NO_KEYS: SchemaKey[] = [];

/** Longer `rangelist`s (System Settings pane ids, 40+) change with every OS release: not a closed set. */
const MAX_RANGELIST = 20;

const KEY_TYPES = new Set<string>([
  'string',
  'integer',
  'real',
  'boolean',
  'date',
  'data',
  'array',
  'dictionary',
  'any',
]);

interface SchemaFile {
  file: string;
  doc: SchemaDoc;
}

/** `labels` name each key list (comments in the output). */
export function buildCatalog(facts: SchemaFacts): { data: CatalogData; labels: string[] } {
  const lists = new KeyLists();
  const readDir = (dir: string): SchemaFile[] =>
    schemaPaths(facts, dir).map((file) => ({ file, doc: facts.files.get(file)! }));
  const profiles = readDir('mdm/profiles');
  const common = profiles.find((p) => p.doc.payload?.payloadtype === 'CommonPayloadKeys');
  if (!common) throw new Error('mdm/profiles/CommonPayloadKeys.yaml is missing');
  const commonKeys = lists.add(
    common.doc.payloadkeys ?? [],
    platformRules(common.doc.payload?.supportedOS),
    'CommonPayloadKeys',
  );

  const profileEntries: Record<string, ProfileEntry> = {};
  for (const [type, files] of groupBy(profiles, (p) => p.doc.payload?.payloadtype)) {
    // TopLevel.yaml is the profile around the payloads; CommonPayloadKeys are merged in at run time.
    if (type === 'TopLevel' || type === 'CommonPayloadKeys') continue;
    const os = platformRules(chooseVariant(type, files).doc.payload?.supportedOS);
    profileEntries[type] = { os, keys: lists.add(mergeVariantKeys(type, files), os, type) };
  }
  // After the profiles, so that their key-list indices do not move. declarationbase.yaml ("any")
  // describes the envelope (Type, Identifier, ServerToken, Payload), not a declaration type.
  const declarationEntries: Record<string, DeclarationEntry> = {};
  const declarationFiles = readDir('declarative/declarations');
  for (const [type, group] of groupBy(declarationFiles, (f) =>
    f.doc.payload?.declarationtype === 'any' ? undefined : f.doc.payload?.declarationtype,
  )) {
    if (group.length > 1) throw new Error(`${type} is described by ${group.map((g) => g.file).join(', ')}`);
    const doc = group[0]!.doc;
    const os = platformRules(doc.payload?.supportedOS);
    declarationEntries[type] = { os, keys: lists.add(doc.payloadkeys ?? NO_KEYS, os, type) };
  }
  const data: CatalogData = {
    source: facts.upstream.release,
    commonKeys,
    profiles: profileEntries,
    commands: platformsByName(readDir('mdm/commands'), (d) => d.payload?.requesttype),
    declarations: declarationEntries,
    keyLists: lists.all,
  };
  const unused = SECRET_OVERRIDES.filter((o) => !lists.overridesUsed.has(o));
  if (unused.length)
    throw new Error(
      `secret-rule.ts overrides name no key: ${unused.map((o) => `${o.list} ${o.key}`).join(', ')}`,
    );
  return { data, labels: lists.labels };
}

/**
 * A payload type described by several files: com.apple.extensiblesso (generic, and a Kerberos variant
 * that spells out ExtensionData) and com.apple.MCX (six macOS preference domains). The file named after
 * the type wins; otherwise the keys are merged in file-name order and the first file's supportedOS is
 * used — the MCX files agree on what the rules use (macOS only, device channel, userenrollment
 * forbidden) and differ only in `introduced` (10.7 to 10.12.4), `multiple` and `userchannel`.
 */
function chooseVariant(type: string, files: SchemaFile[]): SchemaFile {
  return files.find((f) => basename(f.file) === `${type}.yaml`) ?? files[0]!;
}

function mergeVariantKeys(type: string, files: SchemaFile[]): SchemaKey[] {
  const exact = files.find((f) => basename(f.file) === `${type}.yaml`);
  if (exact) return exact.doc.payloadkeys ?? [];
  const byName = new Map<string, SchemaKey>();
  for (const f of files)
    for (const k of f.doc.payloadkeys ?? []) if (!byName.has(k.key)) byName.set(k.key, k);
  return [...byName.values()];
}

function platformsByName(
  files: SchemaFile[],
  name: (d: SchemaDoc) => string | undefined,
): Record<string, Platforms> {
  const out: Record<string, Platforms> = {};
  for (const [type, group] of groupBy(files, (f) => name(f.doc))) {
    if (group.length > 1) throw new Error(`${type} is described by ${group.map((g) => g.file).join(', ')}`);
    out[type] = platformRules(group[0]!.doc.payload?.supportedOS);
  }
  return out;
}

/** Payload-level `supportedOS`: one rule per platform where the item exists. */
function platformRules(supported: SchemaSupportedOS | undefined): Platforms {
  const out: Platforms = {};
  for (const platform of CATALOG_PLATFORMS) {
    const os = supported?.[platform];
    if (!os?.introduced || os.introduced === 'n/a') continue;
    const rule: PlatformRule = { introduced: version(os.introduced) ?? '0' };
    const deprecated = version(os.deprecated);
    if (deprecated) rule.deprecated = deprecated;
    const removed = version(os.removed);
    if (removed) rule.removed = removed;
    if (os.supervised === true) rule.supervised = true;
    if (os.requiresdep === true) rule.requiresDep = true;
    const mode = os.userenrollment?.mode;
    if (mode === 'allowed' || mode === 'forbidden' || mode === 'ignored' || mode === 'required')
      rule.userEnrollment = mode;
    if (os.sharedipad?.mode === 'required') rule.sharedIpadOnly = true;
    if (os.devicechannel === false) rule.deviceChannel = false;
    if (os.userchannel === false) rule.userChannel = false;
    if (os.multiple === false) rule.multiple = false;
    const enrollments = os['allowed-enrollments'];
    if (enrollments) rule.enrollments = enrollments as PlatformRule['enrollments'];
    const scopes = os['allowed-scopes'];
    if (scopes) rule.scopes = scopes as PlatformRule['scopes'];
    out[platform] = rule;
  }
  return out;
}

/** A declaration without `allowed-enrollments` applies to every enrollment. */
const ALL_ENROLLMENTS: readonly DeclarationEnrollment[] = ['supervised', 'device', 'user', 'local'];

/**
 * A key's own `supportedOS`, reduced to what can change an answer given that the payload already
 * passed its own checks: a later `introduced`, `removed`, and restrictions (`supervised: true`, a
 * User Enrollment mode other than `allowed`, declaration keys' narrower `allowed-enrollments`, …). Relaxations (`supervised: false`) cannot matter —
 * the payload or the parent key would already have been refused — so they are dropped.
 */
function keyRules(supported: SchemaSupportedOS | undefined, payload: Platforms): KeyDef['os'] {
  const out: NonNullable<KeyDef['os']> = {};
  for (const platform of CATALOG_PLATFORMS) {
    const os = supported?.[platform];
    const base = payload[platform];
    if (!os || !base) continue;
    if (os.introduced === 'n/a') {
      out[platform] = null;
      continue;
    }
    const rule: KeyPlatformRule = {};
    const introduced = version(os.introduced);
    if (introduced && compareVersions(introduced, base.introduced) > 0) rule.introduced = introduced;
    const removed = version(os.removed);
    if (removed) rule.removed = removed;
    if (os.supervised === true && !base.supervised) rule.supervised = true;
    if (os.requiresdep === true && !base.requiresDep) rule.requiresDep = true;
    const mode = os.userenrollment?.mode;
    if ((mode === 'forbidden' || mode === 'ignored' || mode === 'required') && mode !== base.userEnrollment)
      rule.userEnrollment = mode;
    if (os.sharedipad?.mode === 'required' && !base.sharedIpadOnly) rule.sharedIpadOnly = true;
    const enrollments = os['allowed-enrollments'] as DeclarationEnrollment[] | undefined;
    if (enrollments && (base.enrollments ?? ALL_ENROLLMENTS).some((e) => !enrollments.includes(e)))
      rule.enrollments = enrollments;
    if (Object.keys(rule).length > 0) out[platform] = rule;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Key lists by identity: a YAML alias (`subkeys: *id001`) is the same array object (the facts keep it
 * as one shared list, facts.ts), so it becomes the same index — which is also how the recursive ones (a Home Screen folder's pages hold icons that hold
 * pages) terminate.
 */
class KeyLists {
  readonly all: KeyDef[][] = [];
  readonly labels: string[] = [];
  readonly overridesUsed = new Set<(typeof SECRET_OVERRIDES)[number]>();
  private readonly ids = new Map<SchemaKey[], number>();

  add(keys: SchemaKey[], payload: Platforms, label: string): number {
    const known = this.ids.get(keys);
    if (known !== undefined) return known;
    const id = this.all.length;
    const defs: KeyDef[] = [];
    this.ids.set(keys, id);
    this.all.push(defs);
    this.labels.push(label);
    for (const k of keys) defs.push(this.keyDef(k, keys, payload, label));
    return id;
  }

  private keyDef(k: SchemaKey, siblings: SchemaKey[], payload: Platforms, parent: string): KeyDef {
    const type = String(k.type).replace(/^<|>$/g, '');
    if (!KEY_TYPES.has(type)) throw new Error(`${parent}.${k.key}: unknown type ${k.type}`);
    const def: KeyDef = { name: String(k.key), type: type as KeyType };
    if (k.presence === 'required') def.required = true;
    if (k.rangelist && k.rangelist.length <= MAX_RANGELIST) def.values = k.rangelist as KeyDef['values'];
    if (typeof k.range?.min === 'number') def.min = k.range.min;
    if (typeof k.range?.max === 'number') def.max = k.range.max;
    if (k.format && compiles(k.format)) def.pattern = k.format;
    if (k.subkeys && k.subkeys.length > 0 && (type === 'array' || type === 'dictionary')) {
      const label = type === 'array' ? `${parent}.${k.key}[]` : `${parent}.${k.key}`;
      def.sub = this.add(k.subkeys, payload, label);
    }
    const os = keyRules(k.supportedOS, payload);
    if (os) def.os = os;
    const override = secretOverride(parent, def.name);
    if (override) this.overridesUsed.add(override);
    if (secretByName(k) || secretIdentityData(k, siblings) || override) def.secret = true;
    return def;
  }
}

/** A version from the YAML; `all` (loginwindow.yaml) = since the first release = no constraint. */
function version(value: unknown): string | undefined {
  if (value === undefined || value === 'all') return undefined;
  const text = String(value);
  if (!parseVersion(text)) throw new Error(`unexpected OS version "${text}" in the YAML`);
  return text;
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false; // a pattern JavaScript cannot compile is not enforced
  }
}

/** Groups by name in name order; items without a name (credential assets, the envelope) are skipped. */
function groupBy<T>(items: T[], name: (item: T) => string | undefined): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = name(item);
    if (key) groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The module text for `facts` (by default the committed ones). */
export function generateCatalogSource(facts: SchemaFacts = schemaFacts()): string {
  const { data, labels } = buildCatalog(facts);
  return renderCatalog(data, labels);
}
