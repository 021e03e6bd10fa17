/**
 * ADE tokens (ABM/ASM "MDM servers"). We make the key pair and certificate the admin uploads to
 * ABM; the admin uploads the server token (.p7m) ABM gives back; we decrypt it with our key, keep
 * its OAuth credentials sealed, and read the server and organisation from Apple's /account.
 * Private keys and credentials never leave this module unsealed except to call Apple.
 */
import type { Account, ServerToken } from '@ade/apple';
import { AppleProtocolError } from '@ade/apple/errors';
import { apple } from '../apple.ts';
import { auditPut } from '../audit.ts';
import { describeActor, useActor } from '../context.ts';
import type { AdeService, AdeTokenItem } from '../entities/service.ts';
import { AppError } from '../errors.ts';
import { isIdOf, newId } from '../ids.ts';
import type { CoreOptions } from '../options.ts';
import type { PolicyReads } from '../policies/tree.ts';
import type { SealedSecret } from '../secrets/key-management.ts';
import { authorizeInTenant } from '../tenancy.ts';
import { commit, failedAt } from '../transaction.ts';
import { nameSchema, parseInput } from '../validation.ts';
import { describeAppleFailure } from './apple-errors.ts';

const UNASSIGNED = '-';

export type TokenCredentials = Pick<
  ServerToken,
  'consumerKey' | 'consumerSecret' | 'accessToken' | 'accessSecret'
>;

export function tokenOperations(service: AdeService, policies: PolicyReads, options: CoreOptions) {
  const { adeToken } = service.entities;
  const context = (tenantId: string, tokenId: string, purpose: string) => ({ tenantId, tokenId, purpose });

  async function get(tokenId: string): Promise<AdeTokenItem> {
    const tenantId = authorizeInTenant('ade:read');
    const item = isIdOf('adeToken', tokenId) ? (await adeToken.get({ tenantId, tokenId }).go()).data : null;
    if (!item) throw AppError.notFound(`ADE token ${tokenId}`);
    return item;
  }

  async function list(): Promise<AdeTokenItem[]> {
    const tenantId = authorizeInTenant('ade:read');
    return (await adeToken.query.byTenant({ tenantId }).go({ pages: 'all' })).data;
  }

  async function listForPolicy(policyId: string): Promise<AdeTokenItem[]> {
    const tenantId = authorizeInTenant('ade:read');
    return (await adeToken.query.byPolicy({ tenantId, policyKey: policyId }).go({ pages: 'all' })).data;
  }

  /** The token's OAuth credentials, unsealed for one call to Apple. */
  async function credentials(item: AdeTokenItem): Promise<TokenCredentials> {
    if (!item.sealedCredentials) {
      throw AppError.conflict(
        'TOKEN_NOT_UPLOADED',
        `Upload the server token of "${item.name}" from Apple Business Manager first.`,
      );
    }
    const plain = await options.keys.decrypt(
      item.sealedCredentials as SealedSecret,
      context(item.tenantId, item.tokenId, 'ade-token-credentials'),
    );
    return JSON.parse(plain.toString('utf8'));
  }

  /** Creates a token: a fresh RSA key pair and certificate. Returns the certificate to upload to ABM. */
  async function create(input: { name: string; policyId?: string | null }): Promise<AdeTokenItem> {
    const tenantId = authorizeInTenant('ade:write');
    const name = parseInput(nameSchema, input.name, ['name']);
    const policy = input.policyId ? await policies.get(input.policyId) : undefined;
    const tokenId = newId('adeToken');
    const { generateTokenCertificate } = await apple();
    const certificate = generateTokenCertificate({ commonName: `ADE Cloud ${tokenId}` });
    const sealedPrivateKey = await options.keys.encrypt(
      certificate.privateKeyPem,
      context(tenantId, tokenId, 'ade-token-private-key'),
    );
    await commit(
      service,
      (e) => [
        ...(policy
          ? [e.policy.patch({ tenantId, policyId: policy.policyId }).add({ tokenCount: 1 }).commit()]
          : []),
        e.adeToken
          .create({
            tenantId,
            tokenId,
            name,
            policyId: policy?.policyId,
            policyKey: policy?.policyId ?? UNASSIGNED,
            certificatePem: certificate.certificatePem,
            certificateNotAfter: certificate.notAfter.toISOString(),
            sealedPrivateKey,
            createdBy: describeActor(useActor()).id,
          })
          .commit(),
        auditPut(e, {
          scope: { tenantId },
          action: 'adeToken.create',
          targetType: 'AdeToken',
          targetId: tokenId,
          details: { name, policyId: policy?.policyId },
        }),
      ],
      (codes) => (policy && failedAt(codes, 0) ? AppError.notFound(`Policy ${policy.policyId}`) : undefined),
    );
    return (await adeToken.get({ tenantId, tokenId }).go()).data!;
  }

  /**
   * Uploads (or renews with) the server token file ABM produced for this token's certificate. The
   * file is decrypted with our private key; Apple's /account then names the server and organisation.
   * A renewal must be for the same MDM server. If Apple cannot be reached the credentials are kept
   * and the failure recorded; `refresh` retries the /account call.
   */
  async function upload(tokenId: string, file: string): Promise<AdeTokenItem> {
    const tenantId = authorizeInTenant('ade:write');
    const item = await get(tokenId);
    const privateKeyPem = (
      await options.keys.decrypt(
        item.sealedPrivateKey as SealedSecret,
        context(tenantId, tokenId, 'ade-token-private-key'),
      )
    ).toString('utf8');
    const { decryptServerToken } = await apple();
    let token: ServerToken;
    try {
      token = decryptServerToken(file, { privateKeyPem, certificatePem: item.certificatePem }, options.now());
    } catch (error) {
      if (error instanceof AppleProtocolError) throw tokenFileError(error);
      throw error;
    }
    const { accessTokenExpiry, ...oauth } = token;
    const account = await readAccount(oauth);
    if (account.ok && item.serverUuid && account.value.serverUuid !== item.serverUuid) {
      throw AppError.conflict(
        'TOKEN_FOR_OTHER_SERVER',
        `This server token belongs to the MDM server "${account.value.serverName}", not "${item.serverName}". Upload it to the matching token, or create a new one.`,
      );
    }
    const sealedCredentials = await options.keys.encrypt(
      JSON.stringify(oauth),
      context(tenantId, tokenId, 'ade-token-credentials'),
    );
    const now = options.now().toISOString();
    await commit(
      service,
      (e) => [
        e.adeToken
          .patch({ tenantId, tokenId })
          .set({
            sealedCredentials,
            accessTokenExpiry: accessTokenExpiry.toISOString(),
            uploadedAt: now,
            lastSyncAt: now,
            ...accountFields(account),
          })
          .remove(account.ok ? ['lastSyncError'] : [])
          .add({ version: 1 })
          .where((a, { eq }) => eq(a.version, item.version))
          .commit(),
        auditPut(e, {
          scope: { tenantId },
          action: item.uploadedAt ? 'adeToken.renew' : 'adeToken.upload',
          targetType: 'AdeToken',
          targetId: tokenId,
          details: {
            accessTokenExpiry: accessTokenExpiry.toISOString(),
            serverUuid: account.ok ? account.value.serverUuid : undefined,
          },
          reason: account.ok ? undefined : `Apple /account: ${account.error}`,
        }),
      ],
      (codes) =>
        failedAt(codes, 0) ? AppError.versionMismatch('The ADE token', item.version + 1) : undefined,
    );
    const { lastSyncError: _cleared, ...rest } = item;
    return {
      ...(account.ok ? rest : item),
      sealedCredentials,
      accessTokenExpiry: accessTokenExpiry.toISOString(),
      uploadedAt: now,
      lastSyncAt: now,
      ...accountFields(account),
      version: item.version + 1,
      updatedAt: now,
    };
  }

  /** Reads /account again (after an outage, or to pick up a renamed server). */
  async function refresh(tokenId: string): Promise<AdeTokenItem> {
    const tenantId = authorizeInTenant('ade:write');
    const item = await get(tokenId);
    const account = await readAccount(await credentials(item));
    await commit(service, (e) => [
      e.adeToken
        .patch({ tenantId, tokenId })
        .set({ lastSyncAt: options.now().toISOString(), ...accountFields(account) })
        .remove(account.ok ? ['lastSyncError'] : [])
        .commit(),
      auditPut(e, {
        scope: { tenantId },
        action: 'adeToken.refresh',
        targetType: 'AdeToken',
        targetId: tokenId,
        outcome: account.ok ? 'SUCCESS' : 'FAILURE',
        reason: account.ok ? undefined : `Apple /account: ${account.error}`,
      }),
    ]);
    return get(tokenId);
  }

  async function readAccount(
    oauth: TokenCredentials,
  ): Promise<{ ok: true; value: Account } | { ok: false; error: string }> {
    try {
      return { ok: true, value: await options.deviceAssignment(oauth).account() };
    } catch (error) {
      return { ok: false, error: describeAppleFailure(error).message };
    }
  }

  return { get, list, listForPolicy, credentials, create, upload, refresh, UNASSIGNED };
}

function accountFields(account: { ok: true; value: Account } | { ok: false; error: string }) {
  if (!account.ok) return { lastSyncError: account.error };
  const { serverName, serverUuid, orgName, orgId, orgEmail, adminId } = account.value;
  return { serverName, serverUuid, orgName, orgId, orgEmail, adminId };
}

/** Apple protocol errors of a token file, as typed errors an admin can act on. */
function tokenFileError(error: AppleProtocolError): AppError {
  const codes: Record<string, 'TOKEN_WRONG_KEY' | 'TOKEN_CORRUPTED' | 'TOKEN_EXPIRED' | 'NOT_A_TOKEN'> = {
    TOKEN_WRONG_KEY: 'TOKEN_WRONG_KEY',
    TOKEN_CORRUPTED: 'TOKEN_CORRUPTED',
    TOKEN_EXPIRED: 'TOKEN_EXPIRED',
    NOT_A_TOKEN: 'NOT_A_TOKEN',
  };
  return new AppError('validation', codes[error.code] ?? 'TOKEN_CORRUPTED', error.message, [
    { path: ['file'], message: error.message },
  ]);
}

export type TokenOperations = ReturnType<typeof tokenOperations>;
