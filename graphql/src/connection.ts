/**
 * Relay connections over core's keyset pages. Only forward paging (`first`/`after`) exists: it is
 * what DynamoDB does efficiently, and `first` is capped at 100 by core.
 */
import type { Page } from '@ade/core';
import type { ObjectRef } from '@pothos/core';
import { builder, type Types } from './builder.ts';

export interface ConnectionShape<T> {
  page: Page<T>;
  /** Present only where counting is free (a counter kept on a parent item). */
  totalCount?: () => Promise<number>;
}

export const PageInfo = builder
  .objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo')
  .implement({
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage'),
      hasPreviousPage: t.boolean({
        resolve: () => false,
        description: 'Always false: paging is forward only.',
      }),
      endCursor: t.exposeString('endCursor', { nullable: true }),
    }),
  });

export function connectionType<T>(name: string, node: ObjectRef<Types, T>, withTotalCount = false) {
  const edge = builder.objectRef<{ cursor: string; node: T }>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: node, resolve: (e) => e.node as never }),
    }),
  });
  return builder.objectRef<ConnectionShape<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      edges: t.field({
        type: [edge],
        resolve: ({ page }) => page.items.map((item) => ({ cursor: page.cursorOf(item), node: item })),
      }),
      nodes: t.field({ type: [node], resolve: ({ page }) => page.items as never }),
      pageInfo: t.field({
        type: PageInfo,
        resolve: ({ page }) => ({ hasNextPage: page.hasNextPage, endCursor: page.endCursor }),
      }),
      ...(withTotalCount
        ? { totalCount: t.int({ nullable: true, resolve: (c) => (c.totalCount ? c.totalCount() : null) }) }
        : {}),
    }),
  });
}

/** The arguments of every connection field. */
export const pageArgs = builder.args((t) => ({
  first: t.int({ required: false, description: 'Page size, 1–100 (default 20).' }),
  after: t.string({ required: false, description: 'The endCursor of the previous page.' }),
}));
