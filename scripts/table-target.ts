/**
 * Which table a bootstrap script writes to: `--table` (with `--region`, `--endpoint`), else the
 * deployed table inside `sst shell --stage …` (SST_RESOURCE_Table), else the local stack `pnpm dev`
 * is running (.data/dev-credentials.json). Against AWS the usual credential chain applies.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface TableTarget {
  tableName: string;
  endpoint?: string;
  region?: string;
}

/** The command-line options every bootstrap script takes, for node:util's parseArgs. */
export const tableOptions = {
  table: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export function tableTarget(values: { table?: string; endpoint?: string; region?: string }): TableTarget {
  const target = values.table
    ? { tableName: values.table, endpoint: values.endpoint }
    : (sstShellTable(values.endpoint) ?? localStack());
  return { ...target, region: values.region };
}

/** Inside `sst shell --stage …`, SST exposes the app's resources as SST_RESOURCE_<name> JSON. */
function sstShellTable(endpoint?: string): { tableName: string; endpoint?: string } | undefined {
  const resource = process.env.SST_RESOURCE_Table;
  if (!resource) return undefined;
  const { name } = JSON.parse(resource) as { name?: string };
  if (!name) throw new Error('SST_RESOURCE_Table has no table name.');
  return { tableName: name, endpoint };
}

function localStack(): { tableName: string; endpoint: string } {
  const file = fileURLToPath(new URL('../.data/dev-credentials.json', import.meta.url));
  if (!existsSync(file)) {
    throw new Error(
      'No local stack found (.data/dev-credentials.json). Start it with `pnpm dev`, or pass --table.',
    );
  }
  const { tableName, dynamoEndpoint } = JSON.parse(readFileSync(file, 'utf8'));
  return { tableName, endpoint: dynamoEndpoint };
}
