/**
 * `pnpm dev`: the whole backend on this machine. Starts DynamoDB Local (data kept in .data/dynamodb
 * unless --in-memory or ADE_IN_MEMORY=1), creates the table, seeds the demo, and serves every route
 * of the route table on http://localhost:4000 (PORT overrides). ADE_DATA_DIR moves the data folder
 * (database and dev-credentials.json; default <repo>/.data). Ctrl-C stops everything.
 * If DynamoDB Local dies, a persistent one is restarted on the same port and data folder, and an
 * in-memory one ends `pnpm dev` with a message saying why (dynamodb-supervisor.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SupervisedDynamoLocal } from './dynamodb-supervisor.ts';
import type { LocalServer } from './server.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const started = Date.now();
const root = resolve(import.meta.dirname, '../../..');
const dataDir = process.env.ADE_DATA_DIR ? resolve(process.env.ADE_DATA_DIR) : join(root, '.data');
const inMemory = process.argv.includes('--in-memory') || process.env.ADE_IN_MEMORY === '1';
const port = Number(process.env.PORT ?? 4000);
const tableName = process.env.ADE_TABLE_NAME ?? 'ade-local';

// What stop() ends, as far as start-up got: DynamoDB Local may be gone for good at any point.
let dynamo: SupervisedDynamoLocal | undefined;
let server: LocalServer | undefined;
let workerTimer: NodeJS.Timeout | undefined;
let stopping = false;
async function stop(why: string, exitCode = 0) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${why}: stopping…`);
  clearInterval(workerTimer);
  await server?.close();
  await dynamo?.stop();
  process.exit(exitCode);
}

const { JavaMissingError } = await import('./dynamodb-local.ts');
const { superviseDynamoLocal } = await import('./dynamodb-supervisor.ts');
// The GraphQL explorer's files (GET /graphql in a browser), built while DynamoDB Local starts, and
// only when their inputs changed since the last run. Without them the API works; the page says so.
const explorer = import('@ade/explorer/local')
  .then(({ ensureLocalExplorer }) => ensureLocalExplorer())
  .catch((error: Error) => {
    console.error(`The GraphQL explorer could not be built: ${error.message}`);
    return undefined;
  });

try {
  dynamo = await superviseDynamoLocal({
    ...(inMemory ? {} : { dbPath: join(dataDir, 'dynamodb') }),
    log: (line) => console.log(`\n${line}`),
    onGiveUp: (message) => {
      console.error(`\n${message}`);
      void stop('DynamoDB Local is gone', 1);
    },
  });
} catch (error) {
  if (error instanceof JavaMissingError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

// The handlers read their configuration from the environment, exactly as in Lambda.
process.env.ADE_TABLE_NAME = tableName;
process.env.ADE_DYNAMODB_ENDPOINT = dynamo.endpoint;
process.env.ADE_PUBLIC_URL ??= `http://localhost:${port}`;
// Secrets (ADE token keys and credentials) are sealed with a key kept beside the data (0600).
process.env.ADE_LOCAL_KEY_FILE ??= join(dataDir, 'master.key');
// Apple's push service is not reachable from a laptop runtime: queued commands wait for the device.
process.env.ADE_APNS ??= 'off';
const explorerDir = (await explorer)?.dir;
if (explorerDir) process.env.ADE_EXPLORER_DIR ??= explorerDir;

const { coreFromEnv } = await import('@ade/functions');
const { unavailableIn } = await import('@ade/core');
const { ensureTable } = await import('./table.ts');
const { seedDemo } = await import('./seed.ts');
const { startLocalServer } = await import('./server.ts');

const core = coreFromEnv();
await ensureTable(core.db.client, tableName);
const credentialsFile = join(dataDir, 'dev-credentials.json');
const previous =
  existsSync(credentialsFile) && !inMemory ? JSON.parse(readFileSync(credentialsFile, 'utf8')) : undefined;
const demo = await seedDemo(core, previous);

try {
  server = await startLocalServer({ port, host: process.env.HOST ?? '127.0.0.1' });
} catch (error) {
  await dynamo.stop();
  const code = (error as NodeJS.ErrnoException).code;
  console.error(code === 'EADDRINUSE' ? `Port ${port} is in use; set PORT to another port.` : error);
  process.exit(1);
}
// Scheduled functions run on timers here (EventBridge in AWS): e.g. the rollout worker.
const { scheduledFunctions } = await import('@ade/functions/routes');
const { createRolloutWorker } = await import('@ade/functions/rollouts');
const rolloutWorker = createRolloutWorker(core);
let workerBusy = false;
workerTimer = setInterval(() => {
  if (workerBusy) return;
  workerBusy = true;
  rolloutWorker({})
    // While DynamoDB Local restarts, the supervisor's lines say so; no stack every 5 s.
    .catch((error) => {
      if (!unavailableIn(error)) console.error('rollout worker:', error);
    })
    .finally(() => {
      workerBusy = false;
    });
}, scheduledFunctions.rollouts.localEveryMs);
workerTimer.unref();
const graphqlUrl = `${server.url.replace('127.0.0.1', 'localhost')}/graphql`;
mkdirSync(dataDir, { recursive: true });
// Scripts (e.g. `pnpm bootstrap:partner`) find the running stack's database through this file too.
const credentials = { graphqlUrl, ...demo, tableName, dynamoEndpoint: dynamo.endpoint };
writeFileSync(credentialsFile, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });

const { devBanner } = await import('./banner.ts');
console.log(
  devBanner({
    graphqlUrl,
    publicUrl: process.env.ADE_PUBLIC_URL,
    storage: inMemory ? 'in memory' : `data in ${join(dataDir, 'dynamodb')}`,
    readyMs: Date.now() - started,
    demo,
    credentialsFile,
  }),
);

process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
