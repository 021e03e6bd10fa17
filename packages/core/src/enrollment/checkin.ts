/**
 * MDM check-in (docs/protocol/mdm.md): `PUT CheckInURL`, `application/x-apple-aspen-mdm-checkin`. The URL names
 * the tenant; the device is whoever signed the body (`Mdm-Signature`, SignMessage=true) with the
 * identity we issued at enrollment — its certificate's hash is the device id, so one GetItem finds
 * it and no id in the body is trusted on its own. The bearer, when sent, must be this enrollment's.
 * Then one transaction: the device's new state and the audit event. Two DynamoDB requests. An ADDE
 * Authenticate also claims its UDID in that transaction, retiring the record the device had before
 * if it enrolled again without a CheckOut (reenrollment.ts, docs/protocol/mdm.md#re-enrollment).
 */
import type { AuthenticateMessage, EnrollmentIdentity } from '@ade/apple';
import { AppleProtocolError } from '@ade/apple/errors';
import { appleDeviceMessages } from '../apple.ts';
import { auditPut } from '../audit.ts';
import { runAs } from '../context.ts';
import type { AdeService, DeviceItem } from '../entities/service.ts';
import { isUlid } from '../ids.ts';
import type { CoreOptions } from '../options.ts';
import type { DeliveryOperations } from '../payloads/delivery.ts';
import { commit } from '../transaction.ts';
import { deviceActor } from './index.ts';
import { type CheckInWrite, REPLACED_REASON, reenrollmentOperations } from './reenrollment.ts';
import { readAccessToken, sameSecret } from './tokens.ts';
import { deviceIdFor } from './urls.ts';

export interface MdmResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What check-in and the command channel read from a request (functions/checkin.ts `mdmRequest`). */
export interface MdmRequest {
  tenantUlid: string;
  signature: string | undefined;
  body: Buffer;
  bearer: string | null;
}

export const ok: MdmResponse = { status: 200, headers: {}, body: '' };
export const plain = (status: number, body: string): MdmResponse => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body,
});
/** Apple's answer for a device we do not (or no longer) know: it makes the device unenroll. */
export const UNRECOGNIZED: MdmResponse = {
  status: 403,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    code: 'com.apple.unrecognized.device',
    description: 'Unknown or removed enrollment.',
  }),
};

export function checkinOperations(service: AdeService, options: CoreOptions, delivery: DeliveryOperations) {
  const { device } = service.entities;
  const reenrollment = reenrollmentOperations(service);

  /** The device that signed `body`, if it is an enrollment of this tenant. */
  async function signedDevice(
    tenantUlid: string,
    signature: string | undefined,
    body: Buffer,
    bearer: string | null,
  ) {
    if (!isUlid(tenantUlid)) return { response: plain(404, 'Not found') };
    const { verifyMdmSignature } = await appleDeviceMessages();
    let fingerprint: string;
    try {
      fingerprint = verifyMdmSignature(signature, body).fingerprintSha256;
    } catch (error) {
      if (error instanceof AppleProtocolError)
        return { response: plain(400, 'The request is not signed by an enrolled device identity.') };
      throw error;
    }
    const tenantId = `ten_${tenantUlid}`;
    const found = (await device.get({ tenantId, deviceId: deviceIdFor(fingerprint) }).go()).data;
    if (!found || found.status === 'UNENROLLED') return { response: UNRECOGNIZED };
    if (bearer) {
      // Only the bearer issued for this enrollment (the MAC was checked; the row binds it).
      const token = await readAccessToken(options.tokenSigner, bearer);
      if (
        !token ||
        token.tenantId !== tenantId ||
        token.claims.managedAppleId !== found.managedAppleId ||
        !sameSecret(token.hash, found.tokenHash)
      )
        return { response: UNRECOGNIZED };
    }
    return { device: found };
  }

  /**
   * The device that signed the request and its message, parsed by `parse` and naming that same
   * device; or the answer that refuses them. Check-in and the command channel both start here.
   */
  async function signedMessage<M extends { identity: EnrollmentIdentity }>(
    request: MdmRequest,
    parse: (body: Buffer) => Promise<M>,
  ): Promise<{ device: DeviceItem; message: M; response?: undefined } | { response: MdmResponse }> {
    const signed = await signedDevice(request.tenantUlid, request.signature, request.body, request.bearer);
    if (!signed.device) return signed;
    let message: M;
    try {
      message = await parse(request.body);
    } catch (error) {
      if (error instanceof AppleProtocolError) return { response: plain(400, error.message) };
      throw error;
    }
    const mismatch = identityMismatch(message.identity, signed.device);
    return mismatch ? { response: plain(400, mismatch) } : { device: signed.device, message };
  }

  async function checkIn(request: MdmRequest): Promise<MdmResponse> {
    const signed = await signedMessage(request, async (body) =>
      (await appleDeviceMessages()).parseCheckin(body),
    );
    if (signed.response) return signed.response;
    const { device: current, message } = signed;

    const now = options.now().toISOString();
    const key = { tenantId: current.tenantId, deviceId: current.deviceId };
    let changes: Partial<DeviceItem>;
    switch (message.MessageType) {
      case 'Authenticate':
        changes = {
          ...authenticateFacts(message, current.enrollmentType),
          status: current.status === 'ENROLLED' ? 'ENROLLED' : 'AUTHENTICATED',
        };
        break;
      case 'TokenUpdate': {
        const push = {
          token: message.Token.toString('hex'),
          pushMagic: message.PushMagic,
          unlockToken: message.UnlockToken?.toString('base64'),
        };
        const sealedPush = await options.keys.encrypt(JSON.stringify(push), {
          tenantId: current.tenantId,
          purpose: 'apns-device-token',
          deviceId: current.deviceId,
        });
        changes = { sealedPush, status: 'ENROLLED', ...(current.enrolledAt ? {} : { enrolledAt: now }) };
        break;
      }
      case 'CheckOut':
        changes = { status: 'UNENROLLED', unenrolledAt: now };
        break;
      case 'DeclarativeManagement':
        if (current.status !== 'ENROLLED') return plain(400, 'The enrollment is not complete.');
        return declarative(current, message.Endpoint, message.Data);
      default:
        return plain(400, `${message.MessageType} is not supported by this server.`);
    }
    const write: CheckInWrite = (extra, explain) =>
      runAs(deviceActor(current.managedAppleId), () =>
        commit(
          service,
          (e) => [
            e.device
              .patch(key)
              .set({ ...changes, lastCheckInAt: now })
              .add({ version: 1 })
              .commit(),
            auditPut(e, {
              scope: { tenantId: current.tenantId },
              action: `checkin.${message.MessageType}`,
              targetType: 'Device',
              targetId: current.deviceId,
              details: { managedAppleId: current.managedAppleId, status: changes.status ?? current.status },
            }),
            ...extra(e),
          ],
          (codes) => explain(codes.slice(2)),
        ),
      );
    // An ADDE Authenticate claims its UDID, retiring the record the device had before, if any.
    let replaced: DeviceItem | null = null;
    if (message.MessageType === 'Authenticate' && message.identity.enrollmentType === 'ADDE')
      replaced = await reenrollment.claimUdid(current, message.identity.udid, now, write);
    else await write(nothingMore, () => undefined);
    if (replaced) await delivery.retireDevice(replaced, REPLACED_REASON);
    // Enrollment just completed: queue what the device's policy holds for it. Left: retire it.
    if (changes.status === 'ENROLLED' && current.status !== 'ENROLLED')
      await delivery.reconcileDevice({ ...current, ...changes } as DeviceItem);
    if (changes.status === 'UNENROLLED' && current.status !== 'UNENROLLED')
      await delivery.retireDevice(current);
    return ok;
  }

  let declarative: (device: DeviceItem, endpoint: string, data: Buffer | undefined) => Promise<MdmResponse> =
    () => Promise.resolve(plain(400, 'Declarative management is not available.'));

  return {
    checkIn,
    signedMessage,
    /** Declarative management lives with the payloads (payloads/commands.ts); it registers here. */
    handleDeclarative(handler: typeof declarative) {
      declarative = handler;
    },
  };
}

const nothingMore = () => [];

/**
 * Why a message's identity (EnrollmentID for BYOD, UDID for ADDE) is not the enrollment that signed
 * it, or null. Check-in and the command channel both ask; the signature already named the device.
 */
function identityMismatch(identity: EnrollmentIdentity, current: DeviceItem): string | null {
  if (identity.enrollmentType !== current.enrollmentType)
    return "The message does not match this enrollment's type.";
  const claimed = identity.enrollmentType === 'BYOD' ? identity.enrollmentId : identity.udid;
  const known = current.enrollmentType === 'BYOD' ? current.enrollmentId : current.udid;
  return known && claimed !== known ? 'The message names another device than the one that signed it.' : null;
}

/** What an Authenticate tells us; serial number and UDID only for ADDE (User Enrollment hides them). */
function authenticateFacts(
  message: AuthenticateMessage,
  type: DeviceItem['enrollmentType'],
): Partial<DeviceItem> {
  const facts: Partial<DeviceItem> = {
    osVersion: message.OSVersion,
    buildVersion: message.BuildVersion,
    model: message.Model ?? message.ProductName,
    modelName: message.ModelName,
  };
  if (type === 'BYOD' && message.identity.enrollmentType === 'BYOD')
    facts.enrollmentId = message.identity.enrollmentId;
  if (type === 'ADDE' && message.identity.enrollmentType === 'ADDE') {
    facts.udid = message.identity.udid;
    facts.serialNumber = message.SerialNumber;
    facts.deviceName = message.DeviceName;
  }
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined));
}
