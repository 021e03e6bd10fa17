/**
 * GraphQL Code Generator (`pnpm codegen`): the typed client in graphql/client/ from the committed
 * schema and the example operations. Every operation becomes a TypedDocumentNode (`ViewerDocument`)
 * with its result and variable types (`ViewerQuery`, `ViewerQueryVariables`); scripts send them with
 * any client (scripts/examples/graphql-client.ts uses fetch). test/repo/codegen.test.ts runs this
 * same config in memory and fails when the committed files differ.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'graphql/schema.graphql',
  documents: 'graphql/operations/*.graphql',
  generates: {
    'graphql/client/': {
      preset: 'client',
      // No fragments to mask: the operations are whole documents for scripts, not UI components.
      presetConfig: { fragmentMasking: false },
      config: {
        // Our tsconfig's verbatimModuleSyntax and `.ts` import specifiers.
        useTypeImports: true,
        importExtension: '.ts',
        // Every custom scalar must be mapped here, so a new one cannot silently become `any`.
        strictScalars: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
};

export default config;
