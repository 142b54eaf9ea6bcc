// The embedded DynamoDB's change feed: what DynamoDB Streams and a Lambda event source mapping do on
// AWS, for the one thing the broker follows that way (new event items, for the webhook dispatcher).
// The transactions hand it the items each committed transaction inserted, in commit order (they
// call it under the write lock, once the transaction is durable); a subscriber gets them later, out
// of that write's request, as a Lambda event of DynamoDB Streams records (NEW_IMAGE), in batches,
// one batch at a time. A batch that fails is handed over again with backoff, from the first
// record the handler reported in `batchItemFailures` (or whole, when it threw), and dropped with an
// error line after `maxAttempts`, as a mapping with a failure destination would.
//
// It covers inserts made by TransactWriteItems (the only way event items are written); a single
// PutItem passes straight to dynalite and is not seen here. Tests can make it lose records
// (`lose(true)`): what commits meanwhile is never handed over, as records a mapping sent to its
// dead-letter queue, or never saw (one created at LATEST after they were written).
import { randomUUID } from 'node:crypto';
import type { Item } from './protocol.ts';

/** One record as a Lambda handler receives it from a DynamoDB stream. */
export interface StreamRecord {
  eventID: string;
  eventName: 'INSERT';
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  eventSourceARN: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: Item;
    NewImage: Item;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: 'NEW_IMAGE';
  };
}

/** An item a committed transaction created, in DynamoDB JSON. */
export interface Inserted {
  tableName: string;
  keys: Item;
  item: Item;
}

export interface Subscription {
  /** Which records the subscriber gets (the mapping's filter criteria). */
  filter: (record: StreamRecord) => boolean;
  /** Plays the function: answers `batchItemFailures` to have records handed over again. */
  deliver: (event: { Records: StreamRecord[] }) => Promise<unknown>;
  batchSize?: number;
  maxAttempts?: number;
  /** The first retry's delay; each next one doubles (up to 5 s). */
  retryBaseMs?: number;
}

interface Subscriber extends Required<Subscription> {
  queue: StreamRecord[];
  pumping?: Promise<void> | undefined;
}

const REGION = 'us-east-1';

export class ChangeFeed {
  private readonly subscribers: Subscriber[] = [];
  private sequence = 0;
  private closed = false;
  private losing = false;

  subscribe(subscription: Subscription): void {
    this.subscribers.push({ batchSize: 100, maxAttempts: 10, retryBaseMs: 100, ...subscription, queue: [] });
  }

  /** Tests only: while on, committed items are never handed over (lost records). */
  lose(on: boolean): void {
    this.losing = on;
  }

  /** The items a transaction inserted, once it committed; delivery starts after the caller's turn. */
  publish(inserted: readonly Inserted[]): void {
    if (this.closed || this.losing || this.subscribers.length === 0 || inserted.length === 0) return;
    const records = inserted.map((change) => this.record(change));
    for (const subscriber of this.subscribers) {
      const wanted = records.filter((r) => subscriber.filter(r));
      if (wanted.length === 0) continue;
      subscriber.queue.push(...wanted);
      subscriber.pumping ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.pump(subscriber));
    }
  }

  /** Stops handing records over and waits for the batches in flight. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.subscribers.map((s) => s.pumping));
  }

  private record(change: Inserted): StreamRecord {
    this.sequence += 1;
    return {
      eventID: randomUUID().replaceAll('-', ''),
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: REGION,
      eventSourceARN: `arn:aws:dynamodb:${REGION}:000000000000:table/${change.tableName}/stream/local`,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: change.keys,
        NewImage: change.item,
        SequenceNumber: String(this.sequence).padStart(21, '0'),
        SizeBytes: Buffer.byteLength(JSON.stringify(change.item)),
        StreamViewType: 'NEW_IMAGE',
      },
    };
  }

  private async pump(subscriber: Subscriber): Promise<void> {
    let attempt = 0;
    while (!this.closed && subscriber.queue.length > 0) {
      const batch = subscriber.queue.slice(0, subscriber.batchSize);
      let retryFrom: number | undefined;
      try {
        retryFrom = firstFailure(batch, await subscriber.deliver({ Records: batch }));
      } catch (err) {
        retryFrom = 0;
        log('change feed: the subscriber failed a batch', { error: String(err), attempt: attempt + 1 });
      }
      if (retryFrom === undefined) {
        subscriber.queue.splice(0, batch.length);
        attempt = 0;
        continue;
      }
      subscriber.queue.splice(0, retryFrom);
      attempt += 1;
      if (attempt >= subscriber.maxAttempts) {
        const dropped = subscriber.queue.splice(0, batch.length - retryFrom);
        log('change feed: records dropped after their retries', { records: dropped.map((r) => r.dynamodb.SequenceNumber) });
        attempt = 0;
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, subscriber.retryBaseMs * 2 ** (attempt - 1))));
    }
    subscriber.pumping = undefined;
  }
}

/** The index of the first record the handler asked for again; undefined when it took the whole batch. */
function firstFailure(batch: StreamRecord[], answer: unknown): number | undefined {
  const failures = (answer as { batchItemFailures?: Array<{ itemIdentifier?: unknown }> } | undefined)?.batchItemFailures ?? [];
  const indexes = failures.map((f) => batch.findIndex((r) => r.dynamodb.SequenceNumber === f.itemIdentifier)).filter((i) => i >= 0);
  return indexes.length > 0 ? Math.min(...indexes) : undefined;
}

function log(message: string, fields: Record<string, unknown>): void {
  console.error(JSON.stringify({ level: 'error', message, ...fields }));
}
