import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaseScheduleName, MIN_LEAD_MS, SchedulerLeaseTimers } from '../../../functions/adapters/scheduler-lease-timers.ts';
import { newId } from '../../../functions/core/ids.ts';
import { type ConformanceSuite, schedulerClient } from '../backend.ts';
import { rejectionOf } from '../fixtures.ts';

// The lease timers' adapter against each backend's EventBridge Scheduler: what a schedule says once
// armed, armed again for the same time, and armed for another (one schedule per Resource and time,
// never moved). Neither moto nor this suite fires anything; when the local scheduler fires is
// tested in test/unit/local-scheduler.test.ts.

const ACCOUNT = '123456789012';
const HOUR = 3_600_000;

/** `at(...)` of a time, to the second (the adapter rounds up; these times are whole seconds). */
const at = (ms: number) => `at(${new Date(ms).toISOString().slice(0, 19)})`;

let groups = 0;

export const leaseTimersSuite: ConformanceSuite = (backend) => {
  describe('EventBridge Scheduler lease timers', () => {
    let client: SchedulerClient;
    let timers: SchedulerLeaseTimers;
    const groupName = `plexsphere-conformance-${process.pid}-${++groups}`;
    const targetArn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:plexsphere-conformance-lease-expiry`;
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/plexsphere-conformance-lease-scheduler`;
    // Whole seconds, hours ahead: nothing comes due while the suite runs.
    const base = Math.ceil(Date.now() / 1000) * 1000 + 24 * HOUR;
    /** The Resource's timer due at `ms` (a whole second). */
    const nameOf = (id: string, ms: number) => leaseScheduleName(id, ms / 1000);
    const get = (id: string, ms: number) => client.send(new GetScheduleCommand({ Name: nameOf(id, ms), GroupName: groupName }));
    const listed = async (id: string) =>
      (await client.send(new ListSchedulesCommand({ GroupName: groupName, NamePrefix: `lease-${id}-` }))).Schedules?.map((s) => s.Name).sort();
    /** A schedule as read, but for the request's metadata. */
    const definitionOf = (schedule: object) => ({ ...schedule, $metadata: undefined });
    /** What a schedule does, but for which timer it is and when it was made. */
    const armedAs = (schedule: object) =>
      definitionOf({ ...schedule, Arn: undefined, Name: undefined, ScheduleExpression: undefined, CreationDate: undefined, LastModificationDate: undefined });

    beforeAll(async () => {
      client = schedulerClient(backend());
      timers = new SchedulerLeaseTimers({ groupName, targetArn, roleArn }, client);
      await client.send(new CreateScheduleGroupCommand({ Name: groupName }));
    });
    afterAll(() => client.destroy());

    it('arms a one-time UTC schedule named by the Resource and its time, deleting itself, invoking the lease-expiry function with the id', async () => {
      const id = newId();
      await timers.arm(id, new Date(base));
      const schedule = await get(id, base);
      expect(schedule.Arn).toMatch(new RegExp(`^arn:aws:scheduler:${backend().region}:\\d{12}:schedule/${groupName}/lease-${id}-${base / 1000}$`));
      expect(schedule).toMatchObject({
        Name: `lease-${id}-${base / 1000}`,
        GroupName: groupName,
        ScheduleExpression: at(base),
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Target: { Arn: targetArn, RoleArn: roleArn, RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 } },
      });
      expect(JSON.parse(schedule.Target?.Input ?? '')).toEqual({ resource_id: id });
    });

    it('arms the same time twice as one schedule, left as it was (the ConflictException absorbed)', async () => {
      const id = newId();
      await timers.arm(id, new Date(base + HOUR));
      const first = await get(id, base + HOUR);
      // A time within the second before rounds up to the same timer.
      await timers.arm(id, new Date(base + HOUR));
      await timers.arm(id, new Date(base + HOUR - 500));
      expect(definitionOf(await get(id, base + HOUR))).toEqual(definitionOf(first));
      const schedules = await client.send(new ListSchedulesCommand({ GroupName: groupName, NamePrefix: `lease-${id}-` }));
      expect(schedules.Schedules?.map((s) => [s.Name, s.GroupName, s.State, s.Target?.Arn])).toEqual([
        [nameOf(id, base + HOUR), groupName, 'ENABLED', targetArn],
      ]);
    });

    it('never moves a timer: another time is another schedule, the earlier left in place', async () => {
      const id = newId();
      await timers.arm(id, new Date(base + HOUR));
      const first = await get(id, base + HOUR);
      await timers.arm(id, new Date(base + 2 * HOUR));
      await timers.arm(id, new Date(base + HOUR / 2));
      expect(definitionOf(await get(id, base + HOUR))).toEqual(definitionOf(first));
      const later = await get(id, base + 2 * HOUR);
      expect(later.ScheduleExpression).toBe(at(base + 2 * HOUR));
      // Alike but for the name and the time.
      expect(armedAs(later)).toEqual(armedAs(first));
      expect(await listed(id)).toEqual([nameOf(id, base + HOUR / 2), nameOf(id, base + HOUR), nameOf(id, base + 2 * HOUR)].sort());
    });

    it('arms a lease end already past a few seconds ahead, never in the past', async () => {
      const id = newId();
      const before = Date.now();
      await timers.arm(id, new Date(before - HOUR));
      const [name] = (await listed(id)) ?? [];
      const seconds = Number(name?.slice(`lease-${id}-`.length));
      const expression = (await get(id, seconds * 1000)).ScheduleExpression ?? '';
      const armedFor = Date.parse(`${expression.slice(3, -1)}Z`);
      expect(armedFor).toBe(seconds * 1000);
      expect(armedFor).toBeGreaterThanOrEqual(before + MIN_LEAD_MS);
      expect(armedFor).toBeLessThanOrEqual(Date.now() + MIN_LEAD_MS + 1000);
      await client.send(new DeleteScheduleCommand({ Name: nameOf(id, armedFor), GroupName: groupName }));
    });

    it('answers a taken name with ConflictException, and a deleted schedule with ResourceNotFoundException', async () => {
      const id = newId();
      await timers.arm(id, new Date(base));
      const input = {
        Name: nameOf(id, base),
        GroupName: groupName,
        ScheduleExpression: at(base),
        FlexibleTimeWindow: { Mode: 'OFF' as const },
        Target: { Arn: targetArn, RoleArn: roleArn },
      };
      // The model gives ConflictException status 409; moto 5.2 answers it with 400.
      expect(await rejectionOf(client.send(new CreateScheduleCommand(input)))).toMatchObject({
        name: 'ConflictException',
        $metadata: { httpStatusCode: backend().name === 'moto' ? 400 : 409 },
      });
      await client.send(new DeleteScheduleCommand({ Name: nameOf(id, base), GroupName: groupName }));
      // One at a time: a rejection not yet awaited would be reported as unhandled.
      for (const call of [() => get(id, base), () => client.send(new DeleteScheduleCommand({ Name: nameOf(id, base), GroupName: groupName }))]) {
        expect(await rejectionOf(call())).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
      }
      // Arming the same time again once its schedule is gone creates it anew.
      await timers.arm(id, new Date(base));
      expect((await get(id, base)).ScheduleExpression).toBe(at(base));
    });

    it('answers a schedule in a group that does not exist as the backend does', async () => {
      const error = await rejectionOf(
        new SchedulerLeaseTimers({ groupName: `${groupName}-missing`, targetArn, roleArn }, client).arm(newId(), new Date(base)),
      );
      if (backend().name === 'moto') {
        // moto 5.2 looks the group up unguarded and answers 500; AWS answers ResourceNotFoundException.
        expect(error).toMatchObject({ $metadata: { httpStatusCode: 500 } });
      } else {
        expect(error).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
      }
    });
  });
};
