/**
 * The command channel (`PUT ServerURL`, `application/x-apple-aspen-mdm`,
 * docs/protocol/mdm.md#the-command-channel) and the
 * declarative-management check-in. Authenticated exactly like check-in: the `Mdm-Signature` names
 * the device (one read), the bearer must be the one issued for that enrollment.
 *
 * - `Idle` → the head of the device's queue, or an empty 200.
 * - `Acknowledged` → the deployment becomes `INSTALLED` (or `REMOVED` for RemoveProfile).
 * - `Error`, `CommandFormatError` → `FAILED`, with Apple's error chain.
 * - `NotNow` → the command stays at the head and is offered on the next `Idle`.
 * A result for a command no longer queued (a repeat, or one superseded) changes nothing.
 *
 * DynamoDB requests: `Idle` 2 (device, queue); a result 3 (device, queue, one transaction). A command
 * whose profile carries secrets is opened when it is sent (one KMS Decrypt per container and rollout
 * batch, the data key then reused; docs/payload-secrets.md#what-it-costs) and wrapped in its plist.
 */
import { appleDeviceMessages } from '../apple.ts';
import {
  type checkinOperations,
  type MdmRequest,
  type MdmResponse,
  ok,
  plain,
} from '../enrollment/checkin.ts';
import type { DeploymentState } from '../entities/deployment.ts';
import type {
  AdeService,
  CommandItem,
  DeploymentItem,
  DeviceItem,
  PayloadItem,
} from '../entities/service.ts';
import { isUlid } from '../ids.ts';
import type { CoreOptions } from '../options.ts';
import type { KeyManagement, SealedSecret } from '../secrets/key-management.ts';
import { commit } from '../transaction.ts';
import { payloadProfileContext, revealSettings, storedSettings } from './secret-values.ts';

/** Check-in's authentication: the signed device and its parsed message, or the answer refusing them. */
type SignedMessage = ReturnType<typeof checkinOperations>['signedMessage'];

/** The command as the device gets it: its stored plist, or the plist built around its sealed profile. */
async function commandResponse(keys: KeyManagement, command: CommandItem): Promise<MdmResponse> {
  return {
    status: 200,
    headers: { 'content-type': 'application/xml; charset=utf-8' },
    body: (command.body ? Buffer.from(command.body, 'base64') : await openedCommand(keys, command)).toString(
      'utf8',
    ),
  };
}

async function openedCommand(keys: KeyManagement, command: CommandItem): Promise<Buffer> {
  const { tenantId, payloadId, payloadVersion } = command;
  if (!command.sealedProfile || !payloadId || payloadVersion === undefined)
    throw new Error(`Command ${command.commandId} has neither a body nor a sealed profile.`);
  const profile = await keys.decrypt(
    command.sealedProfile as SealedSecret,
    payloadProfileContext({ tenantId, payloadId, version: payloadVersion }),
    { reuseDataKey: true },
  );
  const { installProfileCommand } = await import('@ade/apple/mdm-commands');
  return installProfileCommand(command.commandId, profile);
}

export function commandOperations(service: AdeService, options: CoreOptions, signedMessage: SignedMessage) {
  const { command, deployment, payload } = service.entities;

  async function connect(request: MdmRequest): Promise<MdmResponse> {
    const signed = await signedMessage(request, async (body) =>
      (await appleDeviceMessages()).parseCommandResult(body),
    );
    if (signed.response) return signed.response;
    const { device: current, message: result } = signed;

    const { tenantId, deviceId } = current;
    // The head of the queue, and the one after it: a result is nearly always for the head.
    const { data: queue } = await command.query.byDevice({ tenantId, deviceId }).go({ limit: 2 });
    const respond = (next: CommandItem | undefined) => (next ? commandResponse(options.keys, next) : ok);
    if (result.Status === 'Idle') return respond(queue[0]);

    const settled =
      queue.find((c) => c.commandId === result.CommandUUID) ??
      (result.CommandUUID && isUlid(result.CommandUUID)
        ? (await command.get({ tenantId, deviceId, commandId: result.CommandUUID }).go()).data
        : null);
    const rest = queue.filter((c) => c.commandId !== settled?.commandId);
    if (!settled) return respond(rest[0]); // a repeat: nothing changes twice

    if (result.Status === 'NotNow') {
      await command
        .patch({ tenantId, deviceId, commandId: settled.commandId })
        .add({ notNowCount: 1 })
        .set({ lastSentAt: options.now().toISOString() })
        .go()
        .catch(() => undefined); // settled meanwhile: nothing to defer
      return ok; // the device asks again (Idle) when it can; the command is still first
    }

    const now = options.now().toISOString();
    const next: DeploymentState =
      result.Status === 'Acknowledged'
        ? settled.requestType === 'RemoveProfile'
          ? 'REMOVED'
          : 'INSTALLED'
        : 'FAILED';
    const expected: DeploymentState = settled.requestType === 'RemoveProfile' ? 'REMOVING' : 'PENDING';
    const tracksDeployment = Boolean(
      settled.payloadId && settled.policyId && settled.requestType !== 'DeclarativeManagement',
    );
    const errorChain = result.ErrorChain?.map((e) => ({
      ErrorCode: e.ErrorCode,
      ErrorDomain: e.ErrorDomain,
      ...(e.LocalizedDescription ? { LocalizedDescription: e.LocalizedDescription } : {}),
      ...(e.USEnglishDescription ? { USEnglishDescription: e.USEnglishDescription } : {}),
    }));
    const reason =
      next === 'FAILED'
        ? result.Status === 'CommandFormatError'
          ? 'The device could not read the command (CommandFormatError).'
          : (errorChain
              ?.map(
                (e) =>
                  `${e.ErrorDomain} ${e.ErrorCode}${e.USEnglishDescription ? `: ${e.USEnglishDescription}` : e.LocalizedDescription ? `: ${e.LocalizedDescription}` : ''}`,
              )
              .join(' ← ') ?? 'The device reported an error without details.')
        : undefined;

    const settle = (withDeployment: boolean) =>
      commit(service, (e) => [
        e.command
          .delete({ tenantId, deviceId, commandId: settled.commandId })
          .where((a, { exists }) => exists(a.commandId)) // a racing repeat settles it once
          .commit(),
        ...(withDeployment
          ? [
              e.deployment
                .patch({ tenantId, deviceId, payloadId: settled.payloadId! })
                .set({
                  state: next,
                  updatedAt: now,
                  ...(reason ? { reason } : {}),
                  ...(errorChain ? { errorChain } : {}),
                })
                .remove(['commandId', ...(reason ? [] : (['reason'] as const))])
                .where(
                  (a, { eq }) =>
                    `${eq(a.commandId, settled.commandId)} AND ${eq(a.state, expected as DeploymentState)}`,
                )
                .commit(),
              e.deploymentCounter
                .update({ tenantId, policyId: settled.policyId!, payloadId: settled.payloadId! })
                .add({ [next]: 1 })
                .subtract({ [expected]: 1 })
                .commit(),
            ]
          : []),
      ]);
    try {
      await settle(tracksDeployment);
    } catch (error) {
      // The deployment moved on (a newer version was queued): only the command goes.
      if (!tracksDeployment) throw error;
      await settle(false).catch(() => undefined);
    }
    return respond(rest[0]);
  }

  // ------------------------------------------------------------------ declarative management

  /** The declarations a device should run: its declaration deployments that are not removed. */
  async function declarationSet(current: DeviceItem) {
    const { tenantId, deviceId } = current;
    const { data } = await deployment.query.byDevice({ tenantId, deviceId }).go({ pages: 'all' });
    const live = data.filter(
      (d: DeploymentItem) =>
        d.payloadKind === 'DECLARATION' &&
        (d.state === 'PENDING' || d.state === 'INSTALLED' || d.state === 'FAILED'),
    );
    const items = live.length
      ? (await payload.get(live.map((d) => ({ tenantId, payloadId: d.payloadId }))).go()).data.filter(
          (p): p is PayloadItem => Boolean(p),
        )
      : [];
    const ddm = await import('@ade/apple/ddm');
    const configurations = items.map((p) => ({
      type: p.payloadType,
      identifier: p.payloadId,
      serverToken: `v${p.version}`,
      // Without secret values: tokens and item lists need none; `declaration` adds them (see there).
      payload: storedSettings(p),
    }));
    const ids = configurations.map((c) => c.identifier).sort();
    const activation = ddm.simpleActivation(
      'cloud.ade.activation.all',
      ids.map((id, i) => `${id}:${configurations[i]!.serverToken}`).join(',') || 'none',
      ids,
    );
    return {
      ddm,
      live,
      items,
      set: { configurations, activations: [activation], assets: [], management: [] },
    };
  }

  /** A `DeclarativeManagement` check-in: tokens, declaration items, one declaration, or a status report. */
  async function declarativeCheckin(
    current: DeviceItem,
    endpoint: string,
    data: Buffer | undefined,
  ): Promise<MdmResponse> {
    const json = (value: unknown): MdmResponse => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(value),
    });
    const ddm = await import('@ade/apple/ddm');
    let parsed: ReturnType<typeof ddm.parseDdmEndpoint>;
    try {
      parsed = ddm.parseDdmEndpoint(endpoint);
    } catch (error) {
      return plain(400, (error as Error).message);
    }
    const { set, live, items } = await declarationSet(current);
    switch (parsed.kind) {
      case 'tokens':
        return json(ddm.tokensResponse(set, options.now()));
      case 'declaration-items':
        return json(ddm.declarationItemsResponse(set));
      case 'declaration': {
        const found = ddm.declarationResponse(set, endpoint);
        if (!found) return plain(404, 'No such declaration.');
        // Secret values are opened only here, for the device's own authenticated request, and sent
        // without being stored anywhere in clear.
        const item = items.find((p) => p.payloadId === found.Identifier);
        if (!item?.sealedSecrets) return json(found);
        return json({ ...found, Payload: await revealSettings(options.keys, item, { reuseDataKey: true }) });
      }
      case 'status': {
        if (!data) return plain(400, 'A status report needs Data.');
        let report: ReturnType<typeof ddm.parseStatusReport>;
        try {
          report = ddm.parseStatusReport(data);
        } catch (error) {
          return plain(400, (error as Error).message);
        }
        await applyStatus(live, set.configurations, report.declarations);
        return ok;
      }
    }
    return plain(400, 'Unknown declarative-management endpoint.');
  }

  /** Status for the current version of a declaration settles its deployment (INSTALLED or FAILED). */
  async function applyStatus(
    live: DeploymentItem[],
    configurations: { identifier: string; serverToken: string }[],
    statuses: {
      identifier: string;
      active: boolean;
      valid: string;
      serverToken: string;
      reasons: { code: string; description?: string }[];
    }[],
  ) {
    const now = options.now().toISOString();
    const tokens = new Map(configurations.map((c) => [c.identifier, c.serverToken]));
    const changes = statuses.flatMap((s) => {
      const d = live.find((x) => x.payloadId === s.identifier);
      if (!d || tokens.get(s.identifier) !== s.serverToken) return []; // stale or unknown: ignore
      const next: DeploymentState =
        s.valid === 'invalid' ? 'FAILED' : s.active && s.valid === 'valid' ? 'INSTALLED' : d.state;
      if (next === d.state) return [];
      const reason =
        next === 'FAILED'
          ? s.reasons.map((r) => `${r.code}${r.description ? `: ${r.description}` : ''}`).join('; ') ||
            'The device reported the declaration invalid.'
          : undefined;
      return [{ d, next, reason }];
    });
    for (let i = 0; i < changes.length; i += 40) {
      const chunk = changes.slice(i, i + 40);
      await commit(service, (e) =>
        chunk.flatMap(({ d, next, reason }) => [
          e.deployment
            .patch({ tenantId: d.tenantId, deviceId: d.deviceId, payloadId: d.payloadId })
            .set({ state: next, updatedAt: now, ...(reason ? { reason } : {}) })
            .remove(reason ? [] : ['reason'])
            .where((a, { eq }) => eq(a.state, d.state))
            .commit(),
          e.deploymentCounter
            .update({ tenantId: d.tenantId, policyId: d.policyId, payloadId: d.payloadId })
            .add({ [next]: 1 })
            .subtract({ [d.state]: 1 })
            .commit(),
        ]),
      );
    }
  }

  return { connect, declarativeCheckin };
}

export type CommandOperations = ReturnType<typeof commandOperations>;
