/**
 * The tenant's own PKI for enrollment: a CA that issues one device identity per enrollment (its
 * key is generated for that enrollment, handed to the device in the PKCS#12, and not kept) and a
 * certificate that signs the enrollment profiles. Made on first use with a conditional put, so two
 * first enrollments at once end with one CA.
 */
import { apple } from '../apple.ts';
import type { AdeService } from '../entities/service.ts';
import type { CoreOptions } from '../options.ts';
import type { SealedSecret } from '../secrets/key-management.ts';

export interface TenantPki {
  ca: { certificatePem: string; privateKeyPem: string };
  signer: { certificatePem: string; privateKeyPem: string; chainPems: string[] };
}

export function tenantPkiOperations(service: AdeService, options: CoreOptions) {
  const { tenantPki } = service.entities;
  const context = (tenantId: string, purpose: string) => ({ tenantId, purpose });
  const cache = new Map<string, TenantPki>(); // keyed by tenant; holds nothing another tenant can reach

  async function unseal(item: NonNullable<Awaited<ReturnType<typeof load>>>): Promise<TenantPki> {
    const [caKey, signingKey] = await Promise.all([
      options.keys.decrypt(item.sealedCaKey as SealedSecret, context(item.tenantId, 'tenant-ca-key')),
      options.keys.decrypt(
        item.sealedSigningKey as SealedSecret,
        context(item.tenantId, 'profile-signing-key'),
      ),
    ]);
    return {
      ca: { certificatePem: item.caCertificatePem, privateKeyPem: caKey.toString('utf8') },
      signer: {
        certificatePem: item.signingCertificatePem,
        privateKeyPem: signingKey.toString('utf8'),
        chainPems: [item.caCertificatePem],
      },
    };
  }

  async function load(tenantId: string) {
    return (await tenantPki.get({ tenantId }).go()).data;
  }

  async function ensure(tenantId: string, tenantName: string): Promise<TenantPki> {
    const cached = cache.get(tenantId);
    if (cached) return cached;
    let item = await load(tenantId);
    if (!item) {
      const { createCertificateAuthority, issueCertificate } = await apple();
      // X.509 common names hold at most 64 characters; the CA outlives every identity it issues.
      const ca = createCertificateAuthority({
        commonName: `${tenantName.slice(0, 50)} MDM CA`,
        validityYears: 30,
      });
      const signing = issueCertificate({
        ca,
        commonName: `${tenantName.slice(0, 40)} MDM profile signing`,
        usage: 'signing',
        validityDays: 10 * 365,
      });
      const [sealedCaKey, sealedSigningKey] = await Promise.all([
        options.keys.encrypt(ca.privateKeyPem, context(tenantId, 'tenant-ca-key')),
        options.keys.encrypt(signing.privateKeyPem, context(tenantId, 'profile-signing-key')),
      ]);
      await tenantPki
        .create({
          tenantId,
          caCertificatePem: ca.certificatePem,
          sealedCaKey,
          signingCertificatePem: signing.certificatePem,
          sealedSigningKey,
        })
        .go()
        .catch(() => undefined); // someone else made it first: theirs is the one
      item = await load(tenantId);
    }
    const pki = await unseal(item!);
    cache.set(tenantId, pki);
    return pki;
  }

  return { ensure };
}
