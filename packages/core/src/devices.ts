/**
 * The device inventory: list with the filters portals use, move a device to another policy,
 * unenroll it (its access token is revoked in the same transaction, so its next request is answered
 * `com.apple.unrecognized.device` and the device removes management).
 */
import { auditPut } from './audit.ts';
import type { AdeService, DeviceItem } from './entities/service.ts';
import { AppError } from './errors.ts';
import { isIdOf } from './ids.ts';
import { type PageArgs, paginate } from './pagination.ts';
import type { DeliveryOperations } from './payloads/delivery.ts';
import { catalog, targetOf } from './payloads/targets.ts';
import type { PolicyReads } from './policies/tree.ts';
import { authorizeInTenant } from './tenancy.ts';
import { commit, failedAt } from './transaction.ts';

export interface DeviceFilter {
  enrollmentType?: 'BYOD' | 'ADDE' | null;
  policyId?: string | null;
  platform?: string | null;
  status?: DeviceItem['status'] | null;
  /** Devices whose OS version starts with this, e.g. "17" or "17.4". */
  osVersion?: string | null;
}

export function deviceOperations(service: AdeService, policies: PolicyReads, delivery: DeliveryOperations) {
  const { device } = service.entities;

  async function get(deviceId: string): Promise<DeviceItem> {
    const tenantId = authorizeInTenant('policy:read');
    const item = isIdOf('device', deviceId) ? (await device.get({ tenantId, deviceId }).go()).data : null;
    if (!item) throw AppError.notFound(`Device ${deviceId}`);
    return item;
  }

  function list(filter: DeviceFilter, args: PageArgs) {
    const tenantId = authorizeInTenant('policy:read');
    return paginate(
      args,
      (item: DeviceItem) => item.deviceId,
      (value) => isIdOf('device', value),
      async (after, limit) => {
        const base = filter.policyId
          ? device.query.byPolicy({ tenantId, policyId: filter.policyId })
          : device.query.byTenant({ tenantId });
        const ranged = after ? base.gt({ deviceId: after }) : base;
        const filtered = ranged.where((a, { eq, begins }) =>
          [
            filter.enrollmentType ? eq(a.enrollmentType, filter.enrollmentType) : '',
            filter.platform ? eq(a.platform, filter.platform) : '',
            filter.status ? eq(a.status, filter.status) : '',
            filter.osVersion ? begins(a.osVersion, filter.osVersion) : '',
          ]
            .filter(Boolean)
            .join(' AND '),
        );
        // Filters apply after DynamoDB's Limit: keep reading pages until the page is full.
        const { data } = await filtered.go({ count: limit, pages: 'all' });
        return data;
      },
    );
  }

  async function move(deviceId: string, policyId: string): Promise<DeviceItem> {
    const tenantId = authorizeInTenant('policy:write');
    const current = await get(deviceId);
    if (current.policyId === policyId) return current;
    await policies.get(policyId);
    await commit(
      service,
      (e) => [
        e.device
          .patch({ tenantId, deviceId })
          .set({ policyId })
          .add({ version: 1 })
          .where((a, { eq }) => eq(a.version, current.version))
          .commit(),
        e.policy.patch({ tenantId, policyId }).add({ deviceCount: 1 }).commit(),
        e.policy.patch({ tenantId, policyId: current.policyId }).subtract({ deviceCount: 1 }).commit(),
        auditPut(e, {
          scope: { tenantId },
          action: 'device.move',
          targetType: 'Device',
          targetId: deviceId,
          details: { from: current.policyId, to: policyId },
        }),
      ],
      (codes) =>
        failedAt(codes, 0) ? AppError.versionMismatch('The device', current.version + 1) : undefined,
    );
    const moved = { ...current, policyId, version: current.version + 1 };
    await delivery.reconcileDevice(moved); // what the new policy holds, and what the old one no longer gives
    return moved;
  }

  async function unenroll(deviceId: string): Promise<DeviceItem> {
    const tenantId = authorizeInTenant('policy:write');
    const current = await get(deviceId);
    if (current.status === 'UNENROLLED') return current;
    const now = new Date().toISOString();
    await commit(service, (e) => [
      e.device
        .patch({ tenantId, deviceId })
        .set({ status: 'UNENROLLED', unenrolledAt: now })
        .add({ version: 1 })
        .commit(),
      e.enrollmentToken.patch({ tenantId, tokenHash: current.tokenHash }).set({ revokedAt: now }).commit(),
      auditPut(e, {
        scope: { tenantId },
        action: 'device.unenroll',
        targetType: 'Device',
        targetId: deviceId,
        details: { managedAppleId: current.managedAppleId },
      }),
    ]);
    await delivery.retireDevice(current); // its payloads stop counting; its queue is emptied
    return { ...current, status: 'UNENROLLED', unenrolledAt: now, version: current.version + 1 };
  }

  return { get, list, move, unenroll };
}

/**
 * What a portal may offer for a device: it follows from the enrollment type and the platform, and
 * where Apple's schemas decide, from the catalogue: scheduled OS updates are the
 * softwareupdate.enforcement.specific declaration (device enrollments on iOS/visionOS; supervised
 * only on macOS, so not for an unsupervised ADDE Mac), erasing is the EraseDevice command.
 */
export async function deviceCapabilities(
  item: Pick<DeviceItem, 'enrollmentType' | 'platform' | 'osVersion'>,
) {
  const adde = item.enrollmentType === 'ADDE';
  const target = targetOf(item);
  const { declarationEligibility, commandEligibility } = await catalog();
  const allowed = (verdict: { status: string } | null) =>
    verdict !== null && verdict.status !== 'UNSUPPORTED';
  return {
    appsAndBooks: adde, // device-assigned VPP apps need device enrollment
    scheduledOsUpdates: allowed(
      target && declarationEligibility('com.apple.configuration.softwareupdate.enforcement.specific', target),
    ),
    macosAgent: adde && item.platform === 'macOS',
    serialNumberVisible: adde,
    eraseDevice: allowed(target && commandEligibility('EraseDevice', target)),
    managedAppsAndAccounts: true,
  };
}
