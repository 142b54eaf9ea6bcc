import { ArnFormat, Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';

// A function that EventBridge Scheduler one-time schedules invoke (the lease-expiry function, the
// webhook dispatcher): its schedule group, the schedules' name prefix, the function and the role
// Scheduler assumes, all by fixed names, so that a stack arming timers needs no reference to the
// stack that owns them.

export interface TimerNames {
  /** The schedule group's name. */
  group: string;
  /** The prefix of the one-time schedules' names, which the grant to create them names. */
  schedulePrefix: string;
  /** The invoked function's name. */
  fn: string;
  /** The name of the role Scheduler assumes to invoke it. */
  role: string;
}

export function timerArns(scope: IConstruct, names: TimerNames) {
  const stack = Stack.of(scope);
  return {
    group: stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: names.group }),
    schedules: stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${names.group}/${names.schedulePrefix}*` }),
    fn: stack.formatArn({ service: 'lambda', resource: 'function', resourceName: names.fn, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    role: stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: names.role }),
  };
}

/** Arming a timer: create a schedule under the prefix, in the group (never replaced), handing Scheduler its role. */
export function grantScheduleCreate(grantee: IGrantable & IConstruct, names: TimerNames): void {
  const { schedules, role } = timerArns(grantee, names);
  Grant.addToPrincipal({ grantee, actions: ['scheduler:CreateSchedule'], resourceArns: [schedules] });
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [role],
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    }),
  );
}

/** The role only Scheduler, acting for this account's group, may assume; it may only invoke `fnArn`. */
export function schedulerRole(scope: Construct, id: string, names: TimerNames, fnArn: string, description: string) {
  const role = new Role(scope, id, {
    roleName: names.role,
    description,
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
      ArnEquals: { 'aws:SourceArn': timerArns(scope, names).group },
    }),
  });
  const invoke = role.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fnArn] }));
  return { role, invoke };
}
