/**
 * Delivery: what each device should have, turned into deployments and queued commands.
 *
 * A device's effective payloads are those of its policy and every ancestor. For each one the
 * catalogue (Apple's schemas) decides, for this device's platform, enrollment type and OS version:
 * eligible → an `InstallProfile` command (keys the device would ignore or refuse are stripped and
 * noted) or, for a declaration, a `DeclarativeManagement` sync; ineligible → never sent, state
 * `UNSUPPORTED` with Apple's reason. A payload the device should no longer have becomes
 * `RemoveProfile`. Every state change moves the policy × payload counters in the same transaction,
 * and a command superseded by a newer one is deleted in that transaction too, so the queue never
 * holds two installs of one payload.
 *
 * Three triggers: a device finishing enrollment or moving (`reconcileDevice`, the whole set for one
 * device) and a payload change (`startRollout` + `runRollout`, one payload for every device of a
 * policy subtree, resumable from its cursor).
 */
import { createHash } from 'node:crypto';
import { apple } from '../apple.ts';
import type { TenantPki } from '../enrollment/pki.ts';
import type { DeploymentState } from '../entities/deployment.ts';
import type {
  AdeService,
  CommandItem,
  DeploymentItem,
  DeviceItem,
  PayloadItem,
} from '../entities/service.ts';
import { ulid } from '../ids.ts';
import type { CoreOptions } from '../options.ts';
import { MAX_DEPTH } from '../policies/tree.ts';
import type { SealedSecret } from '../secrets/key-management.ts';
import { commit, type TxEntities } from '../transaction.ts';
import {
  fillPlaceholders,
  openSecrets,
  payloadProfileContext,
  type SecretValue,
  withPlaceholders,
} from './secret-values.ts';
import { catalog, targetOf } from './targets.ts';

/** Devices per rollout transaction: 3 items each (deployment, command, superseded command) + counter + cursor. */
export const ROLLOUT_BATCH = 32;

export interface Transition {
  device: Pick<DeviceItem, 'tenantId' | 'deviceId'>;
  payload: Pick<PayloadItem, 'payloadId' | 'policyId' | 'version' | 'kind'>;
  previous: DeploymentItem | null;
  next: {
    state: DeploymentState;
    reason?: string;
    droppedKeys?: string[];
    command?: Pick<CommandItem, 'commandId' | 'requestType' | 'body' | 'sealedProfile'>;
  };
}

export type PlanStep =
  | { kind: 'install'; settings: Record<string, unknown>; droppedKeys: string[] }
  | { kind: 'declare'; droppedKeys: string[] }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'remove' }
  | { kind: 'none' };

/** A signed profile for InstallProfile: as is, or sealed when it carries secret values. */
type BuiltProfile =
  | { profile: Buffer; sealedProfile?: undefined }
  | { sealedProfile: SealedSecret; profile?: undefined };

/** The promise `cache` holds for `key`, made by `make` the first time. */
function once<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  const found = cache.get(key);
  if (found) return found;
  const made = make();
  cache.set(key, made);
  return made;
}

/** Whether a transition changes the declarations a device runs (so it must sync): not for UNSUPPORTED ones. */
function changesDeclarations(t: Transition): boolean {
  if (t.payload.kind !== 'DECLARATION') return false;
  const wasLive = t.previous && ['PENDING', 'INSTALLED', 'FAILED'].includes(t.previous.state);
  return t.next.state === 'PENDING' || Boolean(wasLive);
}

/** The profile identifier a payload has on every device (RemoveProfile names it). */
export function profileIdentifier(tenantId: string, payloadId: string): string {
  return `cloud.ade.${tenantId.slice(4).toLowerCase()}.payload.${payloadId.slice(4).toLowerCase()}`;
}

/** A stable UUID for a payload version and variant (the same bytes give the same UUID). */
export function stableUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`.toUpperCase();
}

export function deliveryOperations(
  service: AdeService,
  options: CoreOptions,
  pki: { ensure(tenantId: string, tenantName: string): Promise<TenantPki> },
  notify: (tenantId: string, devices: DeviceItem[]) => Promise<void>,
) {
  const { payload, deployment, device, policy, rollout } = service.entities;

  /** What to do about one payload on one device, given what it has now. */
  async function plan(
    item: PayloadItem,
    target: DeviceItem,
    previous: DeploymentItem | null,
    effective: boolean,
  ): Promise<PlanStep> {
    if (!effective) {
      if (!previous || previous.state === 'REMOVED') return { kind: 'none' };
      if (previous.state === 'REMOVING') return { kind: 'none' };
      return { kind: 'remove' };
    }
    const current =
      previous &&
      previous.payloadVersion === item.version &&
      (previous.state === 'PENDING' || previous.state === 'INSTALLED' || previous.state === 'UNSUPPORTED');
    if (current) return { kind: 'none' };
    const { prepareForDevice, declarationEligibility } = await catalog();
    const where = targetOf(target);
    if (!where)
      return {
        kind: 'unsupported',
        reason: `The device's platform (${target.platform ?? 'unknown'}) is not known.`,
      };
    // Sealed secrets are placeholders while planning: which keys a device drops needs no values.
    const settings = withPlaceholders(item);
    if (item.kind === 'DECLARATION') {
      const verdict = declarationEligibility(item.payloadType, where, settings);
      return verdict.status === 'UNSUPPORTED'
        ? { kind: 'unsupported', reason: verdict.reason ?? 'Not supported by this device.' }
        : { kind: 'declare', droppedKeys: verdict.droppedKeys };
    }
    const prepared = prepareForDevice(item.payloadType, settings, where);
    if (!prepared.eligible) return { kind: 'unsupported', reason: prepared.reason };
    return { kind: 'install', settings: prepared.settings, droppedKeys: prepared.droppedKeys };
  }

  /**
   * Signs each distinct profile once per call (a rollout sends the same bytes to many devices). A
   * profile that carries secret values is sealed once too (one GenerateDataKey per variant), and that
   * one sealed copy goes into every device's command: the payload's secrets are opened once per call.
   */
  function profileBuilder(tenantId: string) {
    const built = new Map<string, Promise<BuiltProfile>>();
    const opened = new Map<string, Promise<SecretValue[]>>();
    let keys: Promise<TenantPki> | undefined;
    const secretsOf = (item: PayloadItem) =>
      once(opened, `${item.payloadId}:${item.version}`, () =>
        openSecrets(options.keys, item, { reuseDataKey: true }),
      );
    async function build(item: PayloadItem, prepared: Record<string, unknown>): Promise<BuiltProfile> {
      const variant = JSON.stringify(prepared);
      const { configurationProfile } = await import('@ade/apple/mdm-commands');
      const { toPlistValues, separateSecrets } = await catalog();
      const { signProfile } = await apple();
      const settings = item.secretPaths ? fillPlaceholders(prepared, await secretsOf(item)) : prepared;
      keys ??= pki.ensure(tenantId, 'Organisation');
      const identifier = profileIdentifier(tenantId, item.payloadId);
      const xml = configurationProfile({
        identifier,
        uuid: stableUuid(item.payloadId, String(item.version), variant),
        displayName: item.displayName,
        payloads: [
          {
            type: item.payloadType,
            identifier: `${identifier}.1`,
            uuid: stableUuid(item.payloadId, String(item.version), variant, 'content'),
            displayName: item.displayName,
            settings: toPlistValues(item.payloadType, settings),
          },
        ],
      });
      const profile = signProfile(xml, (await keys).signer);
      // Signing is not encryption: a profile with a secret in it is kept sealed in the queue.
      if (!separateSecrets(item.kind, item.payloadType, settings).secrets.length) return { profile };
      return { sealedProfile: await options.keys.encrypt(profile, payloadProfileContext(item)) };
    }
    return (item: PayloadItem, prepared: Record<string, unknown>): Promise<BuiltProfile> =>
      once(built, `${item.payloadId}:${item.version}:${JSON.stringify(prepared)}`, () =>
        build(item, prepared),
      );
  }

  /** The transition a plan step makes, with its command built. */
  async function transitionFor(
    step: PlanStep,
    item: PayloadItem,
    target: DeviceItem,
    previous: DeploymentItem | null,
    build: ReturnType<typeof profileBuilder>,
  ): Promise<Transition | null> {
    const base = { device: target, payload: item, previous };
    switch (step.kind) {
      case 'none':
        return null;
      case 'unsupported':
        return { ...base, next: { state: 'UNSUPPORTED', reason: step.reason } };
      case 'remove': {
        if (item.kind === 'DECLARATION' || previous?.state === 'UNSUPPORTED')
          return { ...base, next: { state: 'REMOVED' } }; // nothing on the device to take off
        const commandId = ulid();
        const { removeProfileCommand } = await import('@ade/apple/mdm-commands');
        const body = removeProfileCommand(commandId, profileIdentifier(target.tenantId, item.payloadId));
        return {
          ...base,
          next: {
            state: 'REMOVING',
            command: { commandId, requestType: 'RemoveProfile', body: body.toString('base64') },
          },
        };
      }
      case 'declare':
        return { ...base, next: { state: 'PENDING', droppedKeys: step.droppedKeys } };
      case 'install': {
        const commandId = ulid();
        const built = await build(item, step.settings);
        const { installProfileCommand } = await import('@ade/apple/mdm-commands');
        const command = built.sealedProfile
          ? { commandId, requestType: 'InstallProfile', sealedProfile: built.sealedProfile }
          : {
              commandId,
              requestType: 'InstallProfile',
              body: installProfileCommand(commandId, built.profile).toString('base64'),
            };
        return { ...base, next: { state: 'PENDING', droppedKeys: step.droppedKeys, command } };
      }
    }
  }

  /** The transaction items of one transition (the counter is added by the caller, aggregated). */
  function transitionItems(e: TxEntities, t: Transition, now: string) {
    const { tenantId, deviceId } = t.device;
    const key = { tenantId, deviceId, payloadId: t.payload.payloadId };
    const fields = {
      state: t.next.state,
      payloadVersion: t.payload.version,
      updatedAt: now,
      ...(t.next.command ? { commandId: t.next.command.commandId } : {}),
    };
    const items: unknown[] = [];
    if (!t.previous) {
      items.push(
        e.deployment
          .create({
            ...key,
            policyId: t.payload.policyId,
            payloadKind: t.payload.kind,
            ...fields,
            ...(t.next.reason ? { reason: t.next.reason } : {}),
            ...(t.next.droppedKeys?.length ? { droppedKeys: t.next.droppedKeys } : {}),
          })
          .commit(),
      );
    } else {
      const previous = t.previous;
      items.push(
        e.deployment
          .patch(key)
          .set(fields)
          .set(t.next.droppedKeys?.length ? { droppedKeys: t.next.droppedKeys } : {})
          .set(t.next.reason ? { reason: t.next.reason } : {})
          .remove([
            ...(t.next.reason ? [] : (['reason'] as const)),
            ...(t.next.droppedKeys?.length ? [] : (['droppedKeys'] as const)),
            ...(t.next.command ? [] : (['commandId'] as const)),
            'errorChain',
          ])
          // Optimistic: the state we planned from must still be there.
          .where(
            (a, { eq }) =>
              `${eq(a.state, previous.state)} AND ${eq(a.payloadVersion, previous.payloadVersion)}`,
          )
          .commit(),
      );
      if (previous.commandId)
        items.push(e.command.delete({ tenantId, deviceId, commandId: previous.commandId }).commit());
    }
    if (t.next.command)
      items.push(
        e.command
          .create({
            tenantId,
            deviceId,
            ...t.next.command,
            payloadId: t.payload.payloadId,
            policyId: t.payload.policyId,
            payloadVersion: t.payload.version,
            createdAt: now,
          })
          .commit(),
      );
    return items;
  }

  /** Counter changes of many transitions, one item per policy × payload. */
  function counterItems(e: TxEntities, transitions: Transition[]) {
    const deltas = new Map<
      string,
      { tenantId: string; policyId: string; payloadId: string; d: Map<DeploymentState, number> }
    >();
    for (const t of transitions) {
      const id = `${t.payload.policyId}#${t.payload.payloadId}`;
      let entry = deltas.get(id);
      if (!entry) {
        entry = {
          tenantId: t.device.tenantId,
          policyId: t.payload.policyId,
          payloadId: t.payload.payloadId,
          d: new Map(),
        };
        deltas.set(id, entry);
      }
      entry.d.set(t.next.state, (entry.d.get(t.next.state) ?? 0) + 1);
      if (t.previous) entry.d.set(t.previous.state, (entry.d.get(t.previous.state) ?? 0) - 1);
    }
    return [...deltas.values()].flatMap(({ tenantId, policyId, payloadId, d }) => {
      const add = Object.fromEntries([...d].filter(([, n]) => n !== 0));
      if (!Object.keys(add).length) return [];
      return [e.deploymentCounter.update({ tenantId, policyId, payloadId }).add(add).commit()];
    });
  }

  /**
   * The payloads a device in `policyId` should have: its policy's and every ancestor's. The walk is
   * its own, not policies/tree.ts `ancestors()`: that one authorizes in a tenant context, which
   * device traffic does not have.
   */
  async function effectivePayloads(tenantId: string, policyId: string): Promise<PayloadItem[]> {
    const chain: string[] = [];
    let at: string | undefined = policyId;
    while (at && chain.length <= MAX_DEPTH + 1) {
      chain.push(at);
      at = (await policy.get({ tenantId, policyId: at }).go({ attributes: ['parentId'] })).data?.parentId;
    }
    const lists = await Promise.all(
      chain.map(
        async (id) => (await payload.query.byPolicy({ tenantId, policyId: id }).go({ pages: 'all' })).data,
      ),
    );
    return lists.flat();
  }

  /**
   * Brings one device up to date with its policy: after enrollment completes and after a move.
   * Returns the number of commands queued.
   */
  async function reconcileDevice(target: DeviceItem): Promise<number> {
    if (target.status !== 'ENROLLED') return 0;
    const { tenantId, deviceId } = target;
    const [wanted, had] = await Promise.all([
      effectivePayloads(tenantId, target.policyId),
      deployment.query.byDevice({ tenantId, deviceId }).go({ pages: 'all' }),
    ]);
    const previous = new Map(had.data.map((d) => [d.payloadId, d]));
    const byId = new Map(wanted.map((p) => [p.payloadId, p]));
    // Payloads no longer effective: their items are needed to name what to remove.
    const gone = had.data.filter((d) => !byId.has(d.payloadId) && d.state !== 'REMOVED');
    if (gone.length) {
      const { data } = await payload.get(gone.map((d) => ({ tenantId, payloadId: d.payloadId }))).go();
      for (const item of data) if (item) byId.set(item.payloadId, item);
      // Deleted payloads: keep a stand-in so the device still loses the profile.
      for (const d of gone) if (!byId.has(d.payloadId)) byId.set(d.payloadId, standIn(d));
    }
    const effective = new Set(wanted.map((p) => p.payloadId));
    const build = profileBuilder(tenantId);
    const transitions: Transition[] = [];
    for (const item of byId.values()) {
      const prior = previous.get(item.payloadId) ?? null;
      const step = await plan(item, target, prior, effective.has(item.payloadId));
      const t = await transitionFor(step, item, target, prior, build);
      if (t) transitions.push(t);
    }
    const declarationsChanged = transitions.some(changesDeclarations);
    await writeTransitions(transitions, declarationsChanged ? [target] : []);
    const queued = transitions.filter((t) => t.next.command).length + (declarationsChanged ? 1 : 0);
    if (queued) await notify(tenantId, [target]);
    return queued;
  }

  /** A payload deleted since it was deployed: enough of it to take its profile off. */
  function standIn(d: DeploymentItem): PayloadItem {
    return {
      tenantId: d.tenantId,
      payloadId: d.payloadId,
      policyId: d.policyId,
      kind: d.payloadKind,
      payloadType: 'unknown',
      displayName: 'removed payload',
      settingsJson: '{}',
      version: d.payloadVersion,
      createdBy: 'system',
      createdAt: d.updatedAt,
      updatedAt: d.updatedAt,
    };
  }

  /** DeclarativeManagement commands, built ahead so a transaction can carry them: the device then fetches its declarations. */
  async function declarationSyncs(devices: Pick<DeviceItem, 'tenantId' | 'deviceId'>[], now: string) {
    if (!devices.length) return [];
    const { declarativeManagementCommand } = await import('@ade/apple/mdm-commands');
    return devices.map((d) => {
      const commandId = ulid();
      const body = declarativeManagementCommand(commandId, {
        declarationsToken: commandId,
        timestamp: new Date(now),
      });
      return {
        tenantId: d.tenantId,
        deviceId: d.deviceId,
        commandId,
        requestType: 'DeclarativeManagement',
        body: body.toString('base64'),
        createdAt: now,
      };
    });
  }

  /** Writes transitions, 30 to a transaction (≤ 3 items each, plus counters); the syncs ride in the first. */
  /** One batch's transaction items: its transitions', the counters they move, the declaration syncs. */
  function batchItems(
    e: TxEntities,
    transitions: Transition[],
    syncs: Awaited<ReturnType<typeof declarationSyncs>>,
    now: string,
  ) {
    return [
      ...transitions.flatMap((t) => transitionItems(e, t, now)),
      ...counterItems(e, transitions),
      ...syncs.map((c) => e.command.create(c).commit()),
    ];
  }

  async function writeTransitions(
    transitions: Transition[],
    syncDevices: Pick<DeviceItem, 'tenantId' | 'deviceId'>[],
  ) {
    const now = options.now().toISOString();
    const syncs = await declarationSyncs(syncDevices, now);
    for (let i = 0; i === 0 || i < transitions.length; i += 30) {
      const chunk = transitions.slice(i, i + 30);
      const extra = i === 0 ? syncs : [];
      if (!chunk.length && !extra.length) return;
      await commit(service, (e) => batchItems(e, chunk, extra, now));
    }
  }

  // ------------------------------------------------------------------------------ rollouts

  /** Every policy of the subtree under `policyId`, the policy first (breadth-first). */
  async function subtree(tenantId: string, policyId: string): Promise<string[]> {
    const out = [policyId];
    for (let i = 0; i < out.length; i++) {
      const { data } = await policy.query
        .childrenOf({ tenantId, parentKey: out[i]! })
        .go({ pages: 'all', attributes: ['policyId'] });
      out.push(...data.map((p) => p.policyId));
    }
    return out;
  }

  /** Records a rollout for a payload change (inside the caller's transaction: pass its items on). */
  async function newRollout(
    item: Pick<PayloadItem, 'tenantId' | 'payloadId' | 'policyId' | 'version'>,
    change: 'ADD' | 'UPDATE' | 'REMOVE',
  ) {
    const now = options.now().toISOString();
    return {
      tenantId: item.tenantId,
      rolloutId: `rol_${ulid()}`,
      payloadId: item.payloadId,
      payloadVersion: item.version,
      change,
      policyIds: await subtree(item.tenantId, item.policyId),
      policyIndex: 0,
      processed: 0,
      status: 'RUNNING' as const,
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * Carries a rollout forward, batch by batch, until it is done or `maxBatches` ran. Each batch's
   * deployments, commands, counters and the rollout's cursor are one transaction: stopping anywhere
   * (a crash, a timeout, `maxBatches`) and running again continues exactly after the last batch.
   */
  async function runRollout(
    tenantId: string,
    rolloutId: string,
    limits: { maxBatches?: number; deadline?: number } = {},
  ): Promise<{ status: 'RUNNING' | 'DONE'; processed: number; batches: number }> {
    let batches = 0;
    const build = profileBuilder(tenantId);
    let item: PayloadItem | null | undefined;
    for (;;) {
      const state = (await rollout.get({ tenantId, rolloutId }).go()).data;
      if (!state) throw new Error(`rollout ${rolloutId} not found`);
      if (
        state.status === 'DONE' ||
        batches >= (limits.maxBatches ?? Infinity) ||
        Date.now() > (limits.deadline ?? Infinity)
      )
        return { status: state.status, processed: state.processed, batches };
      if (item === undefined) item = (await payload.get({ tenantId, payloadId: state.payloadId }).go()).data;
      const policyId = state.policyIds[state.policyIndex];
      const cursor = {
        policyIndex: state.policyIndex,
        afterDeviceId: state.afterDeviceId,
        processed: state.processed,
      };
      if (!policyId) {
        await rollout
          .patch({ tenantId, rolloutId })
          .set({ status: 'DONE', updatedAt: options.now().toISOString() })
          .where((a, { eq }) => eq(a.processed, cursor.processed))
          .go();
        continue;
      }
      const query = device.query.byPolicy({ tenantId, policyId });
      const page = await (cursor.afterDeviceId ? query.gt({ deviceId: cursor.afterDeviceId }) : query).go({
        limit: ROLLOUT_BATCH,
      });
      const devices = page.data;
      const next =
        devices.length < ROLLOUT_BATCH && !page.cursor
          ? { policyIndex: cursor.policyIndex + 1, afterDeviceId: undefined }
          : { policyIndex: cursor.policyIndex, afterDeviceId: devices.at(-1)?.deviceId };
      const enrolled = devices.filter((d) => d.status === 'ENROLLED');
      const transitions: Transition[] = [];
      if (enrolled.length) {
        const { data: current } = await deployment
          .get(enrolled.map((d) => ({ tenantId, deviceId: d.deviceId, payloadId: state.payloadId })))
          .go();
        const had = new Map(current.filter(Boolean).map((d) => [d!.deviceId, d!]));
        const subject = state.change === 'REMOVE' ? null : item;
        for (const d of enrolled) {
          const prior = had.get(d.deviceId) ?? null;
          const payloadItem = subject ?? (prior ? standIn(prior) : null);
          if (!payloadItem) continue;
          const effective = subject !== null;
          const step = await plan(payloadItem, d, prior, effective);
          const t = await transitionFor(step, payloadItem, d, prior, build);
          if (t) transitions.push(t);
        }
      }
      const now = options.now().toISOString();
      const syncs = await declarationSyncs(
        transitions.filter(changesDeclarations).map((t) => t.device),
        now,
      );
      await commit(service, (e) => [
        ...batchItems(e, transitions, syncs, now),
        e.rollout
          .patch({ tenantId, rolloutId })
          .set({
            policyIndex: next.policyIndex,
            processed: cursor.processed + enrolled.length,
            updatedAt: now,
          })
          .set(next.afterDeviceId ? { afterDeviceId: next.afterDeviceId } : {})
          .remove(next.afterDeviceId ? [] : ['afterDeviceId'])
          // Two runners on one rollout: only one moves the cursor; the other's batch is cancelled.
          .where(
            (a, { eq }) =>
              `${eq(a.processed, cursor.processed)} AND ${eq(a.policyIndex, cursor.policyIndex)}`,
          )
          .commit(),
      ]);
      batches++;
      const touched = new Set(
        transitions
          .filter((t) => t.next.command || t.payload.kind === 'DECLARATION')
          .map((t) => t.device.deviceId),
      );
      if (touched.size)
        await notify(
          tenantId,
          enrolled.filter((d) => touched.has(d.deviceId)),
        );
    }
  }

  /**
   * A device left management (unenrolled by an admin, its CheckOut, or replaced by its own new
   * enrollment): its deployments become REMOVED (so a policy's summary counts only devices that are
   * managed), with `reason`, and its queue is emptied.
   */
  async function retireDevice(
    target: Pick<DeviceItem, 'tenantId' | 'deviceId'>,
    reason = 'The device left management.',
  ): Promise<void> {
    const { tenantId, deviceId } = target;
    const [{ data: deployments }, { data: queued }] = await Promise.all([
      deployment.query.byDevice({ tenantId, deviceId }).go({ pages: 'all' }),
      service.entities.command.query
        .byDevice({ tenantId, deviceId })
        .go({ pages: 'all', attributes: ['commandId'] }),
    ]);
    const transitions: Transition[] = deployments
      .filter((d) => d.state !== 'REMOVED')
      .map((d) => ({
        device: target,
        payload: {
          payloadId: d.payloadId,
          policyId: d.policyId,
          version: d.payloadVersion,
          kind: d.payloadKind,
        },
        previous: d,
        next: { state: 'REMOVED', reason },
      }));
    const settled = new Set(transitions.map((t) => t.previous?.commandId).filter(Boolean));
    const orphans = queued.filter((c) => !settled.has(c.commandId));
    const now = options.now().toISOString();
    for (let i = 0; i < transitions.length; i += 30) {
      const chunk = transitions.slice(i, i + 30);
      await commit(service, (e) => [
        ...chunk.flatMap((t) => transitionItems(e, t, now)),
        ...counterItems(e, chunk),
      ]);
    }
    for (let i = 0; i < orphans.length; i += 100) {
      const chunk = orphans.slice(i, i + 100);
      await commit(service, (e) =>
        chunk.map((c) => e.command.delete({ tenantId, deviceId, commandId: c.commandId }).commit()),
      );
    }
  }

  /**
   * The worker's pass (every minute in AWS, every few seconds under `pnpm dev`): carries every
   * unfinished rollout of every tenant forward until `deadline`. Safe next to the mutations' own
   * runs and next to another pass: each batch moves the cursor under a condition.
   */
  async function resumeAll(deadline: number): Promise<{ rollouts: number; processed: number }> {
    const { data } = await rollout.query
      .running({})
      .go({ pages: 'all', attributes: ['tenantId', 'rolloutId'] });
    let processed = 0;
    for (const r of data) {
      if (Date.now() > deadline) break;
      const before =
        (await rollout.get({ tenantId: r.tenantId, rolloutId: r.rolloutId }).go()).data?.processed ?? 0;
      const after = await runRollout(r.tenantId, r.rolloutId, { deadline }).catch(() => null); // next pass retries
      if (after) processed += after.processed - before;
    }
    return { rollouts: data.length, processed };
  }

  return {
    plan,
    reconcileDevice,
    retireDevice,
    effectivePayloads,
    newRollout,
    runRollout,
    resumeAll,
    subtree,
  };
}

export type DeliveryOperations = ReturnType<typeof deliveryOperations>;
