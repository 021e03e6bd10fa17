/** Partners (MSPs): created by the operator, each with a first ADMIN key in the same transaction. */
import * as z from 'zod/mini';
import { type ApiKeyDraft, draftApiKey } from './api-key-secret.ts';
import { auditKeyCreation } from './api-keys.ts';
import { auditPut } from './audit.ts';
import { authorize } from './authz.ts';
import { describeActor, memo, useActor } from './context.ts';
import { partitions } from './entities/common.ts';
import type { AdeService, PartnerItem } from './entities/service.ts';
import { AppError } from './errors.ts';
import { isIdOf, newId, parseId } from './ids.ts';
import { type PageArgs, paginate } from './pagination.ts';
import { commit } from './transaction.ts';
import { nameSchema, parseInput } from './validation.ts';

const createSchema = z.object({ name: nameSchema, firstKeyName: z.optional(nameSchema) });

export function partnerOperations(service: AdeService) {
  const { partner } = service.entities;

  function load(partnerId: string): Promise<PartnerItem | null> {
    return memo(`partner:${partnerId}`, async () => (await partner.get({ partnerId }).go()).data);
  }

  return {
    /** Creates a partner and, unless `firstKeyName` is null, its first ADMIN key (shown once). */
    async create(input: { name: string; firstKeyName?: string | null }) {
      const actor = useActor();
      authorize(actor, 'partner:create', { kind: 'global' });
      const { name, firstKeyName } = parseInput(createSchema, {
        ...input,
        firstKeyName: input.firstKeyName ?? undefined,
      });
      const partnerId = newId('partner');
      const createdBy = describeActor(actor).id;
      let key: ApiKeyDraft | undefined;
      if (input.firstKeyName !== null) {
        key = draftApiKey({
          owner: { kind: 'partner', partnerId },
          name: firstKeyName ?? 'First admin key',
          role: 'ADMIN',
          createdBy,
        });
      }
      await commit(service, (e) => [
        e.partner.create({ partnerId, name, createdBy }).commit(),
        ...(key ? [e.apiKey.create(key.item).commit(), auditKeyCreation(e, key.item)] : []),
        auditPut(e, {
          scope: { partnerId },
          action: 'partner.create',
          targetType: 'Partner',
          targetId: partnerId,
          details: { name, firstKeyId: key?.item.keyId },
        }),
      ]);
      const created = (await partner.get({ partnerId }).go()).data!;
      return { partner: created, apiKey: key?.item, secret: key?.secret };
    },

    async get(partnerId: string): Promise<PartnerItem> {
      parseId('partner', partnerId);
      authorize(useActor(), 'partner:read', { kind: 'partner', partnerId });
      const item = await load(partnerId);
      if (!item) throw AppError.notFound(`Partner ${partnerId}`);
      return item;
    },

    async list(args: PageArgs) {
      authorize(useActor(), 'partner:list', { kind: 'global' });
      return paginate(
        args,
        (item: PartnerItem) => item.partnerId,
        (value) => isIdOf('partner', value),
        async (after, limit) => {
          const query = partner.query.all({});
          const { data } = await (after ? query.gt({ partnerId: after }) : query).go({ limit });
          return data;
        },
      );
    },

    partitionOf: partitions.partner,
  };
}

export type PartnerOperations = ReturnType<typeof partnerOperations>;
