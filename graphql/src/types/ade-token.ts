import { type AdeTokenItem, encodeScopedId } from '@ade/core';
import { builder } from '../builder.ts';
import { asPayload, payloadType, UserError, type UserErrorShape } from '../errors.ts';
import type { CostExtensions } from '../limits.ts';
import { nameText } from '../plain-text.ts';
import { AdeTokenRef, NodeRef, PolicyRef } from '../refs.ts';
import { inScope, sameTenantId } from '../scoped.ts';

const DAY_MS = 86_400_000;
/** Apple asks admins to renew before expiry; we warn this long before. */
export const EXPIRING_SOON_DAYS = 30;

const TokenState = builder.enumType('AdeTokenState', {
  values: {
    AWAITING_SERVER_TOKEN: {
      description: 'Upload the certificate to ABM/ASM, then the server token it gives you.',
    },
    ACTIVE: {},
    EXPIRING_SOON: {
      description: `Expires within ${EXPIRING_SOON_DAYS} days: renew it in ABM/ASM and upload the new file.`,
    },
    EXPIRED: { description: 'Apple no longer accepts it: renew it in ABM/ASM and upload the new file.' },
  },
});

function daysLeft(token: AdeTokenItem, now: Date): number | null {
  return token.accessTokenExpiry
    ? Math.floor((Date.parse(token.accessTokenExpiry) - now.getTime()) / DAY_MS)
    : null;
}

AdeTokenRef.implement({
  description:
    'An ABM/ASM MDM server ("ADE token"): our certificate, the server token, what Apple says about it.',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ resolve: (token) => encodeScopedId(token.tenantId, token.tokenId) }),
    name: t.exposeString('name'),
    policy: t.field({
      type: PolicyRef,
      nullable: true,
      description: 'The policy it is directly assigned to.',
      resolve: (token, _args, ctx) =>
        token.policyId
          ? ctx.loaders.policy.load({ tenantId: token.tenantId, policyId: token.policyId })
          : null,
    }),
    certificatePem: t.exposeString('certificatePem', {
      description: 'Upload this to the MDM server in Apple Business/School Manager.',
      extensions: { maxBytes: 2_000 } satisfies CostExtensions, // an RSA-2048 certificate in PEM
    }),
    certificateNotAfter: t.expose('certificateNotAfter', { type: 'DateTime' }),
    state: t.field({
      type: TokenState,
      resolve: (token, _args, ctx) => {
        const left = daysLeft(token, ctx.core.options.now());
        if (left === null) return 'AWAITING_SERVER_TOKEN';
        if (Date.parse(token.accessTokenExpiry!) <= ctx.core.options.now().getTime()) return 'EXPIRED';
        return left < EXPIRING_SOON_DAYS ? 'EXPIRING_SOON' : 'ACTIVE';
      },
    }),
    expiresAt: t.expose('accessTokenExpiry', { type: 'DateTime', nullable: true }),
    daysLeft: t.int({
      nullable: true,
      resolve: (token, _args, ctx) => daysLeft(token, ctx.core.options.now()),
    }),
    serverName: t.exposeString('serverName', { nullable: true }),
    serverUuid: t.exposeString('serverUuid', { nullable: true }),
    organizationName: t.exposeString('orgName', { nullable: true }),
    organizationId: t.exposeString('orgId', { nullable: true }),
    uploadedAt: t.expose('uploadedAt', { type: 'DateTime', nullable: true }),
    lastSyncAt: t.expose('lastSyncAt', { type: 'DateTime', nullable: true }),
    lastSyncError: t.exposeString('lastSyncError', { nullable: true }),
    version: t.exposeInt('version'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const AdeTokenPayload = payloadType('AdeTokenPayload', 'adeToken', AdeTokenRef);
const idInput = (name: string) =>
  builder.inputType(name, { fields: (f) => ({ id: f.id({ required: true }) }) });

builder.mutationFields((t) => ({
  createAdeToken: t.field({
    type: AdeTokenPayload,
    description:
      'Creates an ADE token: a key pair and the certificate (certificatePem) to upload to ABM/ASM.',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('CreateAdeTokenInput', {
          fields: (f) => ({
            tenantId: f.id({ required: true }),
            name: f.string({ required: true, description: nameText() }),
            policyId: f.id({ required: false, description: 'Assign it directly to this policy.' }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(() =>
        ctx.inTenant(String(input.tenantId), async () => ({
          adeToken: await ctx.core.adeTokens.create({
            name: input.name,
            policyId: input.policyId
              ? sameTenantId('policy', String(input.policyId), String(input.tenantId))
              : null,
          }),
        })),
      ),
  }),
  uploadAdeServerToken: t.field({
    type: AdeTokenPayload,
    description:
      'Uploads (or renews with) the server token file (.p7m) downloaded from ABM/ASM for this token.',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('UploadAdeServerTokenInput', {
          fields: (f) => ({
            id: f.id({ required: true }),
            file: f.string({ required: true, description: 'The .p7m file as text.' }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        adeToken: await inScope(ctx, 'adeToken', String(input.id), (id) =>
          ctx.core.adeTokens.upload(id, input.file),
        ),
      })),
  }),
  refreshAdeToken: t.field({
    type: AdeTokenPayload,
    description: 'Reads the server and organisation from Apple again.',
    args: { input: t.arg({ required: true, type: idInput('RefreshAdeTokenInput') }) },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        adeToken: await inScope(ctx, 'adeToken', String(input.id), (id) => ctx.core.adeTokens.refresh(id)),
      })),
  }),
  assignAdeToken: t.field({
    type: AdeTokenPayload,
    description: 'Assigns the token directly to one policy, or to none.',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('AssignAdeTokenInput', {
          fields: (f) => ({
            id: f.id({ required: true }),
            policyId: f.id({
              required: false,
              description: 'The policy; null unassigns the token; left out, nothing changes.',
            }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        adeToken: await inScope(ctx, 'adeToken', String(input.id), (id, tenantId) =>
          ctx.core.adeTokens.assign(
            id,
            input.policyId === undefined
              ? undefined
              : input.policyId === null
                ? null
                : sameTenantId('policy', String(input.policyId), tenantId),
          ),
        ),
      })),
  }),
  deleteAdeToken: t.field({
    type: builder
      .objectRef<{ deletedAdeTokenId?: string; errors: UserErrorShape[] }>('DeleteAdeTokenPayload')
      .implement({
        fields: (p) => ({
          deletedAdeTokenId: p.id({ nullable: true, resolve: (r) => r.deletedAdeTokenId ?? null }),
          errors: p.field({ type: [UserError], resolve: (r) => r.errors }),
        }),
      }),
    args: { input: t.arg({ required: true, type: idInput('DeleteAdeTokenInput') }) },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => {
        const token = await inScope(ctx, 'adeToken', String(input.id), (id) => ctx.core.adeTokens.remove(id));
        return { deletedAdeTokenId: encodeScopedId(token.tenantId, token.tokenId) };
      }),
  }),
}));
