import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LocalStepFunctions } from '../../local/functions.ts';
import { LocalGateway } from '../../local/gateway.ts';

// Records which partition keys each function touches on the embedded stack, for the least-privilege
// check of infra/constructs/table-access.ts. Every API group runs through LocalGateway and every
// other function through LocalStepFunctions, in this process: both are wrapped so that a function's
// table calls run under its name, and every document client's send() reports the keys IAM would
// evaluate `dynamodb:LeadingKeys` on (the base table's partition key, or an index's for a Query on
// it) and the IAM actions it is authorised as. Calls under no function (the stage seed, the test's
// own reads) are recorded as `outside`.

export const OUTSIDE = 'outside';

type Input = Record<string, unknown>;
type Keyed = { PK?: unknown } | undefined;

const running = new AsyncLocalStorage<string>();
const seen = new Map<string, Set<string>>();
const acted = new Map<string, Set<string>>();

function add(into: Map<string, Set<string>>, value: string): void {
  const fn = running.getStore() ?? OUTSIDE;
  into.set(fn, (into.get(fn) ?? new Set<string>()).add(value));
}

function note(key: unknown): void {
  if (typeof key === 'string') add(seen, key);
}

/** A transaction's item kinds, as IAM checks them (each item under its own action). */
const TRANSACT_ACTIONS: Record<string, string> = {
  Get: 'dynamodb:GetItem',
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** The IAM actions one document-client command is authorised as. */
function actionsOf(name: string, input: Input): string[] {
  switch (name) {
    case 'TransactGetCommand':
    case 'TransactWriteCommand':
      return ((input.TransactItems ?? []) as Record<string, unknown>[]).flatMap((item) =>
        Object.keys(item).map((kind) => TRANSACT_ACTIONS[kind] ?? `unknown transaction item ${kind}`),
      );
    default:
      // GetCommand → dynamodb:GetItem, BatchGetCommand → dynamodb:BatchGetItem, QueryCommand → dynamodb:Query.
      return [`dynamodb:${name.replace(/Command$/, '').replace(/^(Get|Put|Update|Delete|BatchGet|BatchWrite)$/, '$1Item')}`];
  }
}

/** The partition-key value a Query's key condition binds (`PK = :pk`, `GSI1PK = :p`, through names or not). */
function queriedKey(input: Input): unknown {
  const condition = String(input.KeyConditionExpression ?? '');
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  for (const [, name, value] of condition.matchAll(/(#?\w+)\s*=\s*(:\w+)/g)) {
    const attribute = name?.startsWith('#') ? names[name] : name;
    if (attribute && /^(PK|GSI\d+PK)$/.test(attribute)) return values[value as string];
  }
  throw new Error(`table recorder: no partition key in ${condition}`);
}

/** The leading keys of one document-client command. */
function leadingKeysOf(name: string, input: Input): unknown[] {
  switch (name) {
    case 'GetCommand':
    case 'DeleteCommand':
    case 'UpdateCommand':
      return [(input.Key as Keyed)?.PK];
    case 'PutCommand':
      return [(input.Item as Keyed)?.PK];
    case 'QueryCommand':
      return [queriedKey(input)];
    case 'BatchGetCommand':
      return Object.values((input.RequestItems ?? {}) as Record<string, { Keys: Keyed[] }>).flatMap((r) => r.Keys.map((k) => k?.PK));
    case 'TransactGetCommand':
    case 'TransactWriteCommand':
      return ((input.TransactItems ?? []) as Record<string, { Key?: Keyed; Item?: Keyed }>[]).flatMap((item) =>
        Object.values(item).map((action) => action.Key?.PK ?? action.Item?.PK),
      );
    default:
      throw new Error(`table recorder: ${name} is not recorded`);
  }
}

let installed = false;

/** Wraps the gateway, the local Lambda and every document client (once per process); answers the recording so far. */
export function recordTableAccess(): {
  byFunction: () => Map<string, Set<string>>;
  /** The IAM actions each function's table calls were authorised as (a transaction's, item by item). */
  actionsByFunction: () => Map<string, Set<string>>;
  run: <T>(fn: string, work: () => Promise<T>) => Promise<T>;
} {
  if (!installed) {
    installed = true;
    const send = DynamoDBDocumentClient.prototype.send;
    DynamoDBDocumentClient.prototype.send = function (this: DynamoDBDocumentClient, command: unknown, ...rest: unknown[]) {
      const c = command as { constructor: { name: string }; input: Input };
      for (const key of leadingKeysOf(c.constructor.name, c.input)) note(key);
      for (const action of actionsOf(c.constructor.name, c.input)) add(acted, action);
      return (send as (...args: unknown[]) => unknown).call(this, command, ...rest);
    } as typeof send;

    type Wrapped = { handlerFor(group: string): Promise<(event: unknown, context: unknown) => Promise<unknown>> };
    const gateway = LocalGateway.prototype as unknown as Wrapped;
    const handlerFor = gateway.handlerFor;
    gateway.handlerFor = function (this: unknown, group: string) {
      return handlerFor.call(this, group).then((h) => (event: unknown, context: unknown) => running.run(group, () => h(event, context)));
    };

    const lambdas = LocalStepFunctions.prototype;
    const invoke = lambdas.invoke;
    lambdas.invoke = function (this: LocalStepFunctions, arn: string, input: unknown) {
      const name = (arn.split(':').pop() ?? '').replace(/^plexsphere-local-/, '');
      return running.run(name, () => invoke.call(this, arn, input));
    };
  }
  return {
    byFunction: () => seen,
    actionsByFunction: () => acted,
    run: (fn, work) => running.run(fn, work),
  };
}
