/** Apple's services for tests: the fake Device Assignment API, and server token files made by openssl. */
import { workdir } from '@ade/apple/testing/tools';
import { afterAll, beforeAll } from 'vitest';
import {
  FakeDeviceAssignment,
  type FakeMdmServer,
  sampleAccountJson,
} from '../fakes/apple-device-assignment.ts';

export function useFakeApple(): () => FakeDeviceAssignment {
  let fake: FakeDeviceAssignment | undefined;
  beforeAll(async () => {
    fake = await FakeDeviceAssignment.start();
  });
  afterAll(() => fake?.close());
  return () => {
    if (!fake) throw new Error('fake Apple not started');
    return fake;
  };
}

export interface IssuedToken {
  /** The .p7m file ABM would offer for download, as text. */
  file: string;
  server: FakeMdmServer;
}

let counter = 0;

/**
 * What ABM does when an admin downloads a server token: makes OAuth credentials for an MDM server
 * (registered with the fake, so Apple "knows" them) and encrypts them to the uploaded certificate —
 * here with `openssl cms -encrypt`, independent of our code.
 */
export function issueServerToken(
  fake: FakeDeviceAssignment,
  certificatePem: string,
  options: {
    expiry?: Date;
    serverName?: string;
    serverUuid?: string;
    accountDrivenEnrollment?: boolean;
  } = {},
): IssuedToken {
  const n = `${process.pid}${++counter}${Math.random().toString(36).slice(2, 8)}`;
  const token = {
    consumerKey: `CK_${n}`,
    consumerSecret: `CS_${n}`,
    accessToken: `AT_${n}`,
    accessSecret: `AS_${n}`,
    accessTokenExpiry: options.expiry ?? new Date(Date.now() + 365 * 86_400_000),
  };
  const server = fake.addServer({
    token,
    account: sampleAccountJson({
      server_name: options.serverName ?? `MDM server ${n}`,
      server_uuid: options.serverUuid ?? `uuid-${n}`,
      org_name: 'Example Organisation',
    }),
    accountDrivenEnrollment: options.accountDrivenEnrollment ?? true,
  });
  const json = JSON.stringify({
    consumer_key: token.consumerKey,
    consumer_secret: token.consumerSecret,
    access_token: token.accessToken,
    access_secret: token.accessSecret,
    access_token_expiry: token.accessTokenExpiry.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  return { file: encryptTo(certificatePem, json), server };
}

/** The S/MIME EnvelopedData Apple sends, wrapping `json` as ABM does (text/plain, MESSAGE frame). */
export function encryptTo(certificatePem: string, json: string): string {
  const w = workdir('ade-token-');
  try {
    w.write('recipient.pem', certificatePem);
    w.write(
      'inner.txt',
      `Content-Type: text/plain;charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n-----BEGIN MESSAGE-----\r\n${json}\r\n-----END MESSAGE-----\r\n`,
    );
    w.openssl([
      'cms',
      '-encrypt',
      '-aes256',
      '-binary',
      '-in',
      'inner.txt',
      '-out',
      'token.p7m',
      'recipient.pem',
    ]);
    return w.read('token.p7m').toString('utf8');
  } finally {
    w.remove();
  }
}

/** An APNs MDM push certificate like the portal's (topic in the subject UID), made by openssl. */
export function makePushCertificate(): { certificatePem: string; privateKeyPem: string; topic: string } {
  const topic = `com.apple.mgmt.External.${crypto.randomUUID()}`;
  const w = workdir('ade-push-');
  try {
    w.openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '365',
      '-keyout',
      'push.key',
      '-out',
      'push.pem',
      '-subj',
      `/UID=${topic}/CN=APSP:${topic.slice(24)}/C=US`,
    ]);
    return {
      certificatePem: w.read('push.pem').toString(),
      privateKeyPem: w.read('push.key').toString(),
      topic,
    };
  } finally {
    w.remove();
  }
}
