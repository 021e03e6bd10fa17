/**
 * What each function may do to the table and the secrets key: nothing else is granted (its role
 * also writes its own log group, see infra/functions.ts). Derived from the code, and checked:
 * infra/permissions.test.ts drives real enrollments through the device-facing handlers against
 * DynamoDB Local, records every DynamoDB request and key operation per function, and fails if one
 * is not granted here.
 *
 * - DynamoDB: ElectroDB's `get` is GetItem (a list of keys: BatchGetItem), `query` is Query (on the
 *   table or a GSI), `create`/`put` PutItem, `patch`/`update` UpdateItem, `delete`/`remove`
 *   DeleteItem, `check` inside a transaction ConditionCheckItem. TransactWriteItems has no IAM action
 *   of its own: each item needs the action it performs. Nothing scans or batch-writes.
 * - KMS (packages/core/src/secrets/aws-kms.ts): sealing a secret is one GenerateDataKey, opening one
 *   is one Decrypt. Nothing calls Encrypt.
 */

export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:BatchWriteItem';

export type KmsAction = 'kms:GenerateDataKey' | 'kms:Decrypt';

export interface Grants {
  dynamodb: readonly DynamoAction[];
  /** Whether Query may use the GSIs (`table/index/*`); only meaningful with dynamodb:Query. */
  indexes: boolean;
  kms: readonly KmsAction[];
  /** Why: the code paths that need these, for the reviewer of a change. */
  because: string;
}

const READ_WRITE: readonly DynamoAction[] = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];

export const GRANTS: Record<string, Grants> = {
  graphql: {
    dynamodb: [...READ_WRITE, 'dynamodb:BatchGetItem'],
    indexes: true,
    kms: ['kms:GenerateDataKey', 'kms:Decrypt'],
    because:
      'every admin operation; policy trees batch-get; ADE tokens, push certificates and fallback registration seal and open secrets',
  },
  discovery: {
    dynamodb: ['dynamodb:GetItem', 'dynamodb:BatchWriteItem'],
    indexes: false,
    kms: [],
    because:
      'one GetItem of the ADE configuration by discoveryId; its audit events, 25 to a BatchWriteItem (packages/core/src/ade/discovery.ts, discovery-audit.ts)',
  },
  auth: {
    dynamodb: [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
    indexes: false,
    kms: ['kms:GenerateDataKey', 'kms:Decrypt'],
    because:
      "reads the session, configuration and branding; counts each passcode attempt before checking it (conditional updates of three counters in one transaction), reads them back after a wrong one (BatchGetItem), and on success deletes the person's counter and gives the others their attempt back (enrollment/sign-in-limits.ts); issues the single-use token and audits in one transaction (enrollment/web-auth.ts); signs it with the deployment's sealed token key, made by the first sign-in and opened by every container after (enrollment/token-key.ts)",
  },
  enroll: {
    dynamodb: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    indexes: false,
    kms: ['kms:GenerateDataKey', 'kms:Decrypt'],
    because:
      "redeems the token and records the device in a transaction; the tenant's PKI is made on first use (seal) and opened to sign (enrollment/pki.ts)",
  },
  checkin: {
    dynamodb: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
    indexes: true,
    kms: ['kms:GenerateDataKey', 'kms:Decrypt'],
    because:
      "finds the device by its identity (GetItem), updates it and audits in one transaction; an ADDE Authenticate claims its UDID there (PutItem) and, for a device that enrolled again, reads the claim and the old record (GetItem) and retires it (UpdateItem, enrollment/reenrollment.ts); TokenUpdate seals the push token and, on enrollment, queues the policy chain's payloads (Query by policy on gsi1), signing profiles with the tenant's key (Decrypt); DeclarativeManagement reads the device's deployments and payloads and settles them (payloads/commands.ts); CheckOut retires its deployments and deletes its queued commands (payloads/delivery.ts)",
  },
  connect: {
    dynamodb: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    indexes: false,
    kms: ['kms:Decrypt'],
    because:
      "opens the deployment's token key to verify the bearer (Decrypt, enrollment/token-key.ts); finds the device (GetItem), reads the head of its queue (Query), settles a result in one transaction: the command deleted, the deployment and its counter updated (payloads/commands.ts); opens a queued profile that carries secrets to send it (Decrypt, payloads/secret-values.ts)",
  },
  rollouts: {
    dynamodb: [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
    indexes: true,
    kms: ['kms:GenerateDataKey', 'kms:Decrypt'],
    because:
      "finds unfinished rollouts (Query on gsi2), pages a policy's devices (gsi1), batch-gets their deployments, writes deployments, commands, counters and the cursor in one transaction (payloads/delivery.ts); opens the tenant's signing key to sign profiles, a payload's sealed secrets to put them in, and the push certificate's key and devices' push tokens to notify them (Decrypt); seals a signed profile that carries secrets once for all its devices' commands (GenerateDataKey, payloads/secret-values.ts)",
  },
};

/**
 * A function added to routes.ts without an entry above (e.g. a new device route) gets these until
 * someone writes down what it needs: item reads and writes on the table and its indexes, and KMS
 * only to open secrets for device-facing ones. infra/permissions.test.ts lists who is on a default.
 */
export const DEFAULT_GRANTS = {
  deviceFacing: {
    dynamodb: READ_WRITE,
    indexes: true,
    kms: ['kms:Decrypt'],
    because: 'default for device-facing functions without their own entry in infra/permissions.ts',
  },
  admin: {
    dynamodb: [...READ_WRITE, 'dynamodb:BatchGetItem'],
    indexes: true,
    kms: ['kms:GenerateDataKey', 'kms:Decrypt'],
    because: 'default for functions without their own entry in infra/permissions.ts',
  },
} as const satisfies Record<string, Grants>;

export function grantsFor(name: string, deviceFacing: boolean): Grants {
  return GRANTS[name] ?? (deviceFacing ? DEFAULT_GRANTS.deviceFacing : DEFAULT_GRANTS.admin);
}

/** IAM policy statements for one function, given the table and key ARNs. */
export function statementsFor(
  grants: Grants,
  arns: { table: string; key: string; logGroup: string },
): { Effect: 'Allow'; Action: string[]; Resource: string[] }[] {
  const statements: { Effect: 'Allow'; Action: string[]; Resource: string[] }[] = [
    // Lambda creates the log group's streams and writes to them; the group itself is ours.
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [`${arns.logGroup}:*`],
    },
  ];
  const onTable = grants.dynamodb.filter((a) => a !== 'dynamodb:Query' || !grants.indexes);
  if (onTable.length) statements.push({ Effect: 'Allow', Action: [...onTable], Resource: [arns.table] });
  if (grants.indexes && grants.dynamodb.includes('dynamodb:Query'))
    statements.push({
      Effect: 'Allow',
      Action: ['dynamodb:Query'],
      Resource: [arns.table, `${arns.table}/index/*`],
    });
  if (grants.kms.length) statements.push({ Effect: 'Allow', Action: [...grants.kms], Resource: [arns.key] });
  return statements;
}
