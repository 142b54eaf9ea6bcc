// plexctl events: a Domain's (or a Project's) event log, one line per event, and with --follow the
// events still to come, until Ctrl-C.
import type { DomainEvent, EventType } from '../../functions/core/events/event.ts';
import { type Args, boolFlag, type Command, listFlag, stringFlag } from '../command.ts';
import type { Context } from '../context.ts';
import { parseDuration } from '../duration.ts';
import { UsageError } from '../errors.ts';
import { type EventSource, followEvents, readPage } from './event-follow.ts';
import { eventLine } from './event-lines.ts';
import { result } from './shared.ts';

const NAME = 'events';
/** A follow catches up in pages of this many unless --limit says otherwise. */
const FOLLOW_LIMIT = 200;

/** --type, repeated or comma-separated, each checked against the broker's list before anything is sent. */
async function eventTypes(given: readonly string[]): Promise<EventType[]> {
  const { EVENT_TYPES } = await import('../../functions/core/events/event.ts');
  const types = given.flatMap((t) => t.split(',')).map((t) => {
    const known = EVENT_TYPES.find((k) => k === t.trim());
    if (known === undefined) throw new UsageError(`--type takes one of ${EVENT_TYPES.join(', ')}, not "${t.trim()}"`, NAME);
    return known;
  });
  return [...new Set(types)];
}

function wholeNumber(args: Args, flag: string, min: number, max: number): number | undefined {
  const raw = stringFlag(args, flag);
  if (raw === undefined) return undefined;
  if (!/^\d{1,12}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`--${flag} takes a whole number from ${min} to ${max}, not "${raw}"`, NAME);
  }
  return Number(raw);
}

interface Plan {
  source: EventSource;
  what: string;
  afterSeq: number;
  limit: number | undefined;
}

/** What the command line asks for: which log, after which seq, which types, how many per page. */
async function planOf(args: Args, ctx: Context): Promise<Plan> {
  const domainId = stringFlag(args, 'domain-id');
  const projectId = stringFlag(args, 'project-id');
  if (domainId !== undefined && projectId !== undefined) throw new UsageError('give --domain-id or --project-id, not both', NAME);
  const afterSeq = wholeNumber(args, 'after-seq', 0, 999_999_999_999) ?? 0;
  const limit = wholeNumber(args, 'limit', 1, 200);
  const types = await eventTypes(listFlag(args, 'type'));
  const query = { ...(types.length > 0 && { type: types }) };
  if (projectId !== undefined) {
    return { source: { path: '/v1/projects/{id}/events', id: projectId, query }, what: `project ${projectId}`, afterSeq, limit };
  }
  const domain = domainId ?? ctx.profile()?.domain_id;
  if (!domain) throw new UsageError('events needs --domain-id <id> or --project-id <id> (the profile names no domain)', NAME);
  return { source: { path: '/v1/domains/{id}/events', id: domain, query }, what: `domain ${domain}`, afterSeq, limit };
}

/** Events as they arrive: a line each, or one JSON object per line with --output json. */
function printer(ctx: Context): (events: readonly DomainEvent[]) => void {
  return (events) => {
    for (const e of events) ctx.out(`${ctx.output === 'json' ? JSON.stringify(e) : eventLine(e)}\n`);
  };
}

async function follow(ctx: Context, args: Args, plan: Plan): Promise<undefined> {
  const intervalMs = parseDuration(stringFlag(args, 'interval') ?? '1s', '--interval', NAME);
  const api = ctx.api();
  const limit = plan.limit ?? FOLLOW_LIMIT;
  const stop = new AbortController();
  // Ctrl-C ends a follow the way it is meant to end: with what was printed, and exit 0.
  const onInterrupt = () => stop.abort();
  process.once('SIGINT', onInterrupt);
  ctx.err(`Following the events of ${plan.what} after seq ${plan.afterSeq}; Ctrl-C stops.\n`);
  try {
    await followEvents(api, { ...plan.source, query: { ...plan.source.query, limit } }, {
      afterSeq: plan.afterSeq,
      limit,
      intervalMs,
      signal: stop.signal,
      sleep: (ms) => ctx.sleep(ms),
      print: printer(ctx),
      note: (text) => ctx.err(`${text}\n`),
    });
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  return undefined;
}

const events: Command = {
  path: ['events'],
  summary: "Show a Domain's or a Project's events in order; --follow prints new ones as they happen",
  description: [
    "The log of a Domain (its admins and auditors may read it; default: the profile's domain) or of one",
    'Project (whoever may read the project). One line per event: time, seq, type, subject, actor (broker when',
    'the broker acted by itself) and the gist of its data. seq counts 1, 2, 3 … per domain with no gaps.',
    'Without --follow one page is shown (--limit, default 50); "More:" says where the next one starts.',
    'With --follow the command keeps reading until Ctrl-C (exit 0). After a network error or a 5xx it',
    'reconnects with backoff and resumes after the last event printed: nothing twice, nothing missed.',
    'An expired session ends it (exit 3). --output json prints the page as the broker answers it, or with',
    '--follow one event per line (JSON Lines).',
  ].join('\n'),
  flags: {
    'domain-id': { type: 'string', placeholder: 'id', description: "the Domain whose log to read (default: the profile's)" },
    'project-id': { type: 'string', placeholder: 'id', description: "only this Project's events" },
    type: { type: 'string', placeholder: 'type', multiple: true, description: 'only events of this type, e.g. resource.phase_changed' },
    'after-seq': { type: 'string', placeholder: 'n', description: 'only events after seq n (default 0: from the first)' },
    limit: { type: 'string', placeholder: 'n', description: 'events per page, 1-200 (default 50; 200 with --follow)' },
    follow: { type: 'boolean', short: 'f', description: 'keep reading and print new events as they come, until Ctrl-C' },
    interval: { type: 'string', placeholder: 'duration', description: 'with --follow: how often to read (default 1s)' },
  },
  examples: [
    'plexctl events --profile operator',
    'plexctl events --project-id "$PROJECT_ID" --type resource.phase_changed --follow',
    'plexctl events --after-seq 120 --limit 20 --output json | jq -r \'.items[] | [.seq, .type] | @tsv\'',
  ],
  async run(ctx, args) {
    const plan = await planOf(args, ctx);
    if (boolFlag(args, 'follow')) return follow(ctx, args, plan);
    if (stringFlag(args, 'interval') !== undefined) throw new UsageError('--interval goes with --follow', NAME);
    const query = { ...plan.source.query, ...(plan.limit !== undefined && { limit: plan.limit }) };
    const page = await readPage(ctx.api(), { ...plan.source, query }, plan.afterSeq);
    const lines = page.items.map((e) => `${eventLine(e)}\n`).join('');
    const more = page.items.length > 0 && page.items.length >= (plan.limit ?? 50) ? `More: repeat with --after-seq ${page.next_after_seq}\n` : '';
    return result(page, page.items.length > 0 ? lines + more : 'No events.\n');
  },
};

export const EVENT_COMMANDS: readonly Command[] = [events];
