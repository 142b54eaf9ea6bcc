// DynamoDB's JSON protocol as the transactions speak it: their requests, checked as DynamoDB checks
// them; answers (status and body) and faults in DynamoDB's own error types; and the client for
// dynalite's port that a transaction's single-item steps go through.
import { Agent, request } from 'node:http';
import { contentType, errorBody } from '../aws-json-protocol.ts';

/** An item or key in DynamoDB JSON (`{ attr: { S: "x" } }`), passed through as it came. */
export type Item = Record<string, unknown>;

/** One answer of the DynamoDB JSON protocol: an HTTP status and the JSON body. */
export interface DynamoAnswer {
  status: number;
  body: Record<string, unknown>;
}

export const TYPE_PREFIX = 'com.amazonaws.dynamodb.v20120810#';
const VALIDATION = 'com.amazon.coral.validate#ValidationException';
const MAX_ACTIONS = 100;
const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;
const MAX_TOKEN_LENGTH = 36;
const WRITE_KINDS = ['Put', 'Update', 'Delete', 'ConditionCheck'] as const;
type WriteKind = (typeof WRITE_KINDS)[number];
const RETURN_VALUES_ON_FAILURE = new Set(['ALL_OLD', 'NONE']);

/** An answer other than success, thrown to unwind and sent as it is. */
export class DynamoFault extends Error {
  override readonly name = 'DynamoFault' as const;

  constructor(readonly answer: DynamoAnswer) {
    super(String(answer.body.message ?? answer.body.__type));
  }
}

export const fault = (type: string, message: string, status = 400) => new DynamoFault({ status, body: errorBody(type, message) });
export const invalid = (message: string) => fault(VALIDATION, message);
export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
/** The error type of an answer without its namespace, e.g. `ConditionalCheckFailedException`. */
export const errorType = (answer: DynamoAnswer) => String(answer.body.__type ?? '').split('#').pop();

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
            'Content-Type': contentType('1.0'),
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

export interface WriteAction {
  kind: WriteKind;
  TableName: string;
  /** The action's own object (`Put`, `Update`, ...), as the client sent it. */
  spec: Record<string, unknown>;
  returnOld: boolean;
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

export function parseWriteRequest(input: unknown): { actions: WriteAction[]; token: string | undefined } {
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

export function parseGetRequest(input: unknown): Array<Record<string, unknown>> {
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
