import { Table } from '../../functions/adapters/dynamo/table.ts';
import { transactWithEvents } from '../../functions/adapters/event-log.ts';
import { eventDraft } from '../../functions/core/events/event.ts';
import { newId } from '../../functions/core/ids.ts';
import type { RunningStack } from '../../local/stack.ts';
import { snapshot } from './counters.ts';
import type { Table as PrintTable } from './report.ts';
import { type Summary, summarize } from './stats.ts';

// What writing an event costs a change: the same conditional update of one item, alone and then
// with its event (the domain's counter read, and the update, the counter and the event in one
// transaction), one after another on the embedded stack's DynamoDB. The per-provision figure
// multiplies by the eventful writes a provision makes (its created and three phase changes).

export interface EventWriteFigures {
  writes: number;
  alone: { requestsPerWrite: number; ms: Summary };
  withEvent: { requestsPerWrite: number; ms: Summary };
  eventfulWritesPerProvision: number;
  extraPerProvision: { requests: number; msAtP50: number };
}

/** Times `writes` sequential runs of `one`, and counts the DynamoDB requests they made. */
async function measure(stack: RunningStack, writes: number, one: (i: number) => Promise<void>) {
  const samples: number[] = [];
  const before = snapshot(stack).dynamoRequests;
  for (let i = 0; i < writes; i++) {
    const t = performance.now();
    await one(i);
    samples.push(performance.now() - t);
  }
  return { requestsPerWrite: (snapshot(stack).dynamoRequests - before) / writes, ms: summarize(samples) };
}

export async function eventWriteTable(stack: RunningStack, writes: number, table: PrintTable): Promise<EventWriteFigures> {
  const db = new Table(stack.tableName);
  const domainId = newId();
  const key = { PK: `BENCH#${newId()}`, SK: 'META' };
  await db.put({ ...key, n: 0 });
  const bump = (n: number) => ({
    Key: key,
    UpdateExpression: 'SET n = :next',
    ConditionExpression: 'n = :n',
    ExpressionAttributeValues: { ':n': n, ':next': n + 1 },
  });
  let n = 0;
  const alone = await measure(stack, writes, async () => {
    if (!(await db.update(bump(n)))) throw new Error('the bench item moved under the bench');
    n++;
  });
  const withEvent = await measure(stack, writes, async () => {
    const event = eventDraft({ domain_id: domainId, subject: { kind: 'resource', id: key.PK } }, 'resource.phase_changed', new Date().toISOString(), { phase: 'Ready' });
    // As the stores write it: read the item (its domain, the phase it leaves), commit, read it back
    // (a transaction answers no item).
    await db.getRaw(key);
    const { cancelled } = await transactWithEvents(db, [{ Update: bump(n) }], [event]);
    if (cancelled) throw new Error('the bench item moved under the bench');
    await db.getRaw(key);
    n++;
  });
  const eventfulWritesPerProvision = 4;
  const figures: EventWriteFigures = {
    writes,
    alone,
    withEvent,
    eventfulWritesPerProvision,
    extraPerProvision: {
      requests: (withEvent.requestsPerWrite - alone.requestsPerWrite) * eventfulWritesPerProvision,
      msAtP50: Math.round((withEvent.ms.p50 - alone.ms.p50) * eventfulWritesPerProvision * 10) / 10,
    },
  };
  table(
    `Event write overhead (${writes} sequential writes each, embedded DynamoDB)`,
    ['write', 'DynamoDB requests', 'p50 ms', 'p99 ms'],
    [
      ['conditional update alone', alone.requestsPerWrite, alone.ms.p50, alone.ms.p99],
      ['the same with its event, as the stores write it (item read, counter read, transaction, item read)', withEvent.requestsPerWrite, withEvent.ms.p50, withEvent.ms.p99],
      [
        `extra per provision (${eventfulWritesPerProvision} eventful writes)`,
        figures.extraPerProvision.requests,
        figures.extraPerProvision.msAtP50,
        '',
      ],
    ],
  );
  return figures;
}
