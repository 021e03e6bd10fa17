/**
 * Operator keys: the only way one is made. An operator key creates partners and reads and revokes
 * operator keys through the API, but no API path creates one — so a stolen operator key cannot leave
 * copies of itself behind, and every operator key there is was made here, by someone with write
 * access to the table. The creation is audited in the operator's events (`operator { auditEvents }`),
 * with who ran the script (user@host) as the actor; `operator { apiKeys }` lists every operator key.
 *
 *   pnpm bootstrap:operator --name "Ops: Alice"                    # the stack `pnpm dev` is running
 *   npx sst shell --stage production -- pnpm bootstrap:operator --name "Ops: Alice" --region eu-west-1
 *   pnpm bootstrap:operator --name "Ops: Alice" --table ade-production --region eu-west-1
 *   … --role READ_ONLY                                             # default ADMIN
 *   … --endpoint http://127.0.0.1:8000 --table t                   # any other DynamoDB (Local)
 *   … --json                                                       # machine-readable output
 *
 * The table is chosen as for bootstrap-partner.ts (table-target.ts). The key is printed once.
 */
import { hostname, userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Core, createCore, createDatabase, encodeKeyId, type Role, runAs } from '@ade/core';
import { tableOptions, tableTarget } from './table-target.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Who ran the script, as the audit event's actor. */
export function scriptActorName(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep $USER
  }
  return `bootstrap-operator (${user}@${hostname()})`;
}

export async function bootstrapOperator(core: Core, name: string, role: Role = 'ADMIN') {
  const created = await runAs({ kind: 'system', role: 'ADMIN', name: scriptActorName() }, () =>
    core.apiKeys.create({ kind: 'operator' }, { name, role }),
  );
  return { keyId: encodeKeyId(created.item), name: created.item.name, role, apiKey: created.secret };
}

async function main() {
  const { values } = parseArgs({
    options: { name: { type: 'string' }, role: { type: 'string', default: 'ADMIN' }, ...tableOptions },
  });
  if (!values.name || (values.role !== 'ADMIN' && values.role !== 'READ_ONLY'))
    throw new Error(
      'Usage: pnpm bootstrap:operator --name "Ops: Alice" [--role ADMIN|READ_ONLY] [--table T [--region R] [--endpoint URL]] [--json]',
    );
  const target = tableTarget(values);
  const db = createDatabase(target);
  const result = await bootstrapOperator(createCore(db), values.name, values.role);
  db.client.destroy();
  if (values.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(
      `Operator key "${result.name}" (${result.keyId}, ${result.role}) created in ${target.tableName}.`,
    );
    console.log(`The key — shown once, store it now:\n\n  ${result.apiKey}\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
