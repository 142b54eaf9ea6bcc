// What the webhooks are granted on AWS, as rendered IAM permissions: shared by test/infra/app.test.ts (every
// group's permissions) and webhooks.test.ts (the dispatcher's).

const arn = (service: string, resource: string, region = `\${AWS::Region}`) =>
  `arn:\${AWS::Partition}:${service}:${region}:\${AWS::AccountId}:${resource}`;

export function webhookGrants(stage: string) {
  const schedules = arn('scheduler', `schedule/plexsphere-${stage}-webhooks/wh-*`);
  const secrets = arn('secretsmanager', `secret:plexsphere/${stage}/webhooks/*`);
  const armTimers = [
    `scheduler:CreateSchedule ${schedules}`,
    `iam:PassRole ${arn('iam', `role/plexsphere-${stage}-webhook-scheduler`, '')}`,
  ];
  return {
    schedules,
    secrets,
    armTimers,
    /** The wildcard resources they hold: name prefixes. */
    wildcards: [schedules, secrets],
    /** The webhooks API group's, beyond the signing key: vault and delete a secret, arm a timer (redeliver). */
    apiGroup: [`secretsmanager:CreateSecret ${secrets}`, `secretsmanager:DeleteSecret ${secrets}`, ...armTimers],
  };
}
