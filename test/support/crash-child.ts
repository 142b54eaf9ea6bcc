// A process that dies half-way through one transaction: it starts the local DynamoDB on a data
// folder, sets up what the scenario needs, then runs the scenario's one write and kills itself
// with SIGKILL once `crashAfter` of that transaction's actions are applied (no cleanup, no journal
// clearing), as a crashed Lambda or a pulled plug would leave it. test/unit/crash-atomicity.test.ts starts it.
import { documentClient, Table } from '../../functions/adapters/dynamo/table.ts';
import { DynamoNodeStore } from '../../functions/adapters/node-store.ts';
import { DynamoResourceStore } from '../../functions/adapters/resource-store.ts';
import { DynamoTenancyStore } from '../../functions/adapters/tenancy-store.ts';
import type { Enrolment } from '../../functions/core/enrolment/ports.ts';
import type { Resource } from '../../functions/core/resources.ts';
import type { Project } from '../../functions/core/tenancy.ts';
import { ensureTable, startDynamo } from '../../local/dynamodb.ts';
import { LOCAL_AWS_ENV } from './dynamo.ts';

export interface CrashScenario {
  dataDir: string;
  table: string;
  crashAfter: number;
  project: Project;
  /** With these, the crashing write is the node's enrolment; without, the project's create. */
  enrolment?: { resource: Resource; enrolment: Enrolment };
}

const scenario = JSON.parse(process.argv[2] as string) as CrashScenario;
let armed = false;
const dynamo = await startDynamo({
  dataDir: scenario.dataDir,
  onActionApplied: (applied) => {
    if (armed && applied >= scenario.crashAfter) process.kill(process.pid, 'SIGKILL');
  },
});
Object.assign(process.env, LOCAL_AWS_ENV, { AWS_ENDPOINT_URL_DYNAMODB: dynamo.url });
await ensureTable(dynamo.url, scenario.table);
const table = new Table(scenario.table, documentClient());
const tenancy = new DynamoTenancyStore(table);
if (scenario.enrolment) {
  await tenancy.createProject(scenario.project);
  await new DynamoResourceStore(table).create(scenario.enrolment.resource);
  armed = true;
  await new DynamoNodeStore(table).enrol(scenario.enrolment.enrolment);
} else {
  armed = true;
  await tenancy.createProject(scenario.project);
}
// Reaching this line means the transaction finished before the crash point: the test fails on it.
console.log('survived');
await dynamo.close();
