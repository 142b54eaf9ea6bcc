// The Scheduler emulator's state: schedule groups and schedules, in one JSON file under dataDir so
// armed timers survive a restart (one due meanwhile fires at the first check after it).
import * as z from 'zod';
import { ServiceError } from '../aws-json-protocol.ts';
import { loadStateIn, PersistedState } from '../state-file.ts';

const STATE_FILE = 'scheduler.json';
export const DEFAULT_GROUP = 'default';

/** A name of a schedule or a group: 1-64 of `[0-9a-zA-Z-_.]`. */
export const NameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[0-9a-zA-Z\-_.]+$/);

const Arn = z.string().min(1).max(1600);

/** The target as it travels on the wire. Only its Lambda-shaped fields are kept. */
export const TargetSchema = z.object({
  Arn,
  RoleArn: Arn,
  Input: z.string().min(1).optional(),
  RetryPolicy: z
    .object({
      MaximumEventAgeInSeconds: z.number().int().min(60).max(86_400).optional(),
      MaximumRetryAttempts: z.number().int().min(0).max(185).optional(),
    })
    .optional(),
  DeadLetterConfig: z.object({ Arn: Arn.optional() }).optional(),
});
export type Target = z.infer<typeof TargetSchema>;

export const FlexibleTimeWindowSchema = z.object({
  Mode: z.enum(['OFF', 'FLEXIBLE']),
  MaximumWindowInMinutes: z.number().int().min(1).max(1440).optional(),
});

const ScheduleSchema = z.object({
  arn: z.string(),
  name: z.string(),
  groupName: z.string(),
  expression: z.string(),
  timezone: z.string(),
  flexibleTimeWindow: FlexibleTimeWindowSchema,
  target: TargetSchema,
  state: z.enum(['ENABLED', 'DISABLED']),
  actionAfterCompletion: z.enum(['NONE', 'DELETE']),
  description: z.string().optional(),
  startDate: z.number().optional(),
  endDate: z.number().optional(),
  kmsKeyArn: z.string().optional(),
  creationDate: z.number(),
  lastModificationDate: z.number(),
  /** Bumped by each update, so a delivery that ends after one leaves the new definition alone. */
  revision: z.number().int(),
  /** When it fires (ms since the epoch); absent once a one-time schedule has fired. */
  due: z.number().optional(),
});
export type StoredSchedule = z.infer<typeof ScheduleSchema>;

const GroupSchema = z.object({ arn: z.string(), creationDate: z.number(), lastModificationDate: z.number() });
export type StoredGroup = z.infer<typeof GroupSchema>;

const StateSchema = z.object({
  groups: z.record(z.string(), GroupSchema),
  /** By `<group>/<name>`. */
  schedules: z.record(z.string(), ScheduleSchema),
});
type State = z.infer<typeof StateSchema>;

export function scheduleKey(groupName: string, name: string): string {
  return `${groupName}/${name}`;
}

export const notFound = (what: string) => new ServiceError('ResourceNotFoundException', `${what} does not exist.`, 404);
export const conflict = (what: string) => new ServiceError('ConflictException', `${what} already exists.`, 409);

/** Groups and schedules, saved whole after each change. */
export class SchedulerStore extends PersistedState<State> {
  static async load(dataDir: string): Promise<SchedulerStore> {
    const { file, state } = await loadStateIn(dataDir, STATE_FILE, StateSchema, () => ({ groups: {}, schedules: {} }), 'Scheduler');
    return new SchedulerStore(file, state);
  }

  /** A group created by CreateScheduleGroup; `default` is not one, it always exists (hasGroup). */
  group(name: string): StoredGroup | undefined {
    return this.state.groups[name];
  }

  hasGroup(name: string): boolean {
    return name === DEFAULT_GROUP || this.state.groups[name] !== undefined;
  }

  requireGroup(name: string): void {
    if (!this.hasGroup(name)) throw notFound(`Schedule group ${name}`);
  }

  addGroup(name: string, group: StoredGroup): void {
    this.state.groups[name] = group;
  }

  schedule(key: string): StoredSchedule | undefined {
    return this.state.schedules[key];
  }

  find(groupName: string, name: string): StoredSchedule {
    this.requireGroup(groupName);
    const schedule = this.schedule(scheduleKey(groupName, name));
    if (!schedule) throw notFound(`Schedule ${name}`);
    return schedule;
  }

  put(schedule: StoredSchedule): void {
    this.state.schedules[scheduleKey(schedule.groupName, schedule.name)] = schedule;
  }

  remove(key: string): void {
    delete this.state.schedules[key];
  }

  /** Every schedule, by key. */
  entries(): Array<[string, StoredSchedule]> {
    return Object.entries(this.state.schedules);
  }
}
