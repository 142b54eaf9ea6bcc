// TransactWriteItems and TransactGetItems for the embedded DynamoDB. dynalite (the wire protocol
// over LevelDB) has neither, so the front in ../dynamodb.ts hands them here. A transaction is carried
// out with dynalite's own single-item operations, under the front's write lock so nothing else
// writes in between, and undone from its before-images when any action fails. The before-images
// go to a journal first (atomicity.ts), so a crash half-way is undone on the next start.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../functions/core/canonical-json.ts';
import type { BeforeImage, Gate, Journal } from './atomicity.ts';
import type { Inserted } from './change-feed.ts';
import {
  type DynaliteClient,
  type DynamoAnswer,
  DynamoFault,
  errorType,
  fault,
  type Item,
  invalid,
  parseGetRequest,
  parseWriteRequest,
  TYPE_PREFIX,
  type WriteAction,
} from './protocol.ts';

const TOKEN_TTL_MS = 10 * 60 * 1000;
// What an action hands on to dynalite's single-item operation, besides its table and key.
const PASSED_ON = ['UpdateExpression', 'ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues'] as const;

interface KeyedAction extends WriteAction {
  Key: Item;
}

type Outcome = 'applied' | 'conditionFailed' | DynamoAnswer;

export interface TransactionsOptions {
  client: DynaliteClient;
  gate: Gate;
  journal: Journal;
  /** Milliseconds since the epoch; injectable so the token window can be tested without waiting. */
  now?: () => number;
  /**
   * Called each time one action of a transaction has been applied (1, 2, …): the crash tests kill
   * the process here, half-way through a transaction, to show that the next start undoes it.
   */
  onActionApplied?: (appliedSoFar: number) => void;
  /** Called with the items a transaction created, once it committed, still under the write lock (so in commit order). */
  onCommitted?: (inserted: Inserted[]) => void;
}

/** TransactWriteItems and TransactGetItems over dynalite; answers in DynamoDB's JSON protocol. */
export class Transactions {
  private readonly client: DynaliteClient;
  private readonly gate: Gate;
  private readonly journal: Journal;
  private readonly now: () => number;
  private readonly onActionApplied: ((appliedSoFar: number) => void) | undefined;
  private readonly onCommitted: ((inserted: Inserted[]) => void) | undefined;
  private readonly keyNames = new Map<string, string[]>();
  /** ClientRequestToken → fingerprint of its request and when the token expires, oldest first. */
  private readonly tokens = new Map<string, { fingerprint: string; expires: number }>();

  constructor(opts: TransactionsOptions) {
    this.client = opts.client;
    this.gate = opts.gate;
    this.journal = opts.journal;
    this.now = opts.now ?? Date.now;
    this.onActionApplied = opts.onActionApplied;
    this.onCommitted = opts.onCommitted;
  }

  /** A table was created or deleted: its key schema may differ next time. */
  forgetTables(): void {
    this.keyNames.clear();
  }

  /**
   * Puts back what an unfinished transaction had changed: on start after a crash, and before the
   * next transaction when an undo failed (dynalite erring on its own port).
   */
  async recover(): Promise<void> {
    const images = this.journal.pending();
    if (images.length === 0) return;
    await this.gate.exclusive();
    try {
      await this.undo(images);
    } finally {
      this.gate.releaseExclusive();
    }
    await this.journal.clear();
  }

  async writeItems(input: unknown): Promise<DynamoAnswer> {
    try {
      const { actions, token } = parseWriteRequest(input);
      const keyed = await this.keyed(actions);
      const fingerprint = token === undefined ? '' : createHash('sha256').update(canonicalJson({ ...(input as object), ClientRequestToken: null })).digest('hex');
      return await this.gate.withWrite(async () => {
        if (token !== undefined && this.replayed(token, fingerprint)) return { status: 200, body: {} };
        const answer = await this.commit(keyed);
        if (token !== undefined && answer.status === 200) this.tokens.set(token, { fingerprint, expires: this.now() + TOKEN_TTL_MS });
        return answer;
      });
    } catch (err) {
      if (err instanceof DynamoFault) return err.answer;
      throw err;
    }
  }

  async getItems(input: unknown): Promise<DynamoAnswer> {
    try {
      const gets = parseGetRequest(input);
      // Under the write lock: no write of any kind lands between two of these reads.
      const answers = await this.gate.withWrite(() =>
        Promise.all(
          gets.map((get) =>
            this.client.call('GetItem', {
              ...pick(get, ['TableName', 'Key', 'ProjectionExpression', 'ExpressionAttributeNames']),
              ConsistentRead: true,
            }),
          ),
        ),
      );
      const failed = answers.find((answer) => answer.status !== 200);
      if (failed) return failed;
      return { status: 200, body: { Responses: answers.map((answer) => (answer.body.Item ? { Item: answer.body.Item } : {})) } };
    } catch (err) {
      if (err instanceof DynamoFault) return err.answer;
      throw err;
    }
  }

  /** True when `token` already committed this same request; throws when it came with another. */
  private replayed(token: string, fingerprint: string): boolean {
    const now = this.now();
    for (const [old, entry] of this.tokens) {
      if (entry.expires > now) break;
      this.tokens.delete(old);
    }
    const seen = this.tokens.get(token);
    if (!seen) return false;
    if (seen.fingerprint !== fingerprint) {
      throw fault(
        `${TYPE_PREFIX}IdempotentParameterMismatchException`,
        'The request uses the same client token as a previous, but non-identical request.',
      );
    }
    return true;
  }

  /** Each action's key (a Put's from its item), refusing two actions on one item. */
  private async keyed(actions: WriteAction[]): Promise<KeyedAction[]> {
    const seen = new Set<string>();
    const keyed: KeyedAction[] = [];
    for (const action of actions) {
      const names = await this.keyNamesOf(action.TableName);
      let Key: Item;
      if (action.kind === 'Put') {
        const item = action.spec.Item as Item;
        const missing = names.find((name) => item[name] === undefined);
        if (missing) throw invalid(`One or more parameter values were invalid: Missing the key ${missing} in the item`);
        Key = Object.fromEntries(names.map((name) => [name, item[name]]));
      } else {
        Key = action.spec.Key as Item;
      }
      const identity = JSON.stringify([action.TableName, ...names.map((name) => Key[name] ?? null)]);
      if (seen.has(identity)) throw invalid('Transaction request cannot include multiple operations on one item');
      seen.add(identity);
      keyed.push({ ...action, Key });
    }
    return keyed;
  }

  private async keyNamesOf(table: string): Promise<string[]> {
    const known = this.keyNames.get(table);
    if (known) return known;
    const answer = await this.client.call('DescribeTable', { TableName: table });
    if (answer.status !== 200) throw new DynamoFault(answer);
    const schema = (answer.body.Table as { KeySchema: Array<{ AttributeName: string }> }).KeySchema;
    const names = schema.map((element) => element.AttributeName);
    this.keyNames.set(table, names);
    return names;
  }

  /** Under the write lock: before-images, journal, apply all, undo all if any failed. */
  private async commit(actions: KeyedAction[]): Promise<DynamoAnswer> {
    // Left by a failed undo: put that right before anything else is written.
    await this.recover();
    const reads = await Promise.all(
      actions.map((action) => this.client.call('GetItem', { TableName: action.TableName, Key: action.Key, ConsistentRead: true })),
    );
    const failedRead = reads.find((answer) => answer.status !== 200);
    if (failedRead) return failedRead;
    const images: BeforeImage[] = actions.map((action, i) => {
      const item = reads[i]?.body.Item as Item | undefined;
      return { TableName: action.TableName, Key: action.Key, ...(item && { Item: item }) };
    });
    await this.journal.record(images);

    await this.gate.exclusive();
    let answer: DynamoAnswer;
    try {
      let applied = 0;
      const settled = await Promise.allSettled(
        actions.map(async (action, i) => {
          const outcome = await this.apply(action, images[i] as BeforeImage);
          if (outcome === 'applied') this.onActionApplied?.(++applied);
          return outcome;
        }),
      );
      const outcomes = settled.map((result): Outcome => (result.status === 'fulfilled' ? result.value : internalError(result.reason)));
      if (outcomes.every((outcome) => outcome === 'applied')) {
        answer = { status: 200, body: {} };
      } else {
        // A failed condition changed nothing; anything else may have, so it is put back. Should
        // that fail, the journal keeps the images for the next transaction (or start) to retry.
        await this.undo(images.filter((_, i) => outcomes[i] !== 'conditionFailed'));
        const error = outcomes.find((outcome): outcome is DynamoAnswer => typeof outcome === 'object');
        answer = error ?? cancelled(actions, images, outcomes);
      }
    } finally {
      this.gate.releaseExclusive();
    }
    await this.journal.clear();
    if (answer.status === 200) this.onCommitted?.(insertedBy(actions, images));
    return answer;
  }

  /** One action through dynalite's single-item operation, with the action's own condition. */
  private async apply(action: KeyedAction, before: BeforeImage): Promise<Outcome> {
    const passed = pick(action.spec, PASSED_ON);
    let answer: DynamoAnswer;
    switch (action.kind) {
      case 'Put':
        answer = await this.client.call('PutItem', { TableName: action.TableName, Item: action.spec.Item, ...passed });
        break;
      case 'Update':
        answer = await this.client.call('UpdateItem', { TableName: action.TableName, Key: action.Key, ...passed });
        break;
      case 'Delete':
        answer = await this.client.call('DeleteItem', { TableName: action.TableName, Key: action.Key, ...passed });
        break;
      case 'ConditionCheck':
        // Rewriting the item as it is evaluates the condition against it and changes nothing;
        // a missing item is checked as its bare key, which is then taken away again.
        answer = await this.client.call('PutItem', { TableName: action.TableName, Item: before.Item ?? action.Key, ...passed });
        if (answer.status === 200 && !before.Item) answer = await this.client.call('DeleteItem', { TableName: action.TableName, Key: action.Key });
        break;
    }
    if (answer.status === 200) return 'applied';
    return errorType(answer) === 'ConditionalCheckFailedException' ? 'conditionFailed' : answer;
  }

  private async undo(images: readonly BeforeImage[]): Promise<void> {
    const answers = await Promise.all(
      images.map((image) =>
        image.Item
          ? this.client.call('PutItem', { TableName: image.TableName, Item: image.Item })
          : this.client.call('DeleteItem', { TableName: image.TableName, Key: image.Key }),
      ),
    );
    // A table deleted since has nothing left to put back.
    const failed = answers.find((answer) => answer.status !== 200 && errorType(answer) !== 'ResourceNotFoundException');
    if (failed) throw new Error(`could not undo a transaction: ${JSON.stringify(failed.body)}`);
  }
}

/** The Puts of a committed transaction that found no item: what a stream shows as INSERT. */
function insertedBy(actions: KeyedAction[], images: BeforeImage[]): Inserted[] {
  return actions.flatMap((action, i) =>
    action.kind === 'Put' && !images[i]?.Item ? [{ tableName: action.TableName, keys: action.Key, item: action.spec.Item as Item }] : [],
  );
}

function internalError(reason: unknown): DynamoAnswer {
  return { status: 500, body: { __type: `${TYPE_PREFIX}InternalServerError`, message: String(reason) } };
}

function cancelled(actions: KeyedAction[], images: BeforeImage[], outcomes: Outcome[]): DynamoAnswer {
  const reasons = outcomes.map((outcome, i) => {
    if (outcome !== 'conditionFailed') return { Code: 'None' };
    const old = actions[i]?.returnOld ? images[i]?.Item : undefined;
    return { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(old && { Item: old }) };
  });
  return {
    status: 400,
    body: {
      __type: `${TYPE_PREFIX}TransactionCanceledException`,
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
      CancellationReasons: reasons,
    },
  };
}

function pick(source: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of names) if (source[name] !== undefined) picked[name] = source[name];
  return picked;
}

