/**
 * A simulated Apple device speaking HTTP to the local runtime, as an iPhone or a Mac would: service
 * discovery, the enrollment POST (a CMS-signed plist), the web-authentication session, the profile,
 * then check-ins signed with the identity from the profile's PKCS#12, and the command channel: `connect()`
 * polls ServerURL and answers commands (device-commands.ts), running a Declarative Management sync over
 * check-ins when told to (device-ddm.ts); `onPush()` is what an APNs notification triggers. Signatures
 * are made by the openssl CLI, independent of the server's code.
 */
import { buildPlist, type PlistDict, parsePlistDict, readPkcs12 } from '@ade/apple';
import { assertProfileMatchesSchema } from '@ade/apple/schema/payload-schema';
import { workdir } from '@ade/apple/testing/tools';
import {
  type CommandExchange,
  type CommandOutcome,
  type CommandPolicy,
  carryOut,
  type InstalledProfile,
  readCommand,
} from './device-commands.ts';
import { openSignedProfile, signDetached, signedContent } from './device-crypto.ts';
import { type DdmSyncResult, DeclarativeDevice } from './device-ddm.ts';

export type {
  CommandAnswer,
  CommandExchange,
  CommandPolicy,
  InstalledProfile,
  ReceivedCommand,
} from './device-commands.ts';
export type { DdmSyncResult, HeldDeclaration } from './device-ddm.ts';

export interface DeviceProfile {
  xml: string;
  mdm: Record<string, unknown>;
  identity: { certificatePem: string; privateKeyPem: string };
  signerSubject: string;
  /** Certificates the signed profile carried (signer and chain); empty when signatures are not checked. */
  signerCertificatePems: string[];
}

/** What an APNs MDM notification tells the device (the fake APNs passes it to `onPush`). */
export interface PushNotification {
  /** Device token, hex. */
  token: string;
  pushMagic: string;
  topic: string;
}

export interface ConnectOptions {
  /** Overrides `commandPolicy` for this session. */
  policy?: CommandPolicy;
  /** Send `Authorization: Bearer`; default: as the last check-in did (macOS device channel goes without). */
  bearer?: boolean;
}

export interface ConnectResult {
  /** The last HTTP status: 200 when the server ended the session with an empty body. */
  status: number;
  /** The last response body (empty on success; the refusal otherwise). */
  body: string;
  exchanges: CommandExchange[];
  /** Set when an acknowledged DeclarativeManagement command made the device sync. */
  ddm?: DdmSyncResult;
}

/** A server that keeps sending commands after this many answers is looping (e.g. re-sending a NotNow one). */
const MAX_COMMANDS_PER_SESSION = 100;

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
  /** How the device names itself on the channel: from its accepted Authenticate/TokenUpdate (or set it). */
  ids: { UDID: string } | { EnrollmentID: string } | null = null;
  /** From the last accepted TokenUpdate: the APNs token (hex) and PushMagic the server must push with. */
  pushToken: string | null = null;
  pushMagic: string | null = null;
  /** How the device answers commands; default: carry every command out. */
  commandPolicy: CommandPolicy = () => 'Acknowledged';
  /** Profiles installed by InstallProfile, by top-level PayloadIdentifier (the enrollment profile is not listed). */
  readonly installedProfiles = new Map<string, InstalledProfile>();
  /** Every command received and the answer given, across sessions. */
  readonly commandLog: CommandExchange[] = [];
  /** Pushes received: accepted ones led to a session. */
  readonly pushLog: Array<PushNotification & { accepted: boolean }> = [];
  readonly ddm = new DeclarativeDevice();
  private lastBearer = true;
  private sessions: Promise<unknown> = Promise.resolve();
  private queuedPush: Promise<ConnectResult> | null = null;

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
      return this.openProfile(xml, '', []);
    }
    // The signature must verify (trusting the chain the profile itself carries) and yield the plist. Its
    // certificates are then the tenant's: later InstallProfile payloads must be signed within that chain.
    const opened = openSignedProfile(der);
    return this.openProfile(opened.content.toString('utf8'), opened.signerSubject, opened.certificatePems);
  }

  /** Checks the profile's plist against Apple's schema and opens the identity. */
  private openProfile(xml: string, signerSubject: string, signerCertificatePems: string[]): DeviceProfile {
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
      signerCertificatePems,
    };
    return this.profile;
  }

  /**
   * PUT CheckInURL, signed (Mdm-Signature: detached CMS by openssl) with the profile's identity. An accepted
   * Authenticate or TokenUpdate teaches the device its ids and push token for `connect()` and `onPush()`.
   */
  async checkIn(
    message: Record<string, unknown>,
    options: { bearer?: boolean; signWith?: { certificatePem: string; privateKeyPem: string } } = {},
  ) {
    const profile = this.profile!;
    const body = Buffer.from(buildPlist(message as never));
    const bearer = options.bearer !== false;
    // A device knows its own push token: a push may arrive before the server has answered the TokenUpdate.
    if (message.MessageType === 'TokenUpdate' && message.Token instanceof Uint8Array) {
      this.pushToken = Buffer.from(message.Token).toString('hex');
      this.pushMagic = typeof message.PushMagic === 'string' ? message.PushMagic : null;
    }
    const response = await this.put(
      profile.mdm.CheckInURL as string,
      'application/x-apple-aspen-mdm-checkin',
      body,
      bearer,
      options.signWith,
    );
    if (response.status === 200) this.learn(message, bearer);
    return response;
  }

  /**
   * One command-channel session (docs/protocol/mdm.md#the-command-channel): PUT ServerURL `{ids, Status: Idle}`, then answer each command
   * the server returns until it returns an empty 200. Sessions never overlap: a call waits for the one
   * running. After acknowledging a DeclarativeManagement command the device syncs its declarations.
   */
  connect(options: ConnectOptions = {}): Promise<ConnectResult> {
    const session = this.sessions.then(() => this.session(options));
    this.sessions = session.catch(() => undefined);
    return session;
  }

  /** What an APNs notification does: one more session; pushes while one is waiting share it. */
  handlePush(): Promise<ConnectResult> {
    if (this.queuedPush) return this.queuedPush;
    const session = this.sessions.then(() => {
      this.queuedPush = null;
      return this.session({});
    });
    this.queuedPush = session;
    this.sessions = session.catch(() => undefined);
    return session;
  }

  /**
   * The callback for a fake APNs: a notification for this device's token, with its PushMagic and Topic,
   * starts a session (resolves with it); any other is ignored like a device would (resolves null).
   */
  readonly onPush = (push: PushNotification): Promise<ConnectResult | null> => {
    const accepted =
      this.pushToken !== null &&
      push.token.toLowerCase() === this.pushToken &&
      push.pushMagic === this.pushMagic &&
      push.topic === this.profile?.mdm.Topic;
    this.pushLog.push({ ...push, accepted });
    return accepted ? this.handlePush() : Promise.resolve(null);
  };

  /** Declarations held after DDM syncs, by Identifier (with the status last reported). */
  get declarations() {
    return this.ddm.declarations;
  }

  private async session(options: ConnectOptions): Promise<ConnectResult> {
    const profile = this.profile;
    const ids = this.ids;
    if (!profile || !ids) throw new Error('connect() needs an accepted profile and an accepted Authenticate');
    const policy = options.policy ?? this.commandPolicy;
    const bearer = options.bearer ?? this.lastBearer;
    const exchanges: CommandExchange[] = [];
    let syncRequested = false;
    let answer: PlistDict = { ...ids, Status: 'Idle' };
    for (;;) {
      const response = await this.put(
        profile.mdm.ServerURL as string,
        'application/x-apple-aspen-mdm',
        Buffer.from(buildPlist(answer)),
        bearer,
      );
      if (response.status !== 200 || response.body.trim() === '') {
        const result: ConnectResult = { ...response, exchanges };
        if (response.status === 200 && syncRequested) result.ddm = await this.syncDeclarations(bearer);
        return result;
      }
      if (exchanges.length >= MAX_COMMANDS_PER_SESSION)
        throw new Error(`the server sent more than ${MAX_COMMANDS_PER_SESSION} commands in one session`);
      const outcome = await this.answer(Buffer.from(response.body), policy);
      exchanges.push(outcome.exchange);
      this.commandLog.push(outcome.exchange);
      syncRequested ||= outcome.declarativeSync !== undefined;
      const { commandUuid, status, errorChain } = outcome.exchange;
      answer = {
        ...ids,
        CommandUUID: commandUuid,
        Status: status,
        ...(errorChain ? { ErrorChain: errorChain as unknown as PlistDict[] } : {}),
      };
    }
  }

  /** Reads a command, asks the policy, carries it out when the answer is Acknowledged. */
  private async answer(
    body: Buffer,
    policy: CommandPolicy,
  ): Promise<{ exchange: CommandExchange; declarativeSync?: CommandOutcome['declarativeSync'] }> {
    const { received, formatError } = readCommand(body);
    if (formatError) return { exchange: { ...received, status: 'CommandFormatError' } };
    const decision = await policy(received);
    if (typeof decision === 'object')
      return { exchange: { ...received, status: 'Error', errorChain: decision.error } };
    if (decision !== 'Acknowledged') return { exchange: { ...received, status: decision } };
    const outcome = carryOut(received, {
      trustPems:
        this.options.verifyProfileSignature === false ? undefined : this.profile!.signerCertificatePems,
      userEnrollment: this.profile!.mdm.EnrollmentMode === 'BYOD',
      installedProfiles: this.installedProfiles,
    });
    const exchange: CommandExchange = { ...received, status: outcome.status };
    if (outcome.errorChain) exchange.errorChain = outcome.errorChain;
    return { exchange, declarativeSync: outcome.declarativeSync };
  }

  private syncDeclarations(bearer: boolean): Promise<DdmSyncResult> {
    return this.ddm.sync(async (endpoint, data) =>
      this.checkIn(
        {
          MessageType: 'DeclarativeManagement',
          ...this.ids,
          Endpoint: endpoint,
          ...(data ? { Data: data } : {}),
        },
        { bearer },
      ),
    );
  }

  /** Remembers ids, push token and bearer use from an accepted check-in. */
  private learn(message: Record<string, unknown>, bearer: boolean): void {
    this.lastBearer = bearer;
    if (message.MessageType !== 'Authenticate' && message.MessageType !== 'TokenUpdate') return;
    if (typeof message.EnrollmentID === 'string') this.ids = { EnrollmentID: message.EnrollmentID };
    else if (typeof message.UDID === 'string') this.ids = { UDID: message.UDID };
    if (message.MessageType === 'TokenUpdate' && message.Token instanceof Uint8Array) {
      this.pushToken = Buffer.from(message.Token).toString('hex');
      this.pushMagic = typeof message.PushMagic === 'string' ? message.PushMagic : null;
    }
  }

  /** PUT a body signed with the profile's identity (or `signWith`), bearer token if asked and known. */
  private async put(
    url: string,
    contentType: string,
    body: Buffer,
    bearer: boolean,
    signWith?: { certificatePem: string; privateKeyPem: string },
  ): Promise<{ status: number; body: string }> {
    const response = await fetch(this.local(url), {
      method: 'PUT',
      headers: {
        'content-type': contentType,
        'user-agent': 'MDM/1.0',
        'mdm-signature': signDetached(body, signWith ?? this.profile!.identity),
        ...(bearer && this.token ? { authorization: `Bearer ${this.token}` } : {}),
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
