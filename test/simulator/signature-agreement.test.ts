/**
 * Every signature the device simulator makes is verified alike by the fast verifier (mdm-signature.ts)
 * and the pkijs reference: the stub server compares them on each request it receives (a disagreement is a
 * 500, failing the simulator test that sent it); here a whole BYOD and ADDE session proves the comparison
 * runs and catches a disagreement. The in-process signer the check-in benchmark uses
 * (test/support/device-signer.ts) is checked against openssl and both verifiers.
 */

import { configurationProfile, installProfileCommand } from '@ade/apple/mdm-commands';
import { verifyMdmSignature } from '@ade/apple/mdm-signature';
import { buildPlist } from '@ade/apple/plist';
import { signProfile } from '@ade/apple/profile-signing';
import { compareVerifiers, verifyMdmSignatureReference } from '@ade/apple/testing/mdm-signature-reference';
import { makeCert, type Workdir, workdir } from '@ade/apple/testing/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDetached } from '../support/device-crypto.ts';
import { deviceSigner } from '../support/device-signer.ts';
import { signedEnrollBody } from '../support/device-simulator.ts';
import { enrolledDevice, tenant, tenantSigner } from './enrolled-device.ts';
import { StubMdmServer } from './stub-mdm-server.ts';

let stub: StubMdmServer;
let w: Workdir;
beforeAll(async () => {
  stub = await StubMdmServer.start();
  w = workdir();
  makeCert(w, 'ca', '/CN=Bench CA', { ca: true });
  makeCert(w, 'ec', '/CN=ec device', { issuer: 'ca', ec: true });
});
afterAll(async () => {
  await stub?.close();
  w?.remove();
});

const identities = () => [
  { name: 'RSA-2048 identity from our PKI', identity: tenant().identity },
  {
    name: 'EC P-256 identity',
    identity: { certificatePem: w.read('ec.pem').toString(), privateKeyPem: w.read('ec.key').toString() },
  },
];

describe('the simulator’s signatures, both verifiers', () => {
  it('a BYOD and an ADDE session (check-ins, Idle, a command acknowledged): every request compared', async () => {
    stub.signaturesCompared = 0;
    const counted = stub.requests.length;
    for (const mode of ['BYOD', 'ADDE'] as const) {
      const device = await enrolledDevice(stub, mode);
      stub.queue.push(installProfileCommand('C-1', signProfile(wifiProfile(), tenantSigner())));
      const result = await device.connect();
      expect(result.status).toBe(200);
      expect(result.exchanges.map((e) => e.status)).toEqual(['Acknowledged']);
    }
    const received = stub.requests.length - counted;
    expect(received).toBe(2 * (2 + 2)); // Authenticate, TokenUpdate, Idle, Acknowledged per device
    expect(stub.signaturesCompared).toBe(received);
  });

  it('openssl (device-crypto.ts) over every kind of body the simulator sends', () => {
    const ids = { UDID: '00008030-000A1B2C3D4E5F60' };
    const bodies = [
      { MessageType: 'Authenticate', Topic: 'com.apple.mgmt.x', ...ids },
      {
        MessageType: 'TokenUpdate',
        Topic: 'com.apple.mgmt.x',
        ...ids,
        Token: Buffer.alloc(32, 7),
        PushMagic: 'm',
      },
      { MessageType: 'DeclarativeManagement', ...ids, Endpoint: 'tokens' },
      { MessageType: 'CheckOut', Topic: 'com.apple.mgmt.x', ...ids },
      { ...ids, Status: 'Idle' },
      { ...ids, Status: 'Acknowledged', CommandUUID: 'C-1' },
      { ...ids, Status: 'NotNow', CommandUUID: 'C-1' },
      { ...ids, Status: 'Error', CommandUUID: 'C-1', ErrorChain: [{ ErrorCode: 1, ErrorDomain: 'd' }] },
    ];
    for (const { identity } of identities())
      for (const message of bodies) {
        const body = Buffer.from(buildPlist(message as never));
        const header = signDetached(body, identity);
        const compared = compareVerifiers(verifyMdmSignature, header, body);
        expect(compared.agree).toBe(true);
        expect(compared.fast.accepted).toBe(true);
      }
  });

  it('the enrollment body (attached content), as the simulator signs it', () => {
    const body = signedEnrollBody({ PRODUCT: 'iPhone17,2', VERSION: '22B83' });
    const content = Buffer.from(/<\?xml[\s\S]*<\/plist>\n?/.exec(body.toString('latin1'))![0], 'latin1');
    const compared = compareVerifiers(verifyMdmSignature, body.toString('base64'), content);
    expect(compared.fast.accepted && compared.agree).toBe(true);
  });

  it('a disagreement is caught (a verifier that accepts everything against the reference)', () => {
    const body = Buffer.from('<plist/>');
    const acceptsAll = () => verifyMdmSignatureReference(signDetached(body, tenant().identity), body);
    expect(compareVerifiers(acceptsAll, 'bm90IGEgc2lnbmF0dXJl', body).agree).toBe(false);
  });
});

describe('the in-process signer (device-signer.ts)', () => {
  it.each(['RSA-2048 identity from our PKI', 'EC P-256 identity'])(
    '%s: openssl cms -verify and both verifiers accept it; another body is refused by both',
    (name) => {
      const { identity } = identities().find((i) => i.name === name)!;
      const body = Buffer.from(buildPlist({ UDID: 'U1', Status: 'Idle' }));
      const header = deviceSigner(identity).sign(body);
      w.write('sig.der', Buffer.from(header, 'base64'));
      w.write('body', body);
      w.write('id.pem', identity.certificatePem);
      w.openssl([
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        'sig.der',
        '-content',
        'body',
        '-noverify',
        '-out',
        '/dev/null',
      ]);
      const fast = verifyMdmSignature(header, body);
      expect(fast).toEqual(verifyMdmSignatureReference(header, body));
      expect(fast.certificatePem.trim()).toBe(identity.certificatePem.trim());
      const other = compareVerifiers(verifyMdmSignature, header, Buffer.concat([body, Buffer.from(' ')]));
      expect(other.agree && !other.fast.accepted).toBe(true);
    },
  );
});

function wifiProfile(): Buffer {
  return configurationProfile({
    identifier: 'net.example.wifi',
    uuid: crypto.randomUUID(),
    displayName: 'Office Wi-Fi',
    payloads: [
      {
        type: 'com.apple.wifi.managed',
        identifier: 'net.example.wifi.payload',
        uuid: crypto.randomUUID(),
        settings: { SSID_STR: 'Acme', AutoJoin: true },
      },
    ],
  });
}
