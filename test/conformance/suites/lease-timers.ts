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
// armed and re-armed. Neither moto nor this suite fires anything; when the local scheduler fires is
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
    const get = (id: string) => client.send(new GetScheduleCommand({ Name: leaseScheduleName(id), GroupName: groupName }));

    beforeAll(async () => {
      client = schedulerClient(backend());
      timers = new SchedulerLeaseTimers({ groupName, targetArn, roleArn }, client);
      await client.send(new CreateScheduleGroupCommand({ Name: groupName }));
    });
    afterAll(() => client.destroy());

    it('arms a one-time UTC schedule named by the Resource, deleting itself, invoking the lease-expiry function with the id', async () => {
      const id = newId();
      await timers.arm(id, new Date(base));
      const schedule = await get(id);
      expect(schedule.Arn).toMatch(new RegExp(`^arn:aws:scheduler:${backend().region}:\\d{12}:schedule/${groupName}/lease-${id}$`));
      expect(schedule).toMatchObject({
        Name: `lease-${id}`,
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

    it('re-arms in place: one schedule, at the new time, the rest unchanged', async () => {
      const id = newId();
      await timers.arm(id, new Date(base + HOUR));
      const first = await get(id);
      await timers.arm(id, new Date(base + 2 * HOUR));
      const second = await get(id);
      expect(second.ScheduleExpression).toBe(at(base + 2 * HOUR));
      expect({ ...second, ScheduleExpression: undefined, LastModificationDate: undefined, $metadata: undefined }).toEqual({
        ...first,
        ScheduleExpression: undefined,
        LastModificationDate: undefined,
        $metadata: undefined,
      });
      const listed = await client.send(new ListSchedulesCommand({ GroupName: groupName, NamePrefix: `lease-${id}` }));
      expect(listed.Schedules?.map((s) => [s.Name, s.GroupName, s.State, s.Target?.Arn])).toEqual([[`lease-${id}`, groupName, 'ENABLED', targetArn]]);
    });

    it('arms a lease end already past a few seconds ahead, never in the past', async () => {
      const id = newId();
      const before = Date.now();
      await timers.arm(id, new Date(before - HOUR));
      const expression = (await get(id)).ScheduleExpression ?? '';
      const armedFor = Date.parse(`${expression.slice(3, -1)}Z`);
      expect(armedFor).toBeGreaterThanOrEqual(before + MIN_LEAD_MS - 1000);
      expect(armedFor).toBeLessThanOrEqual(Date.now() + MIN_LEAD_MS + 1000);
      await client.send(new DeleteScheduleCommand({ Name: leaseScheduleName(id), GroupName: groupName }));
    });

    it('answers a taken name with ConflictException, and a deleted schedule with ResourceNotFoundException', async () => {
      const id = newId();
      await timers.arm(id, new Date(base));
      const input = {
        Name: leaseScheduleName(id),
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
      await client.send(new DeleteScheduleCommand({ Name: leaseScheduleName(id), GroupName: groupName }));
      for (const call of [get(id), client.send(new DeleteScheduleCommand({ Name: leaseScheduleName(id), GroupName: groupName }))]) {
        expect(await rejectionOf(call)).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
      }
      // Arming again after the schedule is gone (it fired and deleted itself) creates it anew.
      await timers.arm(id, new Date(base + HOUR));
      expect((await get(id)).ScheduleExpression).toBe(at(base + HOUR));
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
