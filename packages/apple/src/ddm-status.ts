/**
 * The status report a device sends with `Endpoint: status` (declarative/protocol/statusreport.yaml):
 * `Data` is JSON `{StatusItems, Errors, FullReport?}`. Status item names are dotted paths into
 * StatusItems, so the declarations' state (declarative/status/management.declarations.yaml) sits at
 * `StatusItems.management.declarations.{activations,configurations,assets,management}`, each item
 * `{identifier, server-token, active, valid, reasons?}`.
 * Reports are usually incremental: a key that is absent means "no change", not "nothing installed", so
 * missing parts yield no entries rather than an error; `fullReport` says when the report is complete.
 */
import type { DeclarationKind } from './ddm.ts';
import { AppleProtocolError } from './errors.ts';
import { malformed } from './mdm-identity.ts';

/** The check-in carrying the report is limited to 1 MiB (MAX_CHECKIN_BODY_BYTES), its Data less. */
export const MAX_STATUS_REPORT_BYTES = 1024 * 1024;

export interface DeclarationStatus {
  /** Which array of management.declarations the item came from. */
  kind: DeclarationKind;
  identifier: string;
  active: boolean;
  valid: 'valid' | 'invalid' | 'unknown';
  serverToken: string;
  reasons: Array<{ code: string; description?: string; details?: unknown }>;
}

export interface StatusReport {
  declarations: DeclarationStatus[];
  /** `FullReport` (iOS 17 / macOS 14+): true when the report replaces all status held for the device. */
  fullReport: boolean;
  /** The whole report, for status items not modelled here. */
  raw: Record<string, unknown>;
}

const ARRAYS: ReadonlyArray<[key: string, kind: DeclarationKind]> = [
  ['activations', 'activation'],
  ['configurations', 'configuration'],
  ['assets', 'asset'],
  ['management', 'management'],
];
const VALIDITY = ['valid', 'invalid', 'unknown'] as const;

/** Throws BODY_TOO_LARGE, or MALFORMED_MDM_MESSAGE naming the first key that breaks Apple's schema. */
export function parseStatusReport(data: Uint8Array): StatusReport {
  if (data.byteLength > MAX_STATUS_REPORT_BYTES)
    throw new AppleProtocolError(
      'BODY_TOO_LARGE',
      `The status report is ${data.byteLength} bytes; the limit is ${MAX_STATUS_REPORT_BYTES}.`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    throw bad('it is not UTF-8 JSON');
  }
  if (!isObject(raw)) throw bad('it is not a JSON object');
  if (!isObject(raw.StatusItems)) throw bad('StatusItems must be an object');
  // statusreport.yaml lists Errors as required; it carries nothing we use, so only its type is checked.
  if (raw.Errors !== undefined && !Array.isArray(raw.Errors)) throw bad('Errors must be an array');
  if (raw.FullReport !== undefined && typeof raw.FullReport !== 'boolean')
    throw bad('FullReport must be a boolean');

  const management = raw.StatusItems.management;
  if (management !== undefined && !isObject(management))
    throw bad('StatusItems.management must be an object');
  const declarations = management?.declarations;
  if (declarations !== undefined && !isObject(declarations))
    throw bad('StatusItems.management.declarations must be an object');
  const statuses: DeclarationStatus[] = [];
  for (const [key, kind] of ARRAYS) {
    const items = declarations?.[key];
    if (items === undefined) continue;
    const path = `management.declarations.${key}`;
    if (!Array.isArray(items)) throw bad(`${path} must be an array`);
    for (const [i, item] of items.entries()) statuses.push(declarationStatus(item, kind, `${path}[${i}]`));
  }
  return { declarations: statuses, fullReport: raw.FullReport === true, raw };
}

function declarationStatus(item: unknown, kind: DeclarationKind, path: string): DeclarationStatus {
  if (!isObject(item)) throw bad(`${path} must be an object`);
  const { identifier, active, valid, reasons } = item;
  const serverToken = item['server-token'];
  if (typeof identifier !== 'string' || identifier === '')
    throw bad(`${path}.identifier must be a non-empty string`);
  if (typeof serverToken !== 'string') throw bad(`${path}.server-token must be a string`);
  if (typeof active !== 'boolean') throw bad(`${path}.active must be a boolean`);
  if (!VALIDITY.includes(valid as never)) throw bad(`${path}.valid must be one of ${VALIDITY.join(', ')}`);
  if (reasons !== undefined && !Array.isArray(reasons)) throw bad(`${path}.reasons must be an array`);
  return {
    kind,
    identifier,
    serverToken,
    active,
    valid: valid as DeclarationStatus['valid'],
    reasons: (reasons ?? []).map((reason, i) => statusReason(reason, `${path}.reasons[${i}]`)),
  };
}

/** declarative/status/statusreason.yaml: `code` required; `description`, `details` (a dictionary) optional. */
function statusReason(reason: unknown, path: string): DeclarationStatus['reasons'][number] {
  if (!isObject(reason)) throw bad(`${path} must be an object`);
  const { code, description, details } = reason;
  if (typeof code !== 'string' || code === '') throw bad(`${path}.code must be a non-empty string`);
  if (description !== undefined && typeof description !== 'string')
    throw bad(`${path}.description must be a string`);
  if (details !== undefined && !isObject(details)) throw bad(`${path}.details must be an object`);
  return {
    code,
    ...(description === undefined ? {} : { description }),
    ...(details === undefined ? {} : { details }),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(reason: string): AppleProtocolError {
  return malformed(`the DeclarativeManagement status report is invalid: ${reason}`);
}
