/**
 * The simulated device's Declarative Device Management client: after an acknowledged
 * DeclarativeManagement command it syncs over `DeclarativeManagement` check-ins (docs/protocol/mdm.md#check-in-messages;
 * mdm/checkin/declarativemanagement.yaml) — `tokens`, then, if the DeclarationsToken is new,
 * `declaration-items`, each declaration whose ServerToken it has not seen (`declaration/<kind>/<id>`), and
 * a `status` report (declarative/protocol/statusreport.yaml) of what is active and valid. Every server
 * answer is checked against Apple's YAML; a server that breaks the protocol makes the sync throw.
 *
 * What it evaluates, and what it does not: a configuration is valid when the device "supports" its Type
 * (known to Apple's YAML and not listed by the test as unsupported) and its Payload matches the YAML; it
 * is active when valid and named by an active activation. Activation predicates are not evaluated (taken
 * as true). Assets and management declarations are active when valid.
 */
import { declarationKeys, schemaKeys, validateShape } from '@ade/apple/schema/protocol-schema';

export type DeclarationKind = 'activation' | 'configuration' | 'asset' | 'management';

export interface HeldDeclaration {
  kind: DeclarationKind;
  type: string;
  identifier: string;
  serverToken: string;
  payload: Record<string, unknown>;
  status: DeclarationState;
}

export interface DeclarationState {
  active: boolean;
  valid: 'valid' | 'invalid' | 'unknown';
  reasons: Array<{ code: string; description?: string; details?: Record<string, unknown> }>;
}

/** Sends one DeclarativeManagement check-in (signed like every check-in); `data` only for `status`. */
export type DdmRequest = (endpoint: string, data?: Buffer) => Promise<{ status: number; body: string }>;

export interface DdmSyncResult {
  /** Endpoints requested, in order. */
  endpoints: string[];
  declarationsToken: string;
  /** The status report sent (undefined when the token was unchanged and nothing was synced). */
  statusReport?: Record<string, unknown>;
}

const KINDS: ReadonlyArray<[items: string, kind: DeclarationKind, status: string]> = [
  ['Activations', 'activation', 'activations'],
  ['Configurations', 'configuration', 'configurations'],
  ['Assets', 'asset', 'assets'],
  ['Management', 'management', 'management'],
];

/** The reason code for a declaration whose Payload does not match its Type (declarationbase.yaml reasons). */
const UNREADABLE: Record<DeclarationKind, string> = {
  configuration: 'Error.ConfigurationCannotBeDeserialized',
  asset: 'Error.AssetCannotBeDeserialized',
  activation: 'Error.InvalidPayload',
  management: 'Error.InvalidPayload',
};

export class DeclarativeDevice {
  /** Declarations the device holds, by Identifier. */
  readonly declarations = new Map<string, HeldDeclaration>();
  declarationsToken: string | null = null;
  /** Configuration Types the test says this device does not support (reported invalid). */
  readonly unsupportedTypes = new Set<string>();

  async sync(request: DdmRequest): Promise<DdmSyncResult> {
    const endpoints: string[] = [];
    const fetchJson = async (endpoint: string): Promise<Record<string, unknown>> => {
      endpoints.push(endpoint);
      const response = await request(endpoint);
      if (response.status !== 200)
        throw serverError(endpoint, `answered ${response.status}: ${response.body.slice(0, 200)}`);
      try {
        return JSON.parse(response.body) as Record<string, unknown>;
      } catch {
        throw serverError(endpoint, `answered something that is not JSON: ${response.body.slice(0, 200)}`);
      }
    };

    const tokens = await fetchJson('tokens');
    expectShape('tokens', tokens, schemaKeys('declarative/protocol/tokensresponse.yaml'));
    const syncTokens = tokens.SyncTokens as { DeclarationsToken?: unknown; Timestamp?: unknown };
    if (typeof syncTokens.DeclarationsToken !== 'string' || typeof syncTokens.Timestamp !== 'string')
      throw serverError('tokens', 'SyncTokens needs DeclarationsToken and Timestamp strings');
    if (syncTokens.DeclarationsToken === this.declarationsToken)
      return { endpoints, declarationsToken: this.declarationsToken };

    const items = await fetchJson('declaration-items');
    expectShape('declaration-items', items, schemaKeys('declarative/protocol/declarationitemsresponse.yaml'));
    const listed = new Set<string>();
    for (const [itemsKey, kind] of KINDS) {
      const manifest = (
        items.Declarations as Record<string, Array<{ Identifier: string; ServerToken: string }>>
      )[itemsKey]!;
      for (const { Identifier, ServerToken } of manifest) {
        listed.add(Identifier);
        const held = this.declarations.get(Identifier);
        if (held?.kind === kind && held.serverToken === ServerToken) continue;
        const endpoint = `declaration/${kind}/${Identifier}`;
        const declaration = await fetchJson(endpoint);
        expectShape(endpoint, declaration, schemaKeys('declarative/declarations/declarationbase.yaml'));
        if (declaration.Identifier !== Identifier || declaration.ServerToken !== ServerToken)
          throw serverError(endpoint, 'Identifier or ServerToken differ from declaration-items');
        this.declarations.set(Identifier, {
          kind,
          type: declaration.Type as string,
          identifier: Identifier,
          serverToken: ServerToken,
          payload: declaration.Payload as Record<string, unknown>,
          status: { active: false, valid: 'unknown', reasons: [] },
        });
      }
    }
    for (const identifier of this.declarations.keys())
      if (!listed.has(identifier)) this.declarations.delete(identifier);
    this.evaluate();

    const statusReport = this.statusReport();
    endpoints.push('status');
    const sent = await request('status', Buffer.from(JSON.stringify(statusReport)));
    if (sent.status !== 200)
      throw serverError('status', `answered ${sent.status}: ${sent.body.slice(0, 200)}`);
    this.declarationsToken = items.DeclarationsToken as string;
    return { endpoints, declarationsToken: this.declarationsToken, statusReport };
  }

  private evaluate(): void {
    const all = [...this.declarations.values()];
    for (const d of all) d.status = { active: false, valid: 'valid', reasons: [] };
    for (const d of all) {
      const unsupported = this.unsupportedTypes.has(d.type) || !declarationKeys(d.type);
      if (unsupported && d.kind === 'configuration') {
        d.status = invalid(
          d,
          'Error.ConfigurationNotSupported',
          'The configuration is not supported on this device.',
        );
        continue;
      }
      const keys = declarationKeys(d.type);
      const issues = keys ? validateShape(d.payload, keys, d.type) : [`unknown Type ${d.type}`];
      if (!d.type.startsWith(`com.apple.${d.kind}.`)) issues.push(`a ${d.kind} cannot have Type ${d.type}`);
      if (issues.length > 0) d.status = invalid(d, UNREADABLE[d.kind], issues.join('; '));
    }
    for (const d of all) {
      if (d.kind === 'activation' && d.status.valid === 'valid') this.activate(d);
      else if ((d.kind === 'asset' || d.kind === 'management') && d.status.valid === 'valid')
        d.status.active = true;
    }
    for (const d of all) {
      if (d.kind === 'configuration' && d.status.valid === 'valid' && !d.status.active)
        d.status.reasons.push(reason(d, 'Info.NotReferencedByActivation'));
    }
  }

  /** com.apple.activation.simple: turns on the configurations it names, if they are all present. */
  private activate(activation: HeldDeclaration): void {
    const ids = (activation.payload.StandardConfigurations as string[] | undefined) ?? [];
    const missing = ids.filter((id) => this.declarations.get(id)?.kind !== 'configuration');
    if (missing.length > 0) {
      activation.status.reasons.push({
        ...reason(activation, 'Error.MissingConfigurations'),
        details: {
          Identifier: activation.identifier,
          ServerToken: activation.serverToken,
          ConfigurationIdentifiers: missing,
        },
      });
      return;
    }
    activation.status.active = true;
    for (const id of ids) {
      const configuration = this.declarations.get(id)!;
      if (configuration.status.valid === 'valid') configuration.status.active = true;
    }
  }

  /** StatusItems.management.declarations, every held declaration (management.declarations.yaml). */
  private statusReport(): Record<string, unknown> {
    const declarations: Record<string, unknown[]> = {};
    for (const [, kind, statusKey] of KINDS) {
      declarations[statusKey] = [...this.declarations.values()]
        .filter((d) => d.kind === kind)
        .map((d) => ({
          identifier: d.identifier,
          'server-token': d.serverToken,
          active: d.status.active,
          valid: d.status.valid,
          ...(d.status.reasons.length > 0 ? { reasons: d.status.reasons } : {}),
        }));
    }
    return { StatusItems: { management: { declarations } }, Errors: [] };
  }
}

function reason(d: HeldDeclaration, code: string, description?: string) {
  return {
    code,
    ...(description ? { description } : {}),
    details: { Identifier: d.identifier, ServerToken: d.serverToken },
  };
}

function invalid(d: HeldDeclaration, code: string, description: string): DeclarationState {
  return { active: false, valid: 'invalid', reasons: [reason(d, code, description)] };
}

function expectShape(endpoint: string, value: unknown, keys: Parameters<typeof validateShape>[1]): void {
  const issues = validateShape(value, keys, endpoint);
  if (issues.length > 0) throw serverError(endpoint, issues.join('; '));
}

function serverError(endpoint: string, what: string): Error {
  return new Error(
    `DDM sync: the server's ${endpoint} ${what.startsWith('answered') ? what : `is not valid: ${what}`}`,
  );
}
