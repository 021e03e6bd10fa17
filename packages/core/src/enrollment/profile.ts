/**
 * Issuing the enrollment profile for a redeemed access token (docs/protocol/profile.md): a device identity made
 * for this enrollment by the tenant's CA (its key goes to the device inside the PKCS#12 and is
 * not kept), the com.apple.mdm payload (EnrollmentMode, AssignedManagedAppleID, tenant-scoped
 * ServerURL/CheckInURL, the push topic), CMS-signed by the tenant's signing certificate. The
 * device record is created now, keyed by that identity, so the first check-in finds it.
 */
import { randomBytes } from 'node:crypto';
import { apple } from '../apple.ts';
import { auditPut } from '../audit.ts';
import { runAs } from '../context.ts';
import type { AdeService } from '../entities/service.ts';
import type { CoreOptions } from '../options.ts';
import { commit } from '../transaction.ts';
import { deviceActor, type RedeemedToken } from './index.ts';
import type { tenantPkiOperations } from './pki.ts';
import { EnrollmentRefusal } from './refusal.ts';
import { deviceIdFor, mdmUrls } from './urls.ts';

export function profileOperations(
  service: AdeService,
  pki: ReturnType<typeof tenantPkiOperations>,
  options: CoreOptions,
) {
  const { pushCertificate, tenant, branding } = service.entities;

  async function issue(redeemed: RedeemedToken): Promise<Buffer> {
    const {
      buildEnrollmentProfile,
      buildPkcs12,
      certificateFingerprintSha256,
      issueCertificate,
      platformFromProduct,
      signProfile,
    } = await apple();
    const { config, token, request } = redeemed;
    const { tenantId } = config;
    const [push, owner, brand] = await Promise.all([
      pushCertificate.get({ tenantId }).go(),
      tenant.get({ tenantId }).go(),
      branding.get({ tenantId, configurationId: config.configurationId }).go(),
    ]);
    if (!push.data || Date.parse(push.data.notAfter) <= options.now().getTime()) {
      throw new EnrollmentRefusal(
        403,
        'PUSH_CERTIFICATE_MISSING',
        'Your organisation has not finished setting up device management. Contact your IT department.',
      );
    }
    const tenantName = owner.data?.name ?? 'Organisation';
    const displayName = brand.data?.displayName ?? tenantName;
    const { ca, signer } = await pki.ensure(tenantId, tenantName);
    const identity = issueCertificate({
      ca,
      commonName: `${token.managedAppleId.slice(0, 54)} ${randomBytes(4).toString('hex')}`,
      usage: 'identity',
      validityDays: 10 * 365,
    });
    const password = randomBytes(18).toString('base64url');
    const pkcs12 = buildPkcs12({
      ...identity,
      caPem: ca.certificatePem,
      password,
      friendlyName: `${displayName} device identity`,
    });
    const fingerprint = certificateFingerprintSha256(identity.certificatePem);
    const deviceId = deviceIdFor(fingerprint);
    const urls = mdmUrls(options.publicUrl, tenantId);
    const xml = buildEnrollmentProfile({
      enrollmentMode: config.enrollmentType === 'USER' ? 'BYOD' : 'ADDE',
      assignedManagedAppleId: token.managedAppleId,
      serverUrl: urls.serverUrl,
      checkInUrl: urls.checkInUrl,
      topic: push.data.topic,
      identifierPrefix: `cloud.ade.${tenantId.slice(4).toLowerCase()}`,
      displayName,
      organization: tenantName,
      identity: { pkcs12, password },
    });
    const signed = signProfile(xml, signer);
    const now = options.now().toISOString();
    await runAs(deviceActor(token.managedAppleId), () =>
      commit(service, (e) => [
        e.device
          .create({
            tenantId,
            deviceId,
            policyId: config.policyId,
            configurationId: config.configurationId,
            enrollmentType: config.enrollmentType === 'USER' ? 'BYOD' : 'ADDE',
            managedAppleId: token.managedAppleId,
            tokenHash: token.tokenHash,
            identityFingerprint: fingerprint,
            status: 'PROFILE_ISSUED',
            platform: platformFromProduct(request.product),
            product: request.product,
            buildVersion: request.version,
            appleVerifiedDevice: request.signature.chainReachesAppleDeviceCa,
            topic: push.data!.topic,
            profileIssuedAt: now,
          })
          .commit(),
        e.enrollmentToken
          .patch({ tenantId, tokenHash: token.tokenHash })
          .set({ enrollmentId: deviceId })
          .commit(),
        auditPut(e, {
          scope: { tenantId },
          action: 'enrollment.profileIssued',
          targetType: 'Device',
          targetId: deviceId,
          details: {
            managedAppleId: token.managedAppleId,
            product: request.product,
            version: request.version,
            appleVerifiedDevice: request.signature.chainReachesAppleDeviceCa,
            configurationId: config.configurationId,
          },
        }),
      ]),
    );
    return signed;
  }

  return { issue };
}
