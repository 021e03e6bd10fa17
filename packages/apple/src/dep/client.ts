/**
 * Client for the parts of Apple's Device Assignment API (https://mdmenrollment.apple.com) that
 * account-driven enrollment needs: the account, and the Account-Driven Enrollment service discovery
 * profile (Apple: "Assign / Fetch / Remove Account-Driven Enrollment Service Discovery", Device Assignment
 * Services 5.1+). Authentication and session renewal live in `session.ts`.
 */
import { type Account, parseAccount } from './account';
import { DeviceAssignmentError, protocolError } from './errors';
import type { ServerTokenCredentials } from './oauth1';
import { type DepResponse, DepSession, parseJson } from './session';

export const DEFAULT_BASE_URL = 'https://mdmenrollment.apple.com';
/** `X-Server-Protocol-Version` we speak. It governs which keys Apple returns (`org_id`, `urls` need ≥ 3;
 *  `device_family` ≥ 2; iPadOS as its own `os` ≥ 7). nanodep's transport defaults to 3; we send 7. */
export const DEFAULT_PROTOCOL_VERSION = 7;
const DEFAULT_TIMEOUT_MS = 30_000;

const PROFILE_PATH = '/account-driven-enrollment/profile';

/** What Apple stores for account-driven enrollment discovery (`GetAccountDrivenEnrollmentProfileResponse`). */
export interface AccountDrivenEnrollmentProfile {
  /** `mdm_service_discovery_url`: where ABM/ASM sends devices whose `.well-known` lookup failed. */
  url: string;
  /** `last_updated_timestamp`, as Apple sends it (an ISO 8601 string). */
  lastUpdated: string;
}

export interface DeviceAssignmentApi {
  account(): Promise<Account>;
  /** Registers (or replaces) the service discovery URL; Apple requires https. */
  assignAccountDrivenEnrollmentProfile(url: string): Promise<void>;
  /** The registered URL, or `null` when none is registered (Apple answers 404 `NOT_FOUND`). */
  fetchAccountDrivenEnrollmentProfile(): Promise<AccountDrivenEnrollmentProfile | null>;
  removeAccountDrivenEnrollmentProfile(): Promise<void>;
}

export interface DeviceAssignmentClientOptions {
  /** Defaults to `https://mdmenrollment.apple.com`. */
  baseUrl?: string;
  /** The four OAuth values from the decrypted server token. */
  credentials: ServerTokenCredentials;
  /** Sent on every request; Apple rejects requests without one (`USER_AGENT_MISSING`). */
  userAgent: string;
  fetch?: typeof fetch;
  /** Clock for `oauth_timestamp`. */
  now?: () => Date;
  /** Nonce source for `/session`; only tests should set this. */
  nonce?: () => string;
  /** Per request, covering connect, headers and body. Default 30 s. */
  timeoutMs?: number;
  protocolVersion?: number;
}

export class DeviceAssignmentClient implements DeviceAssignmentApi {
  readonly #session: DepSession;

  constructor(options: DeviceAssignmentClientOptions) {
    if (!options.userAgent.trim()) throw new TypeError('DeviceAssignmentClient needs a non-empty userAgent');
    this.#session = new DepSession({
      baseUrl: (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, ''),
      credentials: options.credentials,
      userAgent: options.userAgent,
      fetch: options.fetch ?? globalThis.fetch,
      now: options.now ?? (() => new Date()),
      nonce: options.nonce,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      protocolVersion: options.protocolVersion ?? DEFAULT_PROTOCOL_VERSION,
    });
  }

  async account(): Promise<Account> {
    const res = await this.#session.call('GET', '/account');
    return parseAccount(parseJson('GET /account', res), res.status);
  }

  async assignAccountDrivenEnrollmentProfile(url: string): Promise<void> {
    // Apple validates the URL (MDM_SERVICE_DISCOVERY_URL_REQUIRED / _NOT_VALID); we pass it through unchanged
    // so that Apple's verdict, not a guess of ours, is what the admin sees.
    await this.#session.call('POST', PROFILE_PATH, { mdm_service_discovery_url: url });
  }

  async fetchAccountDrivenEnrollmentProfile(): Promise<AccountDrivenEnrollmentProfile | null> {
    const operation = `GET ${PROFILE_PATH}`;
    let res: DepResponse;
    try {
      res = await this.#session.call('GET', PROFILE_PATH);
    } catch (error) {
      if (error instanceof DeviceAssignmentError && error.status === 404 && error.code === 'NOT_FOUND')
        return null;
      throw error;
    }
    const json = parseJson(operation, res);
    const url = json.mdm_service_discovery_url;
    const lastUpdated = json.last_updated_timestamp;
    if (typeof url !== 'string' || typeof lastUpdated !== 'string') {
      throw protocolError(operation, res.status, 'no mdm_service_discovery_url or last_updated_timestamp');
    }
    return { url, lastUpdated };
  }

  async removeAccountDrivenEnrollmentProfile(): Promise<void> {
    await this.#session.call('DELETE', PROFILE_PATH);
  }
}
