/**
 * A simulated Apple device speaking HTTP to the local runtime, as an iPhone or a Mac would: service
 * discovery, the enrollment POST (a CMS-signed plist), the web-authentication session, the profile,
 * then check-ins signed with the identity from the profile's PKCS#12. Signatures are made by the
 * openssl CLI, independent of the server's code.
 */
import { buildPlist, parsePlistDict, readPkcs12 } from '@ade/apple';
import { parseContentInfo } from '@ade/apple/cms';
import { assertProfileMatchesSchema } from '@ade/apple/schema/payload-schema';
import { workdir } from '@ade/apple/testing/tools';

export interface DeviceProfile {
  xml: string;
  mdm: Record<string, unknown>;
  identity: { certificatePem: string; privateKeyPem: string };
  signerSubject: string;
}

export interface DeviceSimulatorOptions {
  /**
   * false: take the profile's plist out of the CMS in-process without checking its signature (no
   * openssl; `signerSubject` is then empty), for load runs. The schema check stays. Default true.
   */
  verifyProfileSignature?: boolean;
}

export class DeviceSimulator {
  token: string | null = null;
  profile: DeviceProfile | null = null;

  constructor(
    readonly server: string,
    readonly enrollBody: Buffer,
    readonly modelFamily: string,
    readonly options: DeviceSimulatorOptions = {},
  ) {}

  async discover(discoveryId: string, user: string) {
    const response = await fetch(
      `${this.server}/mdm/enrollment/servicediscovery/${discoveryId}?user-identifier=${encodeURIComponent(user)}&model-family=${this.modelFamily}`,
    );
    return {
      status: response.status,
      body: (await response.json()) as { Servers?: { Version: string; BaseURL: string }[] },
    };
  }

  /** POSTs the enrollment request to BaseURL (rewritten to the local server), with the bearer if any. */
  enroll(baseUrl: string) {
    return fetch(this.local(baseUrl), {
      method: 'POST',
      headers: {
        'content-type': 'application/pkcs7-signature',
        'user-agent': 'DeviceManagementClient/1.0',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: this.enrollBody,
    });
  }

  /** ASWebAuthenticationSession: open the page, post the form, take the token from the 308. */
  async signIn(challengeUrl: string, user: string, passcode?: string): Promise<string> {
    const url = this.local(challengeUrl);
    const page = await fetch(`${url}?user-identifier=${encodeURIComponent(user)}`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const cookie = page.headers.get('set-cookie')?.split(';')[0] ?? '';
    const post = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, 'user-identifier': user, ...(passcode ? { passcode } : {}) }),
    });
    if (post.status !== 308) throw new Error(`sign-in answered ${post.status}`);
    this.token = new URL(post.headers.get('location')!).searchParams.get('access-token');
    return this.token!;
  }

  /**
   * Verifies the signed profile with openssl (unless `verifyProfileSignature: false`), checks it against
   * Apple's schema, opens the identity.
   */
  acceptProfile(der: Buffer): DeviceProfile {
    if (this.options.verifyProfileSignature === false) {
      const xml = signedContent(der).toString('utf8');
      return this.openProfile(xml, '');
    }
    const w = workdir('ade-device-');
    try {
      w.write('profile.der', der);
      // The signature must verify (trusting the chain the profile itself carries) and yield the plist.
      w.openssl([
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        'profile.der',
        '-noverify',
        '-out',
        'profile.plist',
        '-certsout',
        'signers.pem',
      ]);
      const xml = w.read('profile.plist').toString('utf8');
      const signerSubject = w.openssl(['x509', '-in', 'signers.pem', '-noout', '-subject']).toString().trim();
      return this.openProfile(xml, signerSubject);
    } finally {
      w.remove();
    }
  }

  /** Checks the profile's plist against Apple's schema and opens the identity. */
  private openProfile(xml: string, signerSubject: string): DeviceProfile {
    const dict = parsePlistDict(xml);
    assertProfileMatchesSchema(dict, {
      userEnrollment: (dict.PayloadContent as Record<string, unknown>[]).some(
        (p) => p.EnrollmentMode === 'BYOD',
      ),
    });
    const payloads = dict.PayloadContent as Record<string, unknown>[];
    const mdm = payloads.find((p) => p.PayloadType === 'com.apple.mdm')!;
    const pkcs12 = payloads.find((p) => p.PayloadType === 'com.apple.security.pkcs12')!;
    const contents = readPkcs12(pkcs12.PayloadContent as Buffer, pkcs12.Password as string);
    this.profile = {
      xml,
      mdm,
      identity: { certificatePem: contents.certificatePems[0]!, privateKeyPem: contents.privateKeyPem },
      signerSubject,
    };
    return this.profile;
  }

  /** PUT CheckInURL, signed (Mdm-Signature: detached CMS by openssl) with the profile's identity. */
  async checkIn(
    message: Record<string, unknown>,
    options: { bearer?: boolean; signWith?: { certificatePem: string; privateKeyPem: string } } = {},
  ) {
    const profile = this.profile!;
    const body = Buffer.from(buildPlist(message as never));
    const signer = options.signWith ?? profile.identity;
    const w = workdir('ade-checkin-');
    let signature: string;
    try {
      w.write('body.plist', body);
      w.write('id.pem', signer.certificatePem);
      w.write('id.key', signer.privateKeyPem);
      signature = w
        .openssl([
          'cms',
          '-sign',
          '-binary',
          '-in',
          'body.plist',
          '-signer',
          'id.pem',
          '-inkey',
          'id.key',
          '-outform',
          'DER',
        ])
        .toString('base64');
    } finally {
      w.remove();
    }
    const response = await fetch(this.local(profile.mdm.CheckInURL as string), {
      method: 'PUT',
      headers: {
        'content-type': 'application/x-apple-aspen-mdm-checkin',
        'user-agent': 'MDM/1.0',
        'mdm-signature': signature,
        ...(options.bearer !== false && this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body,
    });
    return { status: response.status, body: await response.text() };
  }

  /** Our URLs carry the public host; the device talks to the local runtime instead. */
  private local(url: string): string {
    const parsed = new URL(url);
    return `${this.server}${parsed.pathname}${parsed.search}`;
  }
}

/** An enrollment request body like a device's: a plist signed (CMS, attached) by a device-like key. */
export function signedEnrollBody(fields: { PRODUCT: string; VERSION: string; LANGUAGE?: string }): Buffer {
  const w = workdir('ade-enrollbody-');
  try {
    w.write('request.plist', buildPlist({ LANGUAGE: 'en-US', ...fields }));
    w.openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      'd.key',
      '-out',
      'd.pem',
      '-subj',
      '/CN=simulated device',
    ]);
    return w.openssl([
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-in',
      'request.plist',
      '-signer',
      'd.pem',
      '-inkey',
      'd.key',
      '-outform',
      'DER',
    ]);
  } finally {
    w.remove();
  }
}

/** The attached content of a CMS SignedData (ContentInfo → SignedData → encapContentInfo → eContent). */
function signedContent(der: Buffer): Buffer {
  interface Asn1Block {
    valueBlock: { value: Asn1Block[] };
    getValue?: () => ArrayBuffer;
  }
  const signedData = parseContentInfo(der).content as Asn1Block;
  const eContent = signedData.valueBlock.value[2]?.valueBlock.value[1]?.valueBlock.value[0];
  if (!eContent?.getValue) throw new Error('the profile has no attached content');
  // A constructed (BER, chunked) OCTET STRING is concatenated by getValue().
  return Buffer.from(eContent.getValue());
}
