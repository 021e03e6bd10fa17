/**
 * The tenant's APNs MDM push certificate (from Apple's Push Certificates Portal): its topic goes
 * into every enrollment profile, its key signs pushes. Uploaded through GraphQL; the key is sealed.
 */
import type { PushCertificate } from '@ade/apple';
import { AppleProtocolError } from '@ade/apple/errors';
import { apple } from '../apple.ts';
import { auditPut } from '../audit.ts';
import type { AdeService, PushCertificateItem } from '../entities/service.ts';
import { AppError } from '../errors.ts';
import type { CoreOptions } from '../options.ts';
import { authorizeInTenant } from '../tenancy.ts';
import { commit } from '../transaction.ts';

export function pushCertificateOperations(service: AdeService, options: CoreOptions) {
  const { pushCertificate } = service.entities;

  async function get(): Promise<PushCertificateItem | null> {
    const tenantId = authorizeInTenant('ade:read');
    return (await pushCertificate.get({ tenantId }).go()).data;
  }

  async function upload(input: {
    certificatePem: string;
    privateKeyPem: string;
  }): Promise<PushCertificateItem> {
    const tenantId = authorizeInTenant('ade:write');
    const { parsePushCertificate } = await apple();
    let parsed: PushCertificate;
    try {
      parsed = parsePushCertificate(input.certificatePem, input.privateKeyPem, { now: options.now() });
    } catch (error) {
      if (error instanceof AppleProtocolError) {
        throw new AppError('validation', 'VALIDATION_FAILED', error.message, [
          { path: ['certificatePem'], message: error.message },
        ]);
      }
      throw error;
    }
    const existing = await get();
    if (existing && existing.topic !== parsed.topic) {
      // A new topic orphans every enrolled device (they only answer pushes on theirs).
      throw AppError.conflict(
        'PUSH_TOPIC_CHANGED',
        `This certificate is for topic ${parsed.topic}, but devices are enrolled with ${existing.topic}. Renew the existing certificate in Apple's portal instead of creating a new one.`,
      );
    }
    const sealedPrivateKey = await options.keys.encrypt(input.privateKeyPem, {
      tenantId,
      purpose: 'apns-push-key',
    });
    const item = {
      tenantId,
      certificatePem: input.certificatePem,
      sealedPrivateKey,
      topic: parsed.topic,
      notAfter: parsed.notAfter.toISOString(),
      fingerprintSha256: parsed.fingerprintSha256,
      uploadedAt: options.now().toISOString(),
      version: (existing?.version ?? 0) + 1,
    };
    await commit(service, (e) => [
      e.pushCertificate.put(item).commit(),
      auditPut(e, {
        scope: { tenantId },
        action: existing ? 'pushCertificate.renew' : 'pushCertificate.upload',
        targetType: 'PushCertificate',
        targetId: parsed.topic,
        details: { notAfter: item.notAfter },
      }),
    ]);
    return item;
  }

  return { get, upload };
}
