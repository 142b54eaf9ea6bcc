// A domain's audit trail on the single table, as a hash chain (functions/core/audit-chain.ts).
// Entries are keyed by their place (ENTRY#<seq>), so the base table reads a chain in order; GSI1
// lists them by id, as before the chain. A head item holds the newest seq and hash. An append reads
// the head, then in one transaction puts the entry under the next seq and moves the head,
// conditioned on the head it read: when the head moved meanwhile, another append won that seq, so
// read again and retry. So seqs are gap-free and each entry links to the one committed before it.
import { createHash } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditChain, AuditEntry, AuditLog, NewAuditEntry } from '../core/assignments/audit.ts';
import { AuditEntryViewSchema } from '../core/assignments/audit.ts';
import {
  type ChainFields,
  type ChainHead,
  ChainHeadSchema,
  type ChainVerdict,
  nextLink,
  type Sha256Hex,
  verifyChain,
} from '../core/audit-chain.ts';
import { UnavailableError } from '../core/errors.ts';
import { MAX_SEQ } from '../core/events/event.ts';
import type { Page, PageRequest } from '../core/pagination.ts';
import { auditKeys } from './dynamo/keys.ts';
import { inTurn, isTransactionConflict, raceBackOff } from './dynamo/turns.ts';
import { entityOf, type Item, putNewAction, type Table, type WriteAction } from './dynamo/table.ts';

export const sha256Hex: Sha256Hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Appends racing in one domain retry this often (each after a jittered wait) before giving up. */
const APPEND_ATTEMPTS = 50;
/** How often verify reads the head again when entries show past it (see readChain). */
const HEAD_REREADS = 3;

/** The head moves from what was read (nothing: the chain is empty) to the new link. */
function headAction(domainId: string, seen: ChainHead | undefined, link: ChainFields): WriteAction {
  const item = { ...auditKeys.head(domainId), seq: link.seq, hash: link.hash };
  if (!seen) return putNewAction(item);
  return {
    Put: {
      Item: item,
      ConditionExpression: '#seq = :seq AND #hash = :hash',
      ExpressionAttributeNames: { '#seq': 'seq', '#hash': 'hash' },
      ExpressionAttributeValues: { ':seq': seen.seq, ':hash': seen.hash },
    },
  };
}

/** The seq a chained entry's sort key names. */
const seqOfKey = (item: Item): number => Number(String(item.SK).slice('ENTRY#'.length));

export class DynamoAuditLog implements AuditLog, AuditChain {
  constructor(private readonly table: Table) {}

  append(entry: NewAuditEntry): Promise<void> {
    // Appends of this process take turns per domain (see turns.ts); other processes race on the head.
    return inTurn(`audit:${entry.domain_id}`, () => this.appendRacing(entry));
  }

  private async appendRacing(entry: NewAuditEntry): Promise<void> {
    const domainId = entry.domain_id;
    let head = await this.appendHead(domainId);
    for (let attempt = 1; ; attempt++) {
      const link = nextLink(entry, head, sha256Hex);
      const tried = await this.tryLink(link, head);
      if (tried.linked) return;
      if (attempt >= APPEND_ATTEMPTS) {
        throw new UnavailableError('audit_log_busy', `The audit trail of domain ${domainId} is busy; try again.`);
      }
      await raceBackOff(attempt);
      // The head the lost attempt's cancellation showed needs no read; after a conflict, read it.
      head = tried.seen !== undefined ? (tried.seen ?? undefined) : await this.appendHead(domainId);
    }
  }

  list(domainId: string, page: PageRequest): Promise<Page<AuditEntry>> {
    return this.table.listPage(auditKeys.list(domainId).GSI1PK, AuditEntryViewSchema, page);
  }

  async verify(domainId: string): Promise<ChainVerdict> {
    const { entries, head } = await this.readChain(domainId);
    return verifyChain(entries, head, sha256Hex);
  }

  /**
   * The chain as stored: every chained entry in seq order (all stored fields, so nothing added
   * goes unchecked) and the head. Entries are read before the head, so the head is at least as new
   * as any of them; entries a concurrent append committed in between are then read up to the head.
   */
  async readChain(domainId: string): Promise<{ entries: Item[]; head: ChainHead | undefined }> {
    const items = await this.entriesBetween(domainId, 1, MAX_SEQ);
    const lastSeq = items.length > 0 ? seqOfKey(items[items.length - 1] as Item) : 0;
    // A Query is only read-committed against transactions: it may show an entry whose head move a
    // read a moment later does not show yet. Read the head again a few times before calling that a break.
    let head = await this.chainHead(domainId);
    for (let retry = 0; retry < HEAD_REREADS && (head?.seq ?? 0) < lastSeq; retry++) {
      await new Promise((resolve) => setTimeout(resolve, 50 * (retry + 1)));
      head = await this.chainHead(domainId);
    }
    if (head && head.seq > lastSeq) items.push(...(await this.entriesBetween(domainId, lastSeq + 1, head.seq)));
    return { entries: items.map(entityOf), head };
  }

  /** The head as verify reads it: one that is not a head (changed by hand) checks as none, and the chain then fails on it. */
  private async chainHead(domainId: string): Promise<ChainHead | undefined> {
    const raw = await this.table.getRaw(auditKeys.head(domainId));
    const parsed = raw && ChainHeadSchema.safeParse(entityOf(raw));
    return parsed?.success ? parsed.data : undefined;
  }

  /** The head an append builds on; one that cannot be read as a head stops the trail rather than fork it. */
  private async appendHead(domainId: string): Promise<ChainHead | undefined> {
    const raw = await this.table.getRaw(auditKeys.head(domainId));
    if (!raw) return undefined;
    const parsed = ChainHeadSchema.safeParse(entityOf(raw));
    if (!parsed.success) throw new Error(`The audit chain head of domain ${domainId} is malformed; verify the chain.`);
    return parsed.data;
  }

  /**
   * One attempt to commit `link` after `head`. Not linked when another append got there first:
   * then `seen` is the head it moved to (null: none), when the cancellation showed it.
   */
  private async tryLink(
    link: NewAuditEntry & ChainFields,
    head: ChainHead | undefined,
  ): Promise<{ linked: true } | { linked: false; seen?: ChainHead | null }> {
    const domainId = link.domain_id;
    const entryItem = { ...auditKeys.entry(domainId, link.seq), ...auditKeys.list(domainId), GSI1SK: link.id, ...link };
    let cancelled: Awaited<ReturnType<Table['transact']>>;
    try {
      cancelled = await this.table.transact([putNewAction(entryItem), headAction(domainId, head, link)]);
    } catch (err) {
      // Table.transact retried TransactionConflict a few times and gave up: still a race, not a failure.
      if (isTransactionConflict(err)) return { linked: false };
      throw err;
    }
    if (!cancelled) return { linked: true };
    const headSeen = cancelled[1];
    if (headSeen?.failed) {
      if (!headSeen.item) return { linked: false, seen: null };
      const parsed = ChainHeadSchema.safeParse(entityOf(headSeen.item));
      return parsed.success ? { linked: false, seen: parsed.data } : { linked: false };
    }
    // The head is where it was read, yet an entry already holds the next seq: written around the
    // head, not by an append. Retrying cannot help.
    throw new Error(`The audit chain of domain ${domainId} holds an entry at seq ${link.seq} beyond its head; verify the chain.`);
  }

  /** Chained entries whose seq is from `from` to `to`, as stored, in seq order (a consistent, paged Query). */
  private async entriesBetween(domainId: string, from: number, to: number): Promise<Item[]> {
    const { PK, SK: low } = auditKeys.entry(domainId, from);
    const high = auditKeys.entry(domainId, to).SK;
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.table.client.send(
        new QueryCommand({
          TableName: this.table.name,
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :low AND :high',
          ExpressionAttributeValues: { ':pk': PK, ':low': low, ':high': high },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
