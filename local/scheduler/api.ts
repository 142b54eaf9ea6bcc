// In-process emulator of the EventBridge Scheduler REST-JSON API, the part the lease timers use:
// Create/Update/Get/Delete/List schedules and Create/Get schedule groups. Only one-time at()
// schedules in UTC are taken (they are what it fires, firing.ts); errors are the modeled ones
// (ConflictException 409, ResourceNotFoundException 404, ValidationException 400), which the SDK
// maps to its exception classes. State lives in one JSON file under dataDir (store.ts).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import * as z from 'zod';
import { type Clock, systemClock } from '../../functions/core/clock.ts';
import { fail, parseJson, runOperation, ServiceError, signedRegion } from '../aws-json-protocol.ts';
import { closeIdleServer, endpointUrl, listen } from '../net.ts';
import { readBodyText } from '../state-file.ts';
import { type FiringOptions, type InvokeTarget, ScheduleFiring } from './firing.ts';
import {
  conflict,
  DEFAULT_GROUP,
  FlexibleTimeWindowSchema,
  NameSchema,
  SchedulerStore,
  type StoredSchedule,
  scheduleKey,
  TargetSchema,
} from './store.ts';

const ACCOUNT = '000000000000';
const DEFAULT_REGION = 'us-east-1';
const MAX_BODY_BYTES = 256 * 1024;
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
// What GetSchedule shows for a target sent without a RetryPolicy.
const DEFAULT_RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 };

const Definition = z.object({
  Name: NameSchema,
  GroupName: NameSchema.optional(),
  ScheduleExpression: z.string().min(1).max(256),
  ScheduleExpressionTimezone: z.string().min(1).max(50).optional(),
  FlexibleTimeWindow: FlexibleTimeWindowSchema,
  Target: TargetSchema,
  Description: z.string().max(512).optional(),
  State: z.enum(['ENABLED', 'DISABLED']).optional(),
  ActionAfterCompletion: z.enum(['NONE', 'DELETE']).optional(),
  StartDate: z.number().optional(),
  EndDate: z.number().optional(),
  KmsKeyArn: z.string().min(1).max(2048).optional(),
  ClientToken: z.string().min(1).max(64).optional(),
});
type DefinitionInput = z.infer<typeof Definition>;
const Named = z.object({ Name: NameSchema, GroupName: NameSchema.optional(), ClientToken: z.string().optional() });

/** The operations served and the input each takes (path and query parameters merged into the body). */
const INPUTS = {
  CreateSchedule: Definition,
  UpdateSchedule: Definition,
  GetSchedule: Named,
  DeleteSchedule: Named,
  ListSchedules: z.object({
    GroupName: NameSchema.optional(),
    NamePrefix: z.string().min(1).max(64).optional(),
    State: z.enum(['ENABLED', 'DISABLED']).optional(),
    NextToken: z.string().regex(/^\d+$/).optional(),
    MaxResults: z.coerce.number().int().min(1).max(100).optional(),
  }),
  CreateScheduleGroup: z.object({
    Name: NameSchema,
    ClientToken: z.string().optional(),
    Tags: z.array(z.object({ Key: z.string(), Value: z.string() })).optional(),
  }),
  GetScheduleGroup: z.object({ Name: NameSchema }),
};
type Input<K extends keyof typeof INPUTS> = z.infer<(typeof INPUTS)[K]>;

const epochSeconds = (ms: number) => ms / 1000;

/** When a one-time schedule is due (ms since the epoch); anything else is refused. */
function dueOf(expression: string, timezone: string): number {
  if (timezone !== 'UTC') fail('ValidationException', 'The local Scheduler emulator takes ScheduleExpressionTimezone UTC only.');
  const match = AT.exec(expression);
  if (!match) {
    if (/^(rate|cron)\(/.test(expression)) fail('ValidationException', 'The local Scheduler emulator runs one-time at() schedules only.');
    fail('ValidationException', `Invalid Schedule Expression ${expression}.`);
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2026-02-30 over into March; AWS refuses it.
  if (new Date(ms).toISOString().slice(0, 19) !== expression.slice(3, -1)) fail('ValidationException', `Invalid Schedule Expression ${expression}.`);
  return ms;
}

function checkWindow(window: DefinitionInput['FlexibleTimeWindow']): void {
  if ((window.Mode === 'FLEXIBLE') !== (window.MaximumWindowInMinutes !== undefined)) {
    fail('ValidationException', 'MaximumWindowInMinutes is required with Mode FLEXIBLE and refused with Mode OFF.');
  }
}

class Scheduler {
  constructor(
    private readonly store: SchedulerStore,
    private readonly firing: ScheduleFiring,
    private readonly clock: Clock,
  ) {}

  handle(operation: string, input: unknown, region: string): Promise<unknown> {
    return runOperation(this, INPUTS, operation, input, 'ValidationException', region);
  }

  async CreateSchedule(input: Input<'CreateSchedule'>, region: string) {
    const groupName = input.GroupName ?? DEFAULT_GROUP;
    this.store.requireGroup(groupName);
    if (this.store.schedule(scheduleKey(groupName, input.Name))) throw conflict(`Schedule ${input.Name}`);
    const now = epochSeconds(this.clock.now().getTime());
    const arn = `arn:aws:scheduler:${region}:${ACCOUNT}:schedule/${groupName}/${input.Name}`;
    return this.write({ ...this.definition(input, groupName), arn, creationDate: now, lastModificationDate: now, revision: 1 });
  }

  async UpdateSchedule(input: Input<'UpdateSchedule'>) {
    const groupName = input.GroupName ?? DEFAULT_GROUP;
    const current = this.store.find(groupName, input.Name);
    // Every field is replaced: one left out goes back to its default, as on AWS.
    return this.write({
      ...this.definition(input, groupName),
      arn: current.arn,
      creationDate: current.creationDate,
      lastModificationDate: epochSeconds(this.clock.now().getTime()),
      revision: current.revision + 1,
    });
  }

  GetSchedule(input: Input<'GetSchedule'>) {
    const s = this.store.find(input.GroupName ?? DEFAULT_GROUP, input.Name);
    return {
      Arn: s.arn,
      Name: s.name,
      GroupName: s.groupName,
      ScheduleExpression: s.expression,
      ScheduleExpressionTimezone: s.timezone,
      FlexibleTimeWindow: s.flexibleTimeWindow,
      Target: { ...s.target, RetryPolicy: { ...DEFAULT_RETRY_POLICY, ...s.target.RetryPolicy } },
      State: s.state,
      ActionAfterCompletion: s.actionAfterCompletion,
      Description: s.description,
      StartDate: s.startDate,
      EndDate: s.endDate,
      KmsKeyArn: s.kmsKeyArn,
      CreationDate: s.creationDate,
      LastModificationDate: s.lastModificationDate,
    };
  }

  async DeleteSchedule(input: Input<'DeleteSchedule'>) {
    const s = this.store.find(input.GroupName ?? DEFAULT_GROUP, input.Name);
    const key = scheduleKey(s.groupName, s.name);
    this.store.remove(key);
    this.firing.track(key);
    await this.store.save();
    return {};
  }

  ListSchedules(input: Input<'ListSchedules'>) {
    if (input.GroupName) this.store.requireGroup(input.GroupName);
    const matching = this.store
      .entries()
      .map(([, s]) => s)
      .filter((s) => (!input.GroupName || s.groupName === input.GroupName) && (!input.State || s.state === input.State))
      .filter((s) => !input.NamePrefix || s.name.startsWith(input.NamePrefix))
      .sort((a, b) => scheduleKey(a.groupName, a.name).localeCompare(scheduleKey(b.groupName, b.name)));
    const start = Number(input.NextToken ?? 0);
    const end = start + (input.MaxResults ?? 100);
    return {
      Schedules: matching.slice(start, end).map((s) => ({
        Arn: s.arn,
        Name: s.name,
        GroupName: s.groupName,
        State: s.state,
        CreationDate: s.creationDate,
        LastModificationDate: s.lastModificationDate,
        Target: { Arn: s.target.Arn },
      })),
      NextToken: end < matching.length ? String(end) : undefined,
    };
  }

  async CreateScheduleGroup(input: Input<'CreateScheduleGroup'>, region: string) {
    if (this.store.hasGroup(input.Name)) throw conflict(`Schedule group ${input.Name}`);
    const now = epochSeconds(this.clock.now().getTime());
    const arn = groupArn(region, input.Name);
    this.store.addGroup(input.Name, { arn, creationDate: now, lastModificationDate: now });
    await this.store.save();
    return { ScheduleGroupArn: arn };
  }

  GetScheduleGroup(input: Input<'GetScheduleGroup'>, region: string) {
    this.store.requireGroup(input.Name);
    const group = this.store.group(input.Name);
    return {
      Arn: group?.arn ?? groupArn(region, input.Name),
      Name: input.Name,
      State: 'ACTIVE',
      CreationDate: group?.creationDate,
      LastModificationDate: group?.lastModificationDate,
    };
  }

  private definition(input: DefinitionInput, groupName: string) {
    const timezone = input.ScheduleExpressionTimezone ?? 'UTC';
    checkWindow(input.FlexibleTimeWindow);
    return {
      name: input.Name,
      groupName,
      expression: input.ScheduleExpression,
      timezone,
      flexibleTimeWindow: input.FlexibleTimeWindow,
      target: input.Target,
      state: input.State ?? 'ENABLED',
      actionAfterCompletion: input.ActionAfterCompletion ?? 'NONE',
      description: input.Description,
      startDate: input.StartDate,
      endDate: input.EndDate,
      kmsKeyArn: input.KmsKeyArn,
      // A time already past fires at the next check (AWS's docs do not say; the lease timers never send one).
      due: dueOf(input.ScheduleExpression, timezone),
    } satisfies Partial<StoredSchedule>;
  }

  private async write(schedule: StoredSchedule) {
    this.store.put(schedule);
    this.firing.track(scheduleKey(schedule.groupName, schedule.name));
    await this.store.save();
    return { ScheduleArn: schedule.arn };
  }
}

function groupArn(region: string, name: string): string {
  return `arn:aws:scheduler:${region}:${ACCOUNT}:schedule-group/${name}`;
}

/** The operation a method and path name, with the path's Name; undefined for a route not served. */
function route(method: string | undefined, path: string): { operation: keyof typeof INPUTS; name?: string } | undefined {
  const [, collection, encoded, extra] = path.split('/');
  if (extra !== undefined) return undefined;
  let name: string | undefined;
  try {
    name = encoded === undefined ? undefined : decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  if (collection === 'schedules' && name === undefined) return method === 'GET' ? { operation: 'ListSchedules' } : undefined;
  const operations: Record<string, Partial<Record<string, keyof typeof INPUTS>>> = {
    schedules: { POST: 'CreateSchedule', PUT: 'UpdateSchedule', GET: 'GetSchedule', DELETE: 'DeleteSchedule' },
    'schedule-groups': { POST: 'CreateScheduleGroup', GET: 'GetScheduleGroup' },
  };
  const operation = operations[collection ?? '']?.[method ?? ''];
  return operation && name !== undefined ? { operation, name } : undefined;
}

/** The operation's input: the JSON body with the path's Name and the query's parameters. */
async function inputOf(req: IncomingMessage, url: URL, name: string | undefined): Promise<Record<string, unknown>> {
  const text = await readBodyText(req, MAX_BODY_BYTES, () => {
    throw new ServiceError('ValidationException', 'Request body too large.', 413);
  });
  const parsed = text === '' ? { ok: true as const, value: {} } : parseJson(text);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) fail('ValidationException', 'Request body is not a JSON object.');
  const query = url.searchParams;
  const fromQuery = {
    GroupName: query.get('groupName') ?? query.get('ScheduleGroup') ?? undefined,
    NamePrefix: query.get('NamePrefix') ?? undefined,
    State: query.get('State') ?? undefined,
    NextToken: query.get('NextToken') ?? undefined,
    MaxResults: query.get('MaxResults') ?? undefined,
    ClientToken: query.get('clientToken') ?? undefined,
  };
  const defined = Object.fromEntries(Object.entries(fromQuery).filter(([, v]) => v !== undefined));
  return { ...defined, ...(parsed.value as Record<string, unknown>), ...(name !== undefined && { Name: name }) };
}

/** A REST-JSON answer; an error names its type in x-amzn-errortype, its text in `Message`. */
function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...(errorType && { 'x-amzn-errortype': errorType }),
  });
  res.end(payload);
}

export interface LocalScheduler {
  url: string;
  port: number;
  /** Fires every schedule due by the clock now; resolves once each has been delivered (or failed) once. */
  wake(): Promise<void>;
  stats: ScheduleFiring['stats'];
  /** Stops firing (waiting for deliveries in flight) and the server. */
  close(): Promise<void>;
}

export async function startScheduler(
  opts: { dataDir: string; port?: number; host?: string; clock?: Clock; invoke: InvokeTarget } & Omit<FiringOptions, 'clock' | 'invoke'>,
): Promise<LocalScheduler> {
  const clock = opts.clock ?? systemClock;
  const store = await SchedulerStore.load(opts.dataDir);
  const firing = new ScheduleFiring(store, { ...opts, clock });
  const service = new Scheduler(store, firing, clock);
  const host = opts.host ?? '127.0.0.1';
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://scheduler.local');
      const target = route(req.method, url.pathname);
      if (!target) throw new ServiceError('UnknownOperationException', `No operation serves ${req.method} ${url.pathname}.`, 404);
      const input = await inputOf(req, url, target.name);
      send(res, 200, await service.handle(target.operation, input, signedRegion(req) ?? DEFAULT_REGION));
    } catch (error) {
      if (error instanceof ServiceError) {
        send(res, error.status, { Message: error.message }, error.type);
        return;
      }
      console.error(JSON.stringify({ level: 'error', message: 'local Scheduler failed a request', error: String(error) }));
      send(res, 500, { Message: 'An internal error occurred in the local emulator.' }, 'InternalServerException');
    }
  });
  const port = await listen(server, opts.port ?? 0, host);
  return {
    url: endpointUrl(host, port),
    port,
    wake: () => firing.wake(),
    stats: firing.stats,
    async close() {
      await firing.close();
      await closeIdleServer(server);
      await store.flush();
    },
  };
}
