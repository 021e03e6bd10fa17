/**
 * `GET /account` ("Get Account Detail"), mapped to camelCase.
 *
 * Apple's `AccountDetail` object (https://developer.apple.com/documentation/devicemanagement/accountdetail)
 * marks every key optional; several exist only with `X-Server-Protocol-Version` 3 or later (we send 7).
 * We insist only on the keys this product cannot work without: `server_uuid` (the `com.apple.maid` JWT
 * needs it, see Apple "Get Token"), `server_name` and `org_name` (shown to admins). The rest stay optional
 * rather than being invented.
 */
import { protocolError } from './errors';

/** Apple's `Url` object: an endpoint this MDM server may call, with its methods and paging limits. */
export interface AccountUrl {
  uri: string;
  httpMethods: string[];
  limit?: { default?: number; maximum?: number };
}

export interface Account {
  serverName: string;
  serverUuid: string;
  /** The Apple Account of the person who generated the token in use. */
  adminId?: string;
  /** Deprecated predecessor of `adminId`; Apple may stop sending it. */
  facilitatorId?: string;
  orgName: string;
  orgEmail?: string;
  orgPhone?: string;
  orgAddress?: string;
  /** `edu`, `org` (Apple documents these) or `tvprovider` (seen in Apple's schema). */
  orgType?: string;
  /** `v1` (Apple Business Manager / legacy programs) or `v2` (Apple School Manager). */
  orgVersion?: string;
  /** Customer ID. */
  orgId?: string;
  /** Matches `organizationIdHash` in Apple's Client Configuration API. */
  orgIdHash?: string;
  urls: AccountUrl[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (o: Json, key: string): string | undefined => (typeof o[key] === 'string' ? o[key] : undefined);
const num = (o: Json, key: string): number | undefined => (typeof o[key] === 'number' ? o[key] : undefined);

function parseUrl(value: unknown): AccountUrl | undefined {
  if (!isObject(value)) return undefined;
  const uri = str(value, 'uri');
  if (uri === undefined) return undefined;
  const methods = Array.isArray(value.http_method) ? value.http_method : [];
  const url: AccountUrl = { uri, httpMethods: methods.filter((m): m is string => typeof m === 'string') };
  if (isObject(value.limit))
    url.limit = { default: num(value.limit, 'default'), maximum: num(value.limit, 'maximum') };
  return url;
}

const OPERATION = 'GET /account';

export function parseAccount(json: unknown, status: number): Account {
  if (!isObject(json)) throw protocolError(OPERATION, status, 'the account is not a JSON object');
  const need = (key: string): string => {
    const value = str(json, key);
    if (!value) throw protocolError(OPERATION, status, `the account has no "${key}"`);
    return value;
  };
  const urls = Array.isArray(json.urls) ? json.urls.map(parseUrl) : [];
  return {
    serverName: need('server_name'),
    serverUuid: need('server_uuid'),
    adminId: str(json, 'admin_id'),
    facilitatorId: str(json, 'facilitator_id'),
    orgName: need('org_name'),
    orgEmail: str(json, 'org_email'),
    orgPhone: str(json, 'org_phone'),
    orgAddress: str(json, 'org_address'),
    orgType: str(json, 'org_type'),
    orgVersion: str(json, 'org_version'),
    orgId: str(json, 'org_id'),
    orgIdHash: str(json, 'org_id_hash'),
    urls: urls.filter((u): u is AccountUrl => u !== undefined),
  };
}

/** The profile path Apple lists in `urls` for orgs that can use account-driven enrollment discovery
 *  (observed in a DEP client's `/account` fixture; Apple does not promise it). */
export function listsAccountDrivenEnrollment(account: Account): boolean {
  return account.urls.some((u) => u.uri === '/account-driven-enrollment/profile');
}
