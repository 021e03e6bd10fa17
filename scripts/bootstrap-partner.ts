/**
 * Operator bootstrap: creates a partner (MSP) and its first ADMIN key directly in the table — the
 * way the very first partner of a new deployment is made, before any operator key exists.
 *
 *   pnpm bootstrap:partner --name "Acme MSP"                      # the stack `pnpm dev` is running
 *   npx sst shell --stage production -- pnpm bootstrap:partner --name "Acme MSP" --region eu-west-1
 *   pnpm bootstrap:partner --name "Acme MSP" --table ade-production --region eu-west-1
 *   … --endpoint http://127.0.0.1:8000 --table t                  # any other DynamoDB (Local)
 *   … --json                                                      # machine-readable output
 *
 * Without --table it takes the deployed table from `sst shell` (SST_RESOURCE_Table), else the
 * running local stack from .data/dev-credentials.json (table-target.ts). Against AWS it uses the
 * usual credential chain (AWS_PROFILE, …). The key is printed once and stored hashed; its creation
 * is in the partner's auditEvents. An operator key comes from bootstrap-operator.ts.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Core, createCore, createDatabase, runAs } from '@ade/core';
import { tableOptions, tableTarget } from './table-target.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export async function bootstrapPartner(core: Core, name: string, keyName = 'Bootstrap admin key') {
  const created = await runAs({ kind: 'system', role: 'ADMIN', name: 'bootstrap-partner' }, () =>
    core.partners.create({ name, firstKeyName: keyName }),
  );
  return { partnerId: created.partner.partnerId, name: created.partner.name, apiKey: created.secret! };
}

async function main() {
  const { values } = parseArgs({
    options: { name: { type: 'string' }, 'key-name': { type: 'string' }, ...tableOptions },
  });
  if (!values.name)
    throw new Error(
      'Usage: pnpm bootstrap:partner --name "Acme MSP" [--table T [--region R] [--endpoint URL]] [--json]',
    );
  const target = tableTarget(values);
  const db = createDatabase(target);
  const result = await bootstrapPartner(createCore(db), values.name, values['key-name']);
  db.client.destroy();
  if (values.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(`Partner ${result.name} (${result.partnerId}) created in ${target.tableName}.`);
    console.log(`Its ADMIN key — shown once, store it now:\n\n  ${result.apiKey}\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
