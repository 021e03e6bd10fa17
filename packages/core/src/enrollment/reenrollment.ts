/**
 * Re-enrollment of an ADDE device (docs/protocol/mdm.md#re-enrollment). A device holds one MDM
 * enrollment at a time, so an Authenticate naming a UDID that another active record of the tenant
 * holds means the device lost that enrollment without a CheckOut reaching us (erased, the profile
 * removed offline, the CheckOut lost) and enrolled again. The new record takes the UDID's claim and
 * the old one is retired in the Authenticate's own transaction: status UNENROLLED, `replacedBy`, and
 * a `device.replace` audit event. Its identity then gets the answer a checked-out device gets, and
 * its deployments stop counting afterwards, the way CheckOut does it (delivery's `retireDevice`).
 *
 * BYOD has nothing to link: its EnrollmentID is new on every enrollment and User Enrollment hides
 * every hardware identifier, while one Managed Apple Account may enroll several devices of the same
 * model. Each BYOD enrollment is its own record; the old one ends with its CheckOut or by an admin.
 */
import type { TransactionItemCode } from 'electrodb';
import { auditPut } from '../audit.ts';
import type { AdeService, DeviceItem } from '../entities/service.ts';
import { AppError } from '../errors.ts';
import type { TxEntities } from '../transaction.ts';
import { sha256 } from './tokens.ts';

/**
 * Commits a check-in's own items (the device's change, its audit event) with `extra`'s in the same
 * transaction; when DynamoDB cancels it, `explain` receives the reason codes of `extra`'s items.
 */
export type CheckInWrite = (
  extra: (e: TxEntities) => unknown[],
  explain: (codes: TransactionItemCode[]) => Error | undefined,
) => Promise<void>;

/** Why the record a UDID's claim names is no longer active. */
export const REPLACED_REASON =
  'The device enrolled again with the same UDID without checking out: the new enrollment replaces this one.';

/** The claim changed hands between our read and our write: read it again. */
class ClaimMoved extends Error {}

/** Reads and writes of one Authenticate racing others for the same UDID (each loses to a newer one). */
const ATTEMPTS = 3;

export function reenrollmentOperations(service: AdeService) {
  const { udidClaim, device } = service.entities;

  /**
   * Commits an ADDE Authenticate of `current` (through `write`) so that its UDID names this record
   * only. Returns the record it retired, if another one was still active, for the caller to retire its
   * deployments. The common case (a UDID new to the tenant, or already this record's) adds no request.
   */
  async function claimUdid(
    current: DeviceItem,
    udid: string,
    now: string,
    write: CheckInWrite,
  ): Promise<DeviceItem | null> {
    const key = { tenantId: current.tenantId, udidHash: sha256(udid) };
    const claim = { ...key, deviceId: current.deviceId, claimedAt: now };
    const ours = await tryWrite(write, (e) => [
      e.udidClaim
        .put(claim)
        .where((a, { notExists, eq }) => `${notExists(a.deviceId)} OR ${eq(a.deviceId, current.deviceId)}`)
        .commit(),
    ]);
    if (ours) return null;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const holderId = (await udidClaim.get(key).go()).data?.deviceId;
      const holder =
        holderId && holderId !== current.deviceId
          ? (await device.get({ tenantId: current.tenantId, deviceId: holderId }).go()).data
          : null;
      // A holder that checked out (or was unenrolled) keeps its state: only the claim moves.
      const replaced = holder && holder.status !== 'UNENROLLED' ? holder : null;
      const written = await tryWrite(write, (e) => [
        e.udidClaim
          .put(claim)
          .where((a, { eq, notExists }) => (holderId ? eq(a.deviceId, holderId) : notExists(a.deviceId)))
          .commit(),
        ...(replaced ? retireItems(e, replaced, current, now) : []),
      ]);
      if (written) return replaced;
    }
    throw AppError.conflict(
      'CONCURRENT_CHANGE',
      'Other enrollments of the same device were saved at the same time; try again.',
    );
  }

  return { claimUdid };
}

/** The old record retired for the new one, under the condition that it is still active. */
function retireItems(e: TxEntities, old: DeviceItem, current: DeviceItem, now: string): unknown[] {
  return [
    e.device
      .patch({ tenantId: old.tenantId, deviceId: old.deviceId })
      .set({ status: 'UNENROLLED', unenrolledAt: now, replacedBy: current.deviceId })
      .add({ version: 1 })
      .where((a, { ne }) => ne(a.status, 'UNENROLLED'))
      .commit(),
    auditPut(e, {
      scope: { tenantId: old.tenantId },
      action: 'device.replace',
      targetType: 'Device',
      targetId: old.deviceId,
      reason: REPLACED_REASON,
      details: {
        replacedBy: current.deviceId,
        managedAppleId: old.managedAppleId,
        newManagedAppleId: current.managedAppleId,
      },
    }),
  ];
}

/** True when `write` committed; false when a condition of `extra` failed (the claim moved). */
async function tryWrite(write: CheckInWrite, extra: (e: TxEntities) => unknown[]): Promise<boolean> {
  try {
    await write(extra, (codes) => (codes.includes('ConditionalCheckFailed') ? new ClaimMoved() : undefined));
    return true;
  } catch (error) {
    if (error instanceof ClaimMoved) return false;
    throw error;
  }
}
