/**
 * Seals the secrets that data written before payload secrets were sealed still holds in clear
 * (docs/payload-secrets.md#migrating-existing-data): a payload item's secret values (by Apple's schema,
 * the catalogue) move out of `settingsJson` into `sealedSecrets`, and a queued InstallProfile whose
 * profile carries one gets its signed profile sealed (`sealedProfile`) in place of its clear `body`.
 * Nothing else changes: versions, deployments and the queue's order stay as they are, so devices
 * notice nothing.
 *
 *   pnpm migrate:payload-secrets --dry-run           # the stack `pnpm dev` runs: what would change
 *   pnpm migrate:payload-secrets                     # … and change it
 *   npx sst shell --stage production -- pnpm migrate:payload-secrets --region eu-west-1
 *   pnpm migrate:payload-secrets --table T [--region R] [--endpoint URL] [--start CURSOR] [--json]
 *
 * Safe to run again and to stop anywhere: an item already converted has nothing left to seal, and
 * each write is conditional on the item being as it was read (an item changed meanwhile is counted
 * and left; the next run takes it). It prints a cursor after every page; `--start` resumes there.
 * The secrets are sealed with the stage's own key: ADE_KMS_KEY_ID as the functions have it (inside
 * `sst shell` it is set), or ADE_LOCAL_KEY_FILE; against the local stack, its `.data/master.key`.
 * Values are never printed: only ids and counts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { separateSecrets } from '@ade/apple/catalog/index';
import { parsePlistDict } from '@ade/apple/plist';
import { readSignedData } from '@ade/apple/signed-data-reader';
import { createDatabase, type Database } from '@ade/core';
import {
  openSecrets,
  payloadProfileContext,
  type SecretValue,
  sealSecrets,
} from '@ade/core/payloads/secret-values';
import { type KeyManagement, keyManagementFromEnv } from '@ade/core/secrets/index';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

type RawItem = Record<string, unknown>;

export interface MigrationOptions {
  /** Count and list what would change; write nothing, seal nothing. */
  dryRun?: boolean;
  /** Resume after this cursor (as printed after a page). */
  start?: string;
  /** Items read per Scan page (before the filter). */
  pageSize?: number;
  /** Called after every page with the cursor to resume from (null: the table is done). */
  onPage?: (progress: MigrationReport) => void;
}

export interface MigrationReport {
  scanned: number;
  /** Payload items: sealed now (or would be, in a dry run), already clean, changed while we worked. */
  payloads: { sealed: string[]; clean: number; changed: string[] };
  /** Queued InstallProfile commands, likewise (`<deviceId>/<commandId>`). */
  commands: { sealed: string[]; clean: number; changed: string[] };
  cursor: string | null;
}

export async function migratePayloadSecrets(
  db: Database,
  keys: KeyManagement,
  options: MigrationOptions = {},
): Promise<MigrationReport> {
  const report: MigrationReport = {
    scanned: 0,
    payloads: { sealed: [], clean: 0, changed: [] },
    commands: { sealed: [], clean: 0, changed: [] },
    cursor: options.start ?? null,
  };
  do {
    const page = await db.document.send(
      new ScanCommand({
        TableName: db.tableName,
        Limit: options.pageSize ?? 200,
        // ElectroDB names each item's entity in __edb_e__.
        FilterExpression: '#entity IN (:payload, :command)',
        ExpressionAttributeNames: { '#entity': '__edb_e__' },
        ExpressionAttributeValues: { ':payload': 'payload', ':command': 'command' },
        ...(report.cursor ? { ExclusiveStartKey: decodeCursor(report.cursor) } : {}),
      }),
    );
    report.scanned += page.ScannedCount ?? 0;
    for (const item of page.Items ?? []) {
      if (item.__edb_e__ === 'payload') await migratePayload(db, keys, item, report, options.dryRun);
      else await migrateCommand(db, keys, item, report, options.dryRun);
    }
    report.cursor = page.LastEvaluatedKey ? encodeCursor(page.LastEvaluatedKey) : null;
    options.onPage?.(report);
  } while (report.cursor);
  return report;
}

/** A payload item with secret values in its settings: they are sealed (with any it already had sealed). */
async function migratePayload(
  db: Database,
  keys: KeyManagement,
  item: RawItem,
  report: MigrationReport,
  dryRun = false,
) {
  const settingsJson = String(item.settingsJson);
  const kind = item.kind === 'DECLARATION' ? 'DECLARATION' : 'PROFILE';
  const { clear, secrets } = separateSecrets(kind, String(item.payloadType), JSON.parse(settingsJson));
  const id = String(item.payloadId);
  if (!secrets.length) {
    report.payloads.clean++;
    return;
  }
  if (dryRun) {
    report.payloads.sealed.push(id);
    return;
  }
  const ref = { tenantId: String(item.tenantId), payloadId: id, version: Number(item.version) };
  const already = await openSecrets(keys, { ...ref, sealedSecrets: item.sealedSecrets });
  const all = mergeByPath(already, secrets);
  const sealed = (await sealSecrets(keys, ref, all))!;
  const written = await conditionalUpdate(db, item, {
    UpdateExpression: 'SET settingsJson = :clear, secretPaths = :paths, sealedSecrets = :sealed',
    ConditionExpression: 'settingsJson = :old AND #version = :version',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: {
      ':clear': JSON.stringify(clear),
      ':paths': sealed.secretPaths,
      ':sealed': sealed.sealedSecrets,
      ':old': settingsJson,
      ':version': ref.version,
    },
  });
  (written ? report.payloads.sealed : report.payloads.changed).push(id);
}

/** A queued InstallProfile whose signed profile carries a secret value: the profile is sealed, the body goes. */
async function migrateCommand(
  db: Database,
  keys: KeyManagement,
  item: RawItem,
  report: MigrationReport,
  dryRun = false,
) {
  const id = `${item.deviceId}/${item.commandId}`;
  if (item.requestType !== 'InstallProfile' || typeof item.body !== 'string') {
    report.commands.clean++;
    return;
  }
  const profile = profileOf(item.body);
  if (!carriesSecrets(profile)) {
    report.commands.clean++;
    return;
  }
  if (typeof item.payloadId !== 'string' || typeof item.payloadVersion !== 'number')
    throw new Error(`Command ${id} carries a secret but names no payload version to bind it to.`);
  if (dryRun) {
    report.commands.sealed.push(id);
    return;
  }
  const sealedProfile = await keys.encrypt(
    profile,
    payloadProfileContext({
      tenantId: String(item.tenantId),
      payloadId: item.payloadId,
      version: item.payloadVersion,
    }),
  );
  const written = await conditionalUpdate(db, item, {
    UpdateExpression: 'SET sealedProfile = :sealed REMOVE body',
    ConditionExpression: 'body = :old',
    ExpressionAttributeValues: { ':sealed': sealedProfile, ':old': item.body },
  });
  (written ? report.commands.sealed : report.commands.changed).push(id);
}

/** The signed profile inside a stored InstallProfile body (base64 of the command plist). */
function profileOf(body: string): Uint8Array {
  const command = parsePlistDict(Buffer.from(body, 'base64')).Command as Record<string, unknown> | undefined;
  const payload = command?.Payload;
  if (!(payload instanceof Uint8Array)) throw new Error('An InstallProfile body without its Payload data.');
  return payload;
}

/** Whether any payload of the profile holds a value of a secret key (the profile is signed, not encrypted). */
function carriesSecrets(signedProfile: Uint8Array): boolean {
  const content = readSignedData(signedProfile).content;
  if (!content) throw new Error('A queued profile without attached content.');
  const items = parsePlistDict(Buffer.from(content)).PayloadContent;
  return (Array.isArray(items) ? items : []).some(
    (p) =>
      typeof p === 'object' &&
      p !== null &&
      !(p instanceof Uint8Array) &&
      !(p instanceof Date) &&
      !Array.isArray(p) &&
      separateSecrets('PROFILE', String(p.PayloadType), p as Record<string, unknown>).secrets.length > 0,
  );
}

function mergeByPath(older: SecretValue[], newer: SecretValue[]): SecretValue[] {
  const key = (s: SecretValue) => JSON.stringify(s.path);
  const byPath = new Map(older.map((s) => [key(s), s]));
  for (const s of newer) byPath.set(key(s), s);
  return [...byPath.values()];
}

/** An update on the item's key, refused (false) when the item is no longer as it was read. */
async function conditionalUpdate(
  db: Database,
  item: RawItem,
  update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
): Promise<boolean> {
  try {
    await db.document.send(
      new UpdateCommand({ TableName: db.tableName, Key: { pk: item.pk, sk: item.sk }, ...update }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

const encodeCursor = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString('base64url');
const decodeCursor = (cursor: string) =>
  JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;

// ------------------------------------------------------------------------------ the command

/** Inside `sst shell --stage …`, SST exposes the app's resources as SST_RESOURCE_<name> JSON. */
function sstShellTable(): string | undefined {
  const resource = process.env.SST_RESOURCE_Table;
  return resource ? (JSON.parse(resource) as { name?: string }).name : undefined;
}

/** The running `pnpm dev` stack: its table, DynamoDB Local and master key file. */
function localStack(): { tableName: string; endpoint: string; keyFile: string } {
  const dataDir = process.env.ADE_DATA_DIR ?? fileURLToPath(new URL('../.data', import.meta.url));
  const file = join(dataDir, 'dev-credentials.json');
  if (!existsSync(file))
    throw new Error(`No local stack found (${file}). Start it with \`pnpm dev\`, or pass --table.`);
  const { tableName, dynamoEndpoint } = JSON.parse(readFileSync(file, 'utf8'));
  return { tableName, endpoint: dynamoEndpoint, keyFile: join(dataDir, 'master.key') };
}

async function main() {
  const { values } = parseArgs({
    options: {
      table: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      start: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const named = values.table ?? sstShellTable();
  const local = named ? undefined : localStack();
  const target = named ? { tableName: named, endpoint: values.endpoint } : local!;
  if (local && !process.env.ADE_KMS_KEY_ID) process.env.ADE_LOCAL_KEY_FILE ??= local.keyFile;
  const keys = keyManagementFromEnv();
  const db = createDatabase({ ...target, region: values.region });
  const dryRun = values['dry-run'];
  try {
    const report = await migratePayloadSecrets(db, keys, {
      dryRun,
      start: values.start,
      onPage: (r) => {
        if (!values.json && r.cursor)
          console.error(`… ${r.scanned} items read; resume with --start ${r.cursor}`);
      },
    });
    if (values.json) console.log(JSON.stringify({ dryRun, table: target.tableName, ...report }));
    else {
      const verb = dryRun ? 'would seal' : 'sealed';
      console.log(`${target.tableName} (${keys.description}), ${report.scanned} items read:`);
      console.log(
        `  payloads: ${verb} ${report.payloads.sealed.length}, already clean ${report.payloads.clean}, changed meanwhile ${report.payloads.changed.length}`,
      );
      console.log(
        `  queued commands: ${verb} ${report.commands.sealed.length}, already clean ${report.commands.clean}, changed meanwhile ${report.commands.changed.length}`,
      );
      for (const id of [...report.payloads.sealed, ...report.commands.sealed]) console.log(`  ${verb} ${id}`);
      if (report.payloads.changed.length || report.commands.changed.length)
        console.log('  Run it again for the items that changed while it ran.');
    }
  } finally {
    db.client.destroy();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
