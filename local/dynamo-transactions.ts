// TransactWriteItems and TransactGetItems for the embedded DynamoDB. dynalite (the wire protocol
// over LevelDB) has neither, so the front in dynamodb.ts hands them here. A transaction is carried
// out with dynalite's own single-item operations, under the front's write lock so nothing else
// writes in between, and undone from its before-images when any action fails. The before-images
// go to a journal first, so a crash half-way is undone on the next start.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { StateFile } from './state-file.ts';

/** An item or key in DynamoDB JSON (`{ attr: { S: "x" } }`), passed through as it came. */
export type Item = Record<string, unknown>;

/** One answer of the DynamoDB JSON protocol: an HTTP status and the JSON body. */
export interface DynamoAnswer {
  status: number;
  body: Record<string, unknown>;
}

const TYPE_PREFIX = 'com.amazonaws.dynamodb.v20120810#';
const VALIDATION = 'com.amazon.coral.validate#ValidationException';
const MAX_ACTIONS = 100;
const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;
const MAX_TOKEN_LENGTH = 36;
const TOKEN_TTL_MS = 10 * 60 * 1000;
const WRITE_KINDS = ['Put', 'Update', 'Delete', 'ConditionCheck'] as const;
type WriteKind = (typeof WRITE_KINDS)[number];
const RETURN_VALUES_ON_FAILURE = new Set(['ALL_OLD', 'NONE']);
// What an action hands on to dynalite's single-item operation, besides its table and key.
const PASSED_ON = ['UpdateExpression', 'ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues'] as const;

/** An answer other than success, thrown to unwind and sent as it is. */
export class DynamoFault extends Error {
  override readonly name = 'DynamoFault' as const;

  constructor(readonly answer: DynamoAnswer) {
    super(String(answer.body.message ?? answer.body.__type));
  }
}

const fault = (type: string, message: string, status = 400) => new DynamoFault({ status, body: { __type: type, message } });
const invalid = (message: string) => fault(VALIDATION, message);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
const errorType = (answer: DynamoAnswer) => String(answer.body.__type ?? '').split('#').pop();

/**
 * The front's locks, callback-style so the ordinary path allocates nothing. Writes (single-item,
 * batch, transactions) take `write` one at a time. Reads share `read`; a transaction, already
 * holding `write`, takes `exclusive` only while it applies or rolls back, so no read sees half of
 * it and reads are held for those moments only.
 */
export class Gate {
  private writing = false;
  private readonly writers: Array<() => void> = [];
  private readers = 0;
  private excluding = false;
  private drained: (() => void) | undefined;
  private readonly heldReaders: Array<() => void> = [];

  write(run: () => void): void {
    if (this.writing) this.writers.push(run);
    else {
      this.writing = true;
      run();
    }
  }

  releaseWrite(): void {
    const next = this.writers.shift();
    if (next) next();
    else this.writing = false;
  }

  read(run: () => void): void {
    if (this.excluding) this.heldReaders.push(run);
    else {
      this.readers += 1;
      run();
    }
  }

  releaseRead(): void {
    this.readers -= 1;
    if (this.readers === 0 && this.drained) {
      const drained = this.drained;
      this.drained = undefined;
      drained();
    }
  }

  /** For the holder of `write`: holds new reads back and resolves once the reads in flight end. */
  exclusive(): Promise<void> {
    this.excluding = true;
    if (this.readers === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  releaseExclusive(): void {
    this.excluding = false;
    for (const run of this.heldReaders.splice(0)) {
      this.readers += 1;
      run();
    }
  }

  async withWrite<T>(work: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => this.write(resolve));
    try {
      return await work();
    } finally {
      this.releaseWrite();
    }
  }
}

/** dynalite's own port, for the single-item operations a transaction is made of. */
export class DynaliteClient {
  // Keep-alive: a transaction makes a few requests each, one after another.
  private readonly agent = new Agent({ keepAlive: true });

  constructor(private readonly port: number) {}

  call(operation: string, input: object): Promise<DynamoAnswer> {
    const payload = JSON.stringify(input);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: 'POST',
          path: '/',
          agent: this.agent,
          headers: {
            'Content-Type': 'application/x-amz-json-1.0',
            'Content-Length': Buffer.byteLength(payload),
            'X-Amz-Target': `DynamoDB_20120810.${operation}`,
            // dynalite wants a signature's shape and checks nothing in it.
            'X-Amz-Date': '20000101T000000Z',
            Authorization: 'AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            try {
              const text = Buffer.concat(chunks).toString('utf8');
              resolve({ status: res.statusCode ?? 500, body: text ? JSON.parse(text) : {} });
            } catch (err) {
              reject(err);
            }
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** An item as it was before a transaction touched it; no `Item` when there was none. */
export interface BeforeImage {
  TableName: string;
  Key: Item;
  Item?: Item;
}

/** Where the before-images of the transaction being applied wait until it is done. */
export interface Journal {
  /** The before-images of a transaction begun and not finished (after a crash, or a failed undo). */
  pending(): readonly BeforeImage[];
  record(images: readonly BeforeImage[]): Promise<void>;
  clear(): Promise<void>;
}

/** With no data dir there is nothing to recover after a restart; memory is enough. */
export class MemoryJournal implements Journal {
  private images: readonly BeforeImage[] = [];

  pending() {
    return this.images;
  }

  async record(images: readonly BeforeImage[]) {
    this.images = images;
  }

  async clear() {
    this.images = [];
  }
}

export const JOURNAL_FILE = 'transaction-journal.json';

/** The journal file a data dir keeps while a transaction applies: `{ "images": BeforeImage[] }`. */
export function journalPath(dataDir: string): string {
  return join(dataDir, JOURNAL_FILE);
}

/** A journal on disk, saved whole (temp file, fsync, rename) before any action is applied. */
export class FileJournal implements Journal {
  private readonly file: StateFile;

  private constructor(
    private readonly path: string,
    private images: readonly BeforeImage[],
  ) {
    this.file = new StateFile(path);
  }

  /** Reads a journal left by a crash, and drops temp files of a save the crash cut short. */
  static async open(path: string): Promise<FileJournal> {
    const dir = dirname(path);
    const temps = (await readdir(dir)).filter((name) => name.startsWith(`${basename(path)}.`) && name.endsWith('.tmp'));
    await Promise.all(temps.map((name) => rm(join(dir, name), { force: true })));
    let images: BeforeImage[] = [];
    try {
      images = (JSON.parse(await readFile(path, 'utf8')) as { images: BeforeImage[] }).images;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new FileJournal(path, images);
  }

  pending() {
    return this.images;
  }

  async record(images: readonly BeforeImage[]) {
    // Pending only once on disk: a save that failed stands for a transaction that never applied.
    await this.file.save(() => ({ images }));
    this.images = images;
  }

  async clear() {
    this.images = [];
    await this.file.settled();
    await rm(this.path, { force: true });
  }
}

interface WriteAction {
  kind: WriteKind;
  TableName: string;
  /** The action's own object (`Put`, `Update`, ...), as the client sent it. */
  spec: Record<string, unknown>;
  returnOld: boolean;
}

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
}

/** TransactWriteItems and TransactGetItems over dynalite; answers in DynamoDB's JSON protocol. */
export class Transactions {
  private readonly client: DynaliteClient;
  private readonly gate: Gate;
  private readonly journal: Journal;
  private readonly now: () => number;
  private readonly onActionApplied: ((appliedSoFar: number) => void) | undefined;
  private readonly keyNames = new Map<string, string[]>();
  /** ClientRequestToken → fingerprint of its request and when the token expires, oldest first. */
  private readonly tokens = new Map<string, { fingerprint: string; expires: number }>();

  constructor(opts: TransactionsOptions) {
    this.client = opts.client;
    this.gate = opts.gate;
    this.journal = opts.journal;
    this.now = opts.now ?? Date.now;
    this.onActionApplied = opts.onActionApplied;
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

const notNull = (path: string) => invalid(`1 validation error detected: Value null at '${path}' failed to satisfy constraint: Member must not be null`);

function transactItems(input: unknown): unknown[] {
  const items = isObject(input) ? input.TransactItems : undefined;
  if (items === undefined || items === null) throw notNull('transactItems');
  if (!Array.isArray(items)) throw fault('com.amazon.coral.service#SerializationException', 'TransactItems must be a list');
  if (items.length < 1) {
    throw invalid("1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  if (items.length > MAX_ACTIONS) {
    throw invalid(
      `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ACTIONS}`,
    );
  }
  return items;
}

function parseWriteRequest(input: unknown): { actions: WriteAction[]; token: string | undefined } {
  const items = transactItems(input);
  const token = (input as Record<string, unknown>).ClientRequestToken;
  if (token !== undefined && (typeof token !== 'string' || token.length < 1 || token.length > MAX_TOKEN_LENGTH)) {
    throw invalid(
      `1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 1 and ${MAX_TOKEN_LENGTH}`,
    );
  }
  let bytes = 0;
  const actions = items.map((entry, i): WriteAction => {
    const kinds = isObject(entry) ? WRITE_KINDS.filter((kind) => entry[kind] !== undefined && entry[kind] !== null) : [];
    if (kinds.length === 0) throw invalid('Invalid Request: TransactWriteRequest should contain Delete or Put or Update request');
    if (kinds.length > 1) throw invalid('TransactItems can only contain one of Check, Put, Update or Delete');
    const kind = kinds[0] as WriteKind;
    const spec = (entry as Record<string, unknown>)[kind];
    const path = `transactItems.${i + 1}.member.${lowerFirst(kind)}`;
    if (!isObject(spec)) throw notNull(path);
    const required = ['TableName', kind === 'Put' ? 'Item' : 'Key'];
    if (kind === 'Update') required.push('UpdateExpression');
    if (kind === 'ConditionCheck') required.push('ConditionExpression');
    for (const field of required) if (spec[field] === undefined || spec[field] === null) throw notNull(`${path}.${lowerFirst(field)}`);
    const onFailure = spec.ReturnValuesOnConditionCheckFailure;
    if (onFailure !== undefined && !RETURN_VALUES_ON_FAILURE.has(String(onFailure))) {
      throw invalid(
        `1 validation error detected: Value '${String(onFailure)}' at '${path}.returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
      );
    }
    bytes += itemSize(spec.Item ?? spec.Key) + itemSize(spec.ExpressionAttributeValues);
    return { kind, TableName: String(spec.TableName), spec, returnOld: onFailure === 'ALL_OLD' };
  });
  if (bytes > MAX_TRANSACTION_BYTES) throw invalid('Transaction request size has exceeded the maximum allowed size of 4 MB');
  return { actions, token: token as string | undefined };
}

function parseGetRequest(input: unknown): Array<Record<string, unknown>> {
  return transactItems(input).map((entry, i) => {
    const get = isObject(entry) ? entry.Get : undefined;
    const path = `transactItems.${i + 1}.member.get`;
    if (!isObject(get)) throw notNull(path);
    for (const field of ['TableName', 'Key']) if (get[field] === undefined || get[field] === null) throw notNull(`${path}.${lowerFirst(field)}`);
    return get;
  });
}

/** An item's size as DynamoDB counts it: attribute names plus values, in bytes (close enough for a limit). */
export function itemSize(item: unknown): number {
  if (!isObject(item)) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: unknown): number {
  if (!isObject(value)) return 0;
  const [type, inner] = Object.entries(value)[0] ?? [];
  const list = Array.isArray(inner) ? (inner as unknown[]) : [];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(inner));
    case 'N':
      return numberSize(inner);
    case 'B':
      return Buffer.byteLength(String(inner), 'base64');
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return list.reduce<number>((sum, s) => sum + Buffer.byteLength(String(s)), 0);
    case 'NS':
      return list.reduce<number>((sum, n) => sum + numberSize(n), 0);
    case 'BS':
      return list.reduce<number>((sum, b) => sum + Buffer.byteLength(String(b), 'base64'), 0);
    case 'L':
      return list.reduce<number>((sum, element) => sum + 1 + valueSize(element), 3);
    case 'M':
      return 3 + itemSize(inner) + (isObject(inner) ? Object.keys(inner).length : 0);
    default:
      return 0;
  }
}

/** Numbers are stored as two digits a byte, plus one. */
function numberSize(value: unknown): number {
  const digits = String(value)
    .replace(/[eE].*$/, '')
    .replace(/[^0-9]/g, '')
    .replace(/^0+|0+$/g, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** JSON with object keys sorted, so two spellings of one request compare equal. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
