/**
 * The server side of Declarative Device Management over the `DeclarativeManagement` check-in
 * (mdm/checkin/declarativemanagement.yaml; "Integrating Declarative Management",
 * https://developer.apple.com/documentation/devicemanagement/integrating-declarative-management).
 * The device PUTs a check-in whose `Endpoint` says what it wants and the server answers with JSON:
 * - `tokens` → TokensResponse (declarative/protocol/tokensresponse.yaml): one DeclarationsToken for the set;
 * - `declaration-items` → DeclarationItemsResponse (declarationitemsresponse.yaml): Identifier + ServerToken
 *   of every declaration, by kind; the device fetches the ones whose ServerToken it has not seen;
 * - `declaration/<kind>/<identifier>` → the declaration itself (declarations/declarationbase.yaml);
 * - `status` → the device reports, in `Data`, what it did (statusreport.yaml); the server answers 200.
 * Pure functions over a {@link DeclarationSet}: the server decides which declarations a device gets.
 */
import { createHash } from 'node:crypto';
import { AppleProtocolError } from './errors.ts';
import { malformed } from './mdm-identity.ts';

export {
  type DeclarationStatus,
  MAX_STATUS_REPORT_BYTES,
  parseStatusReport,
  type StatusReport,
} from './ddm-status.ts';

export interface Declaration {
  /** e.g. `com.apple.configuration.softwareupdate.enforcement.specific`. */
  type: string;
  identifier: string;
  /** Must change whenever anything in the declaration changes (Apple: compute it over the whole content). */
  serverToken: string;
  payload: Record<string, unknown>;
}

export interface DeclarationSet {
  configurations: Declaration[];
  activations: Declaration[];
  assets: Declaration[];
  management: Declaration[];
}

export type DeclarationKind = 'activation' | 'configuration' | 'asset' | 'management';

/** Each kind's name in the set and in DeclarationItemsResponse, and the prefix of its Types. */
const KINDS: ReadonlyArray<{
  kind: DeclarationKind;
  set: keyof DeclarationSet;
  items: 'Activations' | 'Configurations' | 'Assets' | 'Management';
  typePrefix: string;
}> = [
  { kind: 'activation', set: 'activations', items: 'Activations', typePrefix: 'com.apple.activation.' },
  {
    kind: 'configuration',
    set: 'configurations',
    items: 'Configurations',
    typePrefix: 'com.apple.configuration.',
  },
  { kind: 'asset', set: 'assets', items: 'Assets', typePrefix: 'com.apple.asset.' },
  { kind: 'management', set: 'management', items: 'Management', typePrefix: 'com.apple.management.' },
];

/** declarationbase.yaml: Identifier and ServerToken "should not exceed 64 octets". */
const MAX_TOKEN_OCTETS = 64;

/** activations/simple.yaml: installs the listed configurations (StandardConfigurations, required). */
export function simpleActivation(
  identifier: string,
  serverToken: string,
  configurationIds: string[],
): Declaration {
  if (!Array.isArray(configurationIds) || configurationIds.some((id) => typeof id !== 'string' || id === ''))
    throw invalid('StandardConfigurations must be configuration identifiers');
  return {
    type: 'com.apple.activation.simple',
    identifier,
    serverToken,
    payload: { StandardConfigurations: [...configurationIds] },
  };
}

/**
 * SHA-256 (hex) over every declaration's kind, Identifier and ServerToken, sorted: the same set always
 * gives the same token, and any added, removed or changed declaration gives a new one.
 */
export function declarationsToken(set: DeclarationSet): string {
  const entries = checkSet(set)
    .map(({ kind, declaration }) => [kind, declaration.identifier, declaration.serverToken])
    .sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

/** SynchronizationTokens: `Timestamp` in `YYYY-mm-ddTHH:MM:SSZ` (Apple's documented format, no fraction). */
export function syncTokensJson(
  token: string,
  timestamp: Date,
): { SyncTokens: { DeclarationsToken: string; Timestamp: string } } {
  if (!(timestamp instanceof Date) || Number.isNaN(timestamp.getTime()))
    throw invalid('the Timestamp is not a date');
  return {
    SyncTokens: { DeclarationsToken: token, Timestamp: timestamp.toISOString().replace(/\.\d{3}Z$/, 'Z') },
  };
}

/** The `tokens` endpoint (tokensresponse.yaml). `timestamp`: when the set last changed. */
export function tokensResponse(set: DeclarationSet, timestamp: Date): Record<string, unknown> {
  return syncTokensJson(declarationsToken(set), timestamp);
}

/** The `declaration-items` endpoint (declarationitemsresponse.yaml): all four arrays, even when empty. */
export function declarationItemsResponse(set: DeclarationSet): Record<string, unknown> {
  checkSet(set);
  const Declarations: Record<string, Array<{ Identifier: string; ServerToken: string }>> = {};
  for (const k of KINDS)
    Declarations[k.items] = set[k.set].map((d) => ({ Identifier: d.identifier, ServerToken: d.serverToken }));
  return { Declarations, DeclarationsToken: declarationsToken(set) };
}

/**
 * The `declaration/<kind>/<identifier>` endpoint (declarationbase.yaml): `{Type, Identifier, ServerToken,
 * Payload}`, or null when the set has no such declaration (the caller answers 404).
 */
export function declarationResponse(set: DeclarationSet, endpoint: string): Record<string, unknown> | null {
  const parsed = parseDdmEndpoint(endpoint);
  if (parsed.kind !== 'declaration') throw invalid(`"${endpoint}" is not a declaration endpoint`);
  const found = checkSet(set).find(
    (e) => e.kind === parsed.declarationKind && e.declaration.identifier === parsed.identifier,
  );
  if (!found) return null;
  const d = found.declaration;
  return { Type: d.type, Identifier: d.identifier, ServerToken: d.serverToken, Payload: d.payload };
}

export type DdmEndpoint =
  | { kind: 'tokens' }
  | { kind: 'declaration-items' }
  | { kind: 'declaration'; declarationKind: DeclarationKind; identifier: string }
  | { kind: 'status' };

/** Endpoints are short; anything longer is not from a device. */
const MAX_ENDPOINT_CHARS = 512;
const DECLARATION_ENDPOINT = /^declaration\/(activation|configuration|asset|management)\/(.+)$/s;

/** The check-in's `Endpoint`; throws MALFORMED_MDM_MESSAGE for anything Apple does not document. */
export function parseDdmEndpoint(endpoint: string): DdmEndpoint {
  if (typeof endpoint !== 'string' || endpoint.length > MAX_ENDPOINT_CHARS)
    throw malformed('the DeclarativeManagement Endpoint is missing or too long');
  if (endpoint === 'tokens' || endpoint === 'declaration-items' || endpoint === 'status')
    return { kind: endpoint };
  const match = DECLARATION_ENDPOINT.exec(endpoint);
  if (!match)
    throw malformed(
      `the DeclarativeManagement Endpoint "${endpoint.slice(0, 64)}" is not one Apple documents`,
    );
  return { kind: 'declaration', declarationKind: match[1] as DeclarationKind, identifier: match[2]! };
}

/** Every declaration with its kind, after checking the set is one a device can sync. */
function checkSet(set: DeclarationSet): Array<{ kind: DeclarationKind; declaration: Declaration }> {
  const seen = new Set<string>();
  const all: Array<{ kind: DeclarationKind; declaration: Declaration }> = [];
  for (const k of KINDS) {
    const list = set?.[k.set];
    if (!Array.isArray(list)) throw invalid(`the set has no ${k.set} array`);
    for (const d of list) {
      const what = `${k.kind} "${String(d?.identifier).slice(0, 64)}"`;
      if (typeof d?.type !== 'string' || !d.type.startsWith(k.typePrefix))
        throw invalid(`${what} must have a Type starting with ${k.typePrefix}`);
      for (const [name, value] of [
        ['Identifier', d.identifier],
        ['ServerToken', d.serverToken],
      ] as const) {
        if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > MAX_TOKEN_OCTETS)
          throw invalid(`${what}: ${name} must be 1 to ${MAX_TOKEN_OCTETS} octets`);
      }
      if (typeof d.payload !== 'object' || d.payload === null || Array.isArray(d.payload))
        throw invalid(`${what}: Payload must be an object`);
      // declarationbase.yaml: the Identifier uniquely identifies the declaration.
      if (seen.has(d.identifier)) throw invalid(`the Identifier "${d.identifier}" is used twice`);
      seen.add(d.identifier);
      all.push({ kind: k.kind, declaration: d });
    }
  }
  return all;
}

function invalid(reason: string): AppleProtocolError {
  return new AppleProtocolError('INVALID_COMMAND_INPUT', `The declarations cannot be served: ${reason}.`);
}
