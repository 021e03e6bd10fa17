import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition } from './common.ts';

/** A device's own partition: its deployments and its command queue live together. */
const devicePartition = {
  field: 'pk',
  composite: ['tenantId', 'deviceId'],
  template: 'T#${tenantId}#DEV#${deviceId}',
  casing: 'none',
} as const;

export const DEPLOYMENT_STATES = [
  'PENDING',
  'INSTALLED',
  'FAILED',
  'UNSUPPORTED',
  'REMOVING',
  'REMOVED',
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/**
 * One payload on one device: its state, why, and what was sent. Lives in the device's own partition
 * (`T#<tenant>#DEV#<device>`, with its command queue) so a fleet-wide change spreads over many
 * partitions; the payload index lists the devices in each state.
 */
export const deploymentEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'deployment', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        deviceId: { type: 'string', required: true, readOnly: true },
        payloadId: { type: 'string', required: true, readOnly: true },
        /** The policy the payload belongs to (its counters live there). */
        policyId: { type: 'string', required: true, readOnly: true },
        payloadKind: { type: ['PROFILE', 'DECLARATION'] as const, required: true, readOnly: true },
        state: { type: DEPLOYMENT_STATES, required: true },
        reason: { type: 'string' },
        /** Key paths left out for this device (ignored under User Enrollment, newer OS, …). */
        droppedKeys: { type: 'list', items: { type: 'string' } },
        payloadVersion: { type: 'number', required: true },
        /** The command in flight for this deployment, if any. */
        commandId: { type: 'string' },
        errorChain: { type: 'any' },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        byDevice: {
          pk: devicePartition,
          sk: { field: 'sk', composite: ['payloadId'], template: 'DEP#${payloadId}', casing: 'none' },
        },
        byPayload: {
          index: 'gsi1',
          pk: {
            field: 'gsi1pk',
            composite: ['tenantId', 'payloadId'],
            template: 'T#${tenantId}#DEPLOYED#${payloadId}',
            casing: 'none',
          },
          sk: {
            field: 'gsi1sk',
            composite: ['state', 'deviceId'],
            template: '${state}#${deviceId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

/**
 * Per policy × payload, the number of devices in each state. Changed in the same transaction as
 * every deployment state change, so a policy's summary is one Query however large the fleet.
 */
export const deploymentCounterEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'deploymentCounter', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        policyId: { type: 'string', required: true, readOnly: true },
        payloadId: { type: 'string', required: true, readOnly: true },
        PENDING: { type: 'number', default: 0 },
        INSTALLED: { type: 'number', default: 0 },
        FAILED: { type: 'number', default: 0 },
        UNSUPPORTED: { type: 'number', default: 0 },
        REMOVING: { type: 'number', default: 0 },
        REMOVED: { type: 'number', default: 0 },
      },
      indexes: {
        byPolicy: {
          pk: tenantPartition,
          sk: {
            field: 'sk',
            composite: ['policyId', 'payloadId'],
            template: 'DEPCOUNT#${policyId}#${payloadId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

/**
 * A device's command queue, in order (`commandId` is a ULID and the CommandUUID the device echoes).
 * `body` is the command plist as sent (base64), signed profile included, so answering an Idle is a
 * Query and nothing else. An InstallProfile whose profile carries secret values has no `body`:
 * `sealedProfile` holds the signed profile sealed (purpose `payload-profile`, bound to tenant,
 * payload and version; one sealed copy shared by every device of a rollout) and the command plist
 * is built around it when it is sent (payloads/commands.ts). `transition` names the deployments the
 * result settles.
 */
export const commandEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'command', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        deviceId: { type: 'string', required: true, readOnly: true },
        commandId: { type: 'string', required: true, readOnly: true },
        requestType: { type: 'string', required: true, readOnly: true },
        body: { type: 'string', readOnly: true },
        sealedProfile: { type: 'any', readOnly: true },
        /** The payload whose deployment this command settles (none for DeclarativeManagement). */
        payloadId: { type: 'string', readOnly: true },
        policyId: { type: 'string', readOnly: true },
        payloadVersion: { type: 'number', readOnly: true },
        notNowCount: { type: 'number', default: 0 },
        lastSentAt: { type: 'string' },
        createdAt: { type: 'string', required: true, readOnly: true },
      },
      indexes: {
        byDevice: {
          pk: devicePartition,
          sk: { field: 'sk', composite: ['commandId'], template: 'CMD#${commandId}', casing: 'none' },
        },
      },
    },
    config,
  );

/**
 * A payload change being fanned out to the devices of a policy subtree. The cursor (policy index and
 * last device) moves in the same transaction as each batch of deployments, so an interrupted
 * rollout resumes exactly where it stopped: nothing lost, nothing twice.
 */
export const rolloutEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'rollout', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        rolloutId: { type: 'string', required: true, readOnly: true },
        payloadId: { type: 'string', required: true, readOnly: true },
        payloadVersion: { type: 'number', required: true, readOnly: true },
        /** `ADD`/`UPDATE` install or refresh; `REMOVE` takes the payload off every device. */
        change: { type: ['ADD', 'UPDATE', 'REMOVE'] as const, required: true, readOnly: true },
        policyIds: { type: 'list', items: { type: 'string' }, required: true, readOnly: true },
        policyIndex: { type: 'number', required: true, default: 0 },
        afterDeviceId: { type: 'string' },
        processed: { type: 'number', required: true, default: 0 },
        status: { type: ['RUNNING', 'DONE'] as const, required: true, default: 'RUNNING' },
        createdAt: { type: 'string', required: true, readOnly: true },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        byTenant: {
          pk: tenantPartition,
          sk: { field: 'sk', composite: ['rolloutId'], template: 'ROLLOUT#${rolloutId}', casing: 'none' },
        },
        // Unfinished rollouts of every tenant, for the worker that carries them on (a sparse index:
        // only RUNNING rollouts have its keys). The operator's index; the tenant leads its sort key.
        running: {
          index: 'gsi2',
          condition: (attributes) => attributes.status === 'RUNNING',
          pk: { field: 'gsi2pk', composite: [], template: 'ROLLOUTS#RUNNING', casing: 'none' },
          sk: {
            field: 'gsi2sk',
            composite: ['status', 'tenantId', 'rolloutId'],
            template: '${status}#T#${tenantId}#${rolloutId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );
