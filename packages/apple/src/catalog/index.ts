/**
 * Eligibility catalogue: which configuration-profile payloads (and which of their keys), MDM commands
 * and declarations apply to a device, by platform, OS version and account-driven enrollment type, from
 * Apple's device-management schemas (catalog.generated.ts; `pnpm catalog:generate`). No YAML is read
 * at run time. Import it as `@ade/apple/catalog/index` — it is kept out of `@ade/apple`'s index so
 * bundles that do not need the data do not carry it.
 */
import { CATALOG } from './catalog.generated.ts';
import {
  arrayItem,
  commandEntry,
  type DictSchema,
  declarationEntry,
  declarationSchema,
  dictSchema,
  payloadSchema,
  profileEntry,
} from './lookup.ts';
import { type CatalogTarget, itemReason, keyReason } from './rules.ts';
import type { CatalogPlatform, KeyDef, Platforms } from './types.ts';
import { isDict, joinPath } from './validate.ts';

export { toPlistValues } from './plist-values.ts';
export type { CatalogEnrollment, CatalogTarget } from './rules.ts';
export {
  formatKeyPath,
  type KeyPath,
  type SecretValue,
  type SettingsKind,
  secretKeyPaths,
  secretKeysOfType,
  separateSecrets,
} from './secrets.ts';
export type { CatalogPlatform } from './types.ts';
export { type PayloadProblem, validateDeclarationSettings, validatePayloadSettings } from './validate.ts';

export type EligibilityStatus = 'SUPPORTED' | 'UNSUPPORTED' | 'PARTIAL';

export interface Eligibility {
  status: EligibilityStatus;
  reason: string | null;
  /** Paths of the keys set in the settings that are left out, e.g. "allowCamera", "Accounts[0].Host". */
  droppedKeys: string[];
}

/** The OS releases the catalogue was generated from, e.g. "iOS 18.2, macOS 15.2, …". */
export const CATALOG_SOURCE: string = CATALOG.source;

export function isKnownPayloadType(payloadType: string): boolean {
  return profileEntry(payloadType) !== undefined;
}

let sortedTypes: readonly string[] | undefined;

/** Every payload type in Apple's schema, sorted. */
export function payloadTypes(): string[] {
  sortedTypes ??= Object.keys(CATALOG.profiles).sort();
  return [...sortedTypes];
}

export function isKnownDeclarationType(declarationType: string): boolean {
  return declarationEntry(declarationType) !== undefined;
}

let sortedDeclarationTypes: readonly string[] | undefined;

/** Every declaration type in Apple's schema (configurations, assets, activations, management), sorted. */
export function declarationTypes(): string[] {
  sortedDeclarationTypes ??= Object.keys(CATALOG.declarations).sort();
  return [...sortedDeclarationTypes];
}

/** False when Apple allows at most one payload of this type on a device of that platform (`multiple: false`). */
export function payloadAllowsMultiple(payloadType: string, platform: CatalogPlatform): boolean {
  return profileEntry(payloadType)?.os[platform]?.multiple !== false;
}

export function payloadEligibility(
  payloadType: string,
  settings: Record<string, unknown>,
  target: CatalogTarget,
): Eligibility {
  return eligibility(evaluatePayload(payloadType, settings, target));
}

function eligibility(result: Evaluation): Eligibility {
  if (!result.ok) return unsupported(result.reason);
  if (result.dropped.length === 0) return { status: 'SUPPORTED', reason: null, droppedKeys: [] };
  return {
    status: 'PARTIAL',
    reason: partialReason(result.dropped),
    droppedKeys: result.dropped.map((d) => d.path),
  };
}

/** The settings to send to this device: keys that would be refused or ignored there are left out. */
export function prepareForDevice(
  payloadType: string,
  settings: Record<string, unknown>,
  target: CatalogTarget,
):
  | { eligible: false; reason: string }
  | { eligible: true; settings: Record<string, unknown>; droppedKeys: string[] } {
  const result = evaluatePayload(payloadType, settings, target);
  if (!result.ok) return { eligible: false, reason: result.reason };
  return { eligible: true, settings: result.settings, droppedKeys: result.dropped.map((d) => d.path) };
}

/**
 * Whether the declaration applies to the device. With `settings` (the declaration's Payload), keys
 * whose own rules (`introduced`, `removed`, `allowed-enrollments`) leave them out make it PARTIAL,
 * and a required one UNSUPPORTED; without, only the declaration type's rules are checked.
 */
export function declarationEligibility(
  declarationType: string,
  target: CatalogTarget,
  settings: Record<string, unknown> = {},
): Eligibility {
  const entry = declarationEntry(declarationType);
  const schema = declarationSchema(declarationType);
  if (!entry || !schema) return unsupported(`${declarationType} is not a declaration type in Apple's schema`);
  return eligibility(evaluate('declaration', entry.os, schema, settings, target));
}

export function commandEligibility(requestType: string, target: CatalogTarget): Eligibility {
  const entry = commandEntry(requestType);
  if (!entry) return unsupported(`${requestType} is not an MDM command (RequestType) in Apple's schema`);
  return whole(itemReason('command', entry, target));
}

function unsupported(reason: string): Eligibility {
  return { status: 'UNSUPPORTED', reason, droppedKeys: [] };
}

function whole(reason: string | null): Eligibility {
  return reason ? unsupported(reason) : { status: 'SUPPORTED', reason: null, droppedKeys: [] };
}

interface Dropped {
  path: string;
  reason: string;
  /** A top-level key the payload cannot do without (`presence: required`). */
  required: boolean;
}

type Evaluation =
  | { ok: false; reason: string }
  | { ok: true; settings: Record<string, unknown>; dropped: Dropped[] };

function evaluatePayload(
  payloadType: string,
  settings: Record<string, unknown>,
  target: CatalogTarget,
): Evaluation {
  const entry = profileEntry(payloadType);
  const schema = payloadSchema(payloadType);
  if (!entry || !schema)
    return { ok: false, reason: `${payloadType} is not a payload type in Apple's schema` };
  return evaluate('profile', entry.os, schema, settings, target);
}

function evaluate(
  kind: 'profile' | 'declaration',
  os: Platforms,
  schema: DictSchema,
  settings: Record<string, unknown>,
  target: CatalogTarget,
): Evaluation {
  const reason = itemReason(kind, os, target);
  if (reason) return { ok: false, reason };
  const dropped: Dropped[] = [];
  const kept = pruneDict(schema, settings, '', target, dropped);
  const missing = dropped.find((d) => d.required);
  if (missing)
    return { ok: false, reason: `Its required key ${missing.path} does not apply: ${missing.reason}` };
  return { ok: true, settings: kept, dropped };
}

/**
 * A copy of `dict` without the keys that do not apply to the target, recursing into kept dictionaries
 * and arrays. Keys the schema does not know are kept: refusing them is validation's job.
 */
function pruneDict(
  schema: DictSchema,
  dict: Record<string, unknown>,
  path: string,
  target: CatalogTarget,
  dropped: Dropped[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(dict)) {
    const at = joinPath(path, name);
    const def = schema.keys.get(name) ?? schema.any;
    const reason = def ? ownReason(def, target) : null;
    if (def && reason) dropped.push({ path: at, reason, required: path === '' && def.required === true });
    else out[name] = def ? pruneValue(def, value, at, target, dropped) : value;
  }
  return out;
}

function pruneValue(
  def: KeyDef,
  value: unknown,
  path: string,
  target: CatalogTarget,
  dropped: Dropped[],
): unknown {
  const dict = dictSchema(def);
  if (dict && isDict(value)) return pruneDict(dict, value, path, target, dropped);
  const item = arrayItem(def);
  if (item && Array.isArray(value))
    return value.map((v, i) => pruneValue(item, v, `${path}[${i}]`, target, dropped));
  return value;
}

/**
 * A key's own rule; for an array also its item definition's (Apple repeats restrictions there, e.g.
 * AirPlay's AllowList items are supervised-only) — items that cannot apply leave out the whole array.
 */
function ownReason(def: KeyDef, target: CatalogTarget): string | null {
  const item = arrayItem(def);
  return keyReason(def, target) ?? (item ? keyReason(item, target) : null);
}

/** "Leaves out keys that do not apply — forbidden under User Enrollment: allowCamera, …; …". */
function partialReason(dropped: Dropped[]): string {
  const byReason = new Map<string, string[]>();
  for (const d of dropped) byReason.set(d.reason, [...(byReason.get(d.reason) ?? []), d.path]);
  const parts = [...byReason].map(([reason, paths]) => `${reason}: ${paths.join(', ')}`);
  return `Leaves out keys that do not apply to this device — ${parts.join('; ')}`;
}
