/**
 * Payloads on policies, as an admin manages them: add, update, remove — each checked against the
 * catalogue generated from Apple's schemas (one typed problem per key path) — and, before anything is
 * sent, what each payload will do on every platform × enrollment type: supported, unsupported (with
 * Apple's reason) or partial (the keys that will be dropped). Changes fan out to devices through a
 * rollout recorded in the same transaction as the change (delivery.ts).
 */
import { auditPut, auditRecord } from '../audit.ts';
import { describeActor, useActor } from '../context.ts';
import { DEPLOYMENT_STATES, type DeploymentState } from '../entities/deployment.ts';
import type { AdeService, DeploymentCounterItem, DeploymentItem, PayloadItem } from '../entities/service.ts';
import { AppError, type ErrorCode } from '../errors.ts';
import { isIdOf, newId } from '../ids.ts';
import type { CoreOptions } from '../options.ts';
import { type PageArgs, paginate } from '../pagination.ts';
import type { PolicyReads } from '../policies/tree.ts';
import { authorizeInTenant } from '../tenancy.ts';
import { commit, failedAt } from '../transaction.ts';
import { nameSchema, parseInput } from '../validation.ts';
import type { DeliveryOperations } from './delivery.ts';
import {
  keepOmittedSecrets,
  openSecrets,
  type SecretValue,
  sealSecrets,
  storedSettings,
  valueAt,
  withPlaceholders,
} from './secret-values.ts';
import { catalog, REPORTED_TARGETS, type TargetEnrollment, type TargetPlatform } from './targets.ts';

/** Settings larger than this cannot travel in one command item alongside their signature. */
export const MAX_SETTINGS_BYTES = 64 * 1024;
/** A mutation carries its rollout this far itself; the rest continues from the cursor (rollouts.resume). */
const INLINE_ROLLOUT_MS = 3_000;

export interface PayloadInput {
  payloadType: string;
  /** A name (plain text, ≤ 100). On an update: left out keeps it; null or empty resets it to the type. */
  displayName?: string | null;
  /** The payload's keys: an object, or its JSON text (checked after authorization, like everything). */
  settings: Record<string, unknown> | string;
}

function settingsObject(settings: PayloadInput['settings']): Record<string, unknown> {
  let value: unknown = settings;
  if (typeof settings === 'string') {
    try {
      value = JSON.parse(settings);
    } catch {
      value = undefined;
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw AppError.validation([{ path: ['settings'], message: 'must be a JSON object' }]);
  return value as Record<string, unknown>;
}

/** A payload's name as given (checked like every name), or undefined when it is empty or null. */
function displayNameOf(value: string | null | undefined): string | undefined {
  return value?.trim() ? parseInput(nameSchema, value, ['displayName']) : undefined;
}

export interface TargetEligibility {
  platform: TargetPlatform;
  enrollmentType: TargetEnrollment;
  status: 'SUPPORTED' | 'UNSUPPORTED' | 'PARTIAL';
  reason: string | null;
  droppedKeys: string[];
}

export type DeploymentCounts = Record<DeploymentState, number>;

/** A secret key of a payload, as GraphQL shows it: where, and whether a value is stored (never the value). */
export interface MaskedSecret {
  path: string;
  hasValue: boolean;
}

export function payloadOperations(
  service: AdeService,
  policies: PolicyReads,
  delivery: DeliveryOperations,
  options: Pick<CoreOptions, 'keys'>,
) {
  const { payload, deploymentCounter, deployment } = service.entities;

  /** Checks type and settings against the catalogue; throws one problem per key path. */
  async function validate(
    input: Omit<PayloadInput, 'settings'> & { settings: Record<string, unknown> },
  ): Promise<'PROFILE' | 'DECLARATION'> {
    const {
      isKnownPayloadType,
      validatePayloadSettings,
      isKnownDeclarationType,
      validateDeclarationSettings,
    } = await catalog();
    const size = Buffer.byteLength(JSON.stringify(input.settings ?? {}));
    if (size > MAX_SETTINGS_BYTES)
      throw AppError.validation([
        { path: ['settings'], message: `${size} bytes; at most ${MAX_SETTINGS_BYTES} are accepted` },
      ]);
    const kind = isKnownPayloadType(input.payloadType)
      ? 'PROFILE'
      : isKnownDeclarationType(input.payloadType)
        ? 'DECLARATION'
        : null;
    if (!kind)
      throw new AppError(
        'validation',
        'UNKNOWN_PAYLOAD_TYPE',
        `${input.payloadType.slice(0, 100)} is not a payload type or declaration in Apple's schemas.`,
        [{ path: ['payloadType'], message: 'unknown payload type', code: 'UNKNOWN_PAYLOAD_TYPE' }],
      );
    const problems =
      kind === 'PROFILE'
        ? validatePayloadSettings(input.payloadType, input.settings)
        : validateDeclarationSettings(input.payloadType, input.settings);
    if (problems.length)
      throw new AppError(
        'validation',
        'INVALID_PAYLOAD',
        `The settings do not match Apple's schema for ${input.payloadType} (${problems.length} problem${problems.length === 1 ? '' : 's'}).`,
        problems.map((p: { path: string; message: string; code: string }) => ({
          path: ['settings', ...p.path.split('.').filter(Boolean)],
          message: p.message,
          code: p.code as ErrorCode,
        })),
      );
    return kind;
  }

  /**
   * An admin's settings split for storage: secret values (by Apple's schema, the catalogue) apart from
   * the rest, after the stored secrets an update leaves out are put back (write-only keys). Validation
   * sees the real values, so required secrets and their types are checked like every key.
   */
  async function prepare(payloadType: string, given: Record<string, unknown>, stored: SecretValue[] = []) {
    const { separateSecrets, isKnownPayloadType } = await catalog();
    const kind = isKnownPayloadType(payloadType) ? 'PROFILE' : 'DECLARATION';
    const { full, clear, secrets } = separateSecrets(kind, payloadType, keepOmittedSecrets(given, stored));
    await validate({ payloadType, settings: full });
    return { kind, clear, secrets } as const;
  }

  /** The secrets a payload holds now: its sealed ones, and any a payload written before sealing still has in clear. */
  async function storedSecrets(item: PayloadItem): Promise<SecretValue[]> {
    const { separateSecrets } = await catalog();
    const legacy = separateSecrets(item.kind, item.payloadType, storedSettings(item)).secrets;
    return [...legacy, ...(await openSecrets(options.keys, item))];
  }

  async function get(payloadId: string): Promise<PayloadItem> {
    const tenantId = authorizeInTenant('policy:read');
    const item = isIdOf('payload', payloadId) ? (await payload.get({ tenantId, payloadId }).go()).data : null;
    if (!item) throw AppError.notFound(`Payload ${payloadId}`);
    return item;
  }

  /** Runs a rollout for a while inside the request; what is left continues on the next resume. */
  /**
   * The change is saved whatever happens here: a batch that loses a race (another rollout of the same
   * payload, the worker) or fails is left to the worker, and the mutation still succeeds.
   */
  async function carry(tenantId: string, rolloutId: string) {
    try {
      return await delivery.runRollout(tenantId, rolloutId, { deadline: Date.now() + INLINE_ROLLOUT_MS });
    } catch {
      const state = (await service.entities.rollout.get({ tenantId, rolloutId }).go()).data;
      return { status: state?.status ?? ('RUNNING' as const), processed: state?.processed ?? 0, batches: 0 };
    }
  }

  async function add(policyId: string, input: PayloadInput) {
    const tenantId = authorizeInTenant('policy:write');
    await policies.get(policyId);
    const { kind, clear, secrets } = await prepare(input.payloadType, settingsObject(input.settings));
    const ids = { tenantId, payloadId: newId('payload'), version: 1 };
    const item = {
      ...ids,
      policyId,
      kind,
      payloadType: input.payloadType,
      displayName: displayNameOf(input.displayName) ?? input.payloadType,
      settingsJson: JSON.stringify(clear),
      ...(await sealSecrets(options.keys, ids, secrets)),
      createdBy: describeActor(useActor()).id,
    };
    const rollout = await delivery.newRollout(item, 'ADD');
    await commit(
      service,
      (e) => [
        e.payload.create(item).commit(),
        // The policy must still exist when the payload lands on it.
        e.policy
          .check({ tenantId, policyId })
          .where((a, { exists }) => exists(a.policyId))
          .commit(),
        e.rollout.create(rollout).commit(),
        auditPut(e, {
          scope: { tenantId },
          action: 'payload.add',
          targetType: 'Payload',
          targetId: item.payloadId,
          details: { policyId, payloadType: input.payloadType },
        }),
      ],
      (codes) => (failedAt(codes, 1) ? AppError.notFound(`Policy ${policyId}`) : undefined),
    );
    const progress = await carry(tenantId, rollout.rolloutId);
    return { payload: await get(item.payloadId), rollout: { rolloutId: rollout.rolloutId, ...progress } };
  }

  async function update(
    payloadId: string,
    input: Omit<PayloadInput, 'payloadType'>,
    expectedVersion?: number | null,
  ) {
    const tenantId = authorizeInTenant('policy:write');
    const current = await get(payloadId);
    if (expectedVersion != null && expectedVersion !== current.version)
      throw AppError.versionMismatch('The payload', current.version);
    const given = settingsObject(input.settings);
    const { clear, secrets } = await prepare(current.payloadType, given, await storedSecrets(current));
    const version = current.version + 1;
    const sealed = await sealSecrets(options.keys, { tenantId, payloadId, version }, secrets);
    const next = {
      ...current,
      displayName:
        input.displayName === undefined
          ? current.displayName
          : (displayNameOf(input.displayName) ?? current.payloadType),
      settingsJson: JSON.stringify(clear),
      version,
    };
    const rollout = await delivery.newRollout(next, 'UPDATE');
    await commit(
      service,
      (e) => [
        e.payload
          .patch({ tenantId, payloadId })
          .set({ displayName: next.displayName, settingsJson: next.settingsJson, version: next.version })
          .set(sealed ?? {})
          .remove(sealed ? [] : ['secretPaths', 'sealedSecrets'])
          .where((a, { eq }) => eq(a.version, current.version))
          .commit(),
        e.rollout.create(rollout).commit(),
        auditPut(e, {
          scope: { tenantId },
          action: 'payload.update',
          targetType: 'Payload',
          targetId: payloadId,
          details: { version: next.version },
        }),
      ],
      (codes) =>
        failedAt(codes, 0) ? AppError.versionMismatch('The payload', current.version + 1) : undefined,
    );
    const progress = await carry(tenantId, rollout.rolloutId);
    return { payload: await get(payloadId), rollout: { rolloutId: rollout.rolloutId, ...progress } };
  }

  async function remove(payloadId: string) {
    const tenantId = authorizeInTenant('policy:write');
    const current = await get(payloadId);
    const rollout = await delivery.newRollout(current, 'REMOVE');
    await commit(
      service,
      (e) => [
        e.payload
          .delete({ tenantId, payloadId })
          .where((a, { eq }) => eq(a.version, current.version))
          .commit(),
        e.rollout.create(rollout).commit(),
        auditPut(e, {
          scope: { tenantId },
          action: 'payload.remove',
          targetType: 'Payload',
          targetId: payloadId,
          details: { policyId: current.policyId, payloadType: current.payloadType },
        }),
      ],
      (codes) =>
        failedAt(codes, 0) ? AppError.versionMismatch('The payload', current.version + 1) : undefined,
    );
    const progress = await carry(tenantId, rollout.rolloutId);
    return { payload: current, rollout: { rolloutId: rollout.rolloutId, ...progress } };
  }

  /** A policy's own payloads, or with `inherited` also its ancestors' (nearest last). */
  async function listForPolicy(policyId: string, inherited = false): Promise<PayloadItem[]> {
    const tenantId = authorizeInTenant('policy:read');
    await policies.get(policyId);
    if (!inherited) return (await payload.query.byPolicy({ tenantId, policyId }).go({ pages: 'all' })).data;
    return delivery.effectivePayloads(tenantId, policyId);
  }

  /** What a payload does on each platform × enrollment type, decided by Apple's schemas. */
  async function eligibility(item: PayloadItem): Promise<TargetEligibility[]> {
    const { payloadEligibility, declarationEligibility } = await catalog();
    // Only which keys are set matters here: sealed secrets are placeholders, nothing is decrypted.
    const settings = withPlaceholders(item);
    return REPORTED_TARGETS.map(({ platform, enrollment }) => {
      const verdict =
        item.kind === 'PROFILE'
          ? payloadEligibility(item.payloadType, settings, { platform, enrollment })
          : declarationEligibility(item.payloadType, { platform, enrollment }, settings);
      return { platform, enrollmentType: enrollment, ...verdict };
    });
  }

  /**
   * A payload as GraphQL shows it to every key, ADMIN and READ_ONLY alike: its settings without any
   * secret value (also for a payload stored before secrets were sealed, until it is migrated), and
   * each secret key where the settings can hold one, with whether a value is stored.
   */
  /** One masking per item read: GraphQL's `settings` and `secrets` both ask for it. */
  const maskings = new WeakMap<PayloadItem, Promise<{ settingsJson: string; secrets: MaskedSecret[] }>>();
  function masked(item: PayloadItem): Promise<{ settingsJson: string; secrets: MaskedSecret[] }> {
    let masking = maskings.get(item);
    if (!masking) {
      masking = mask(item);
      maskings.set(item, masking);
    }
    return masking;
  }

  async function mask(item: PayloadItem): Promise<{ settingsJson: string; secrets: MaskedSecret[] }> {
    const { separateSecrets, secretKeyPaths, formatKeyPath } = await catalog();
    const settings = withPlaceholders(item);
    return {
      settingsJson: JSON.stringify(separateSecrets(item.kind, item.payloadType, settings).clear),
      secrets: secretKeyPaths(item.kind, item.payloadType, settings).map((path) => ({
        path: formatKeyPath(path),
        hasValue: valueAt(settings, path) !== undefined,
      })),
    };
  }

  /** "What will not apply to BYOD devices?": the payloads a policy's devices get that are not fully supported. */
  async function notApplying(
    policyId: string,
    enrollmentType: TargetEnrollment,
    platform?: TargetPlatform | null,
  ) {
    const items = await listForPolicy(policyId, true);
    const out: { payload: PayloadItem; eligibility: TargetEligibility[] }[] = [];
    for (const item of items) {
      const verdicts = (await eligibility(item)).filter(
        (v) =>
          v.enrollmentType === enrollmentType &&
          (!platform || v.platform === platform) &&
          v.status !== 'SUPPORTED',
      );
      if (verdicts.length) out.push({ payload: item, eligibility: verdicts });
    }
    return out;
  }

  /** Per payload of this policy, the devices in each state: one Query, whatever the fleet size. */
  async function summary(policyId: string): Promise<{ payloadId: string; counts: DeploymentCounts }[]> {
    const tenantId = authorizeInTenant('policy:read');
    const { data } = await deploymentCounter.query.byPolicy({ tenantId, policyId }).go({ pages: 'all' });
    return data.map((c: DeploymentCounterItem) => ({
      payloadId: c.payloadId,
      counts: Object.fromEntries(DEPLOYMENT_STATES.map((s) => [s, c[s] ?? 0])) as DeploymentCounts,
    }));
  }

  /** The devices of a payload in one state, by device id. */
  function devicesInState(payloadId: string, state: DeploymentState, args: PageArgs) {
    const tenantId = authorizeInTenant('policy:read');
    return paginate(
      args,
      (d: DeploymentItem) => d.deviceId,
      (value) => isIdOf('device', value),
      async (after, limit) => {
        if (!isIdOf('payload', payloadId)) return [];
        const query = deployment.query.byPayload({ tenantId, payloadId, state });
        return (await (after ? query.gt({ deviceId: after }) : query).go({ limit })).data;
      },
    );
  }

  /** A device's payloads and their states, with reasons. */
  function deploymentsForDevice(deviceId: string, args: PageArgs) {
    const tenantId = authorizeInTenant('policy:read');
    return paginate(
      args,
      (d: DeploymentItem) => d.payloadId,
      (value) => isIdOf('payload', value),
      async (after, limit) => {
        if (!isIdOf('device', deviceId)) return [];
        const query = deployment.query.byDevice({ tenantId, deviceId });
        return (await (after ? query.gt({ payloadId: after }) : query).go({ limit })).data;
      },
    );
  }

  /** Carries unfinished work of a rollout forward (scripts, the worker, tests). */
  async function resumeRollout(rolloutId: string, limits: { maxBatches?: number } = {}) {
    const tenantId = authorizeInTenant('policy:write');
    const found = isIdOf('rollout', rolloutId)
      ? (await service.entities.rollout.get({ tenantId, rolloutId }).go()).data
      : null;
    if (!found) throw AppError.notFound(`Rollout ${rolloutId}`);
    await service.entities.auditEvent
      .put(
        auditRecord({
          scope: { tenantId },
          action: 'rollout.resume',
          targetType: 'Rollout',
          targetId: rolloutId,
          details: { payloadId: found.payloadId, processed: found.processed },
        }),
      )
      .go();
    return delivery.runRollout(tenantId, rolloutId, limits);
  }

  return {
    add,
    update,
    remove,
    get,
    listForPolicy,
    eligibility,
    masked,
    notApplying,
    summary,
    devicesInState,
    deploymentsForDevice,
    resumeRollout,
  };
}

export type PayloadOperations = ReturnType<typeof payloadOperations>;
