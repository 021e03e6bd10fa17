/** Test support: a tenant CA, an identity PKCS #12 and enrollment-profile input for both modes. */
import type { EnrollmentProfileInput } from '../enrollment-profile';
import { buildPkcs12 } from '../pkcs12';
import { createCertificateAuthority, issueCertificate, type PemKeyPair } from '../pki';

export interface ProfileFixture {
  ca: PemKeyPair;
  identity: PemKeyPair;
  signer: PemKeyPair;
  input(mode: 'BYOD' | 'ADDE'): EnrollmentProfileInput;
}

export function profileFixture(): ProfileFixture {
  const ca = createCertificateAuthority({ commonName: 'Acme MDM CA' });
  const identity = issueCertificate({ ca, commonName: 'MDM identity', usage: 'identity', validityDays: 365 });
  const signer = issueCertificate({
    ca,
    commonName: 'Acme profile signing',
    usage: 'signing',
    validityDays: 365,
  });
  const password = 'p12-secret';
  const pkcs12 = buildPkcs12({
    ...identity,
    caPem: ca.certificatePem,
    password,
    friendlyName: 'MDM identity',
  });
  return {
    ca,
    identity,
    signer,
    input: (mode) => ({
      enrollmentMode: mode,
      assignedManagedAppleId: 'alice@example.com',
      serverUrl: 'https://mdm.example.net/mdm/connect',
      checkInUrl: 'https://mdm.example.net/mdm/checkin',
      topic: 'com.apple.mgmt.External.1a2b3c4d-0000-4000-8000-000000000001',
      identifierPrefix: 'net.example.mdm',
      displayName: 'Acme Device Management',
      organization: 'Acme Inc.',
      identity: { pkcs12, password },
    }),
  };
}
