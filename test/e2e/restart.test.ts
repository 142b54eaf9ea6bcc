import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RESOURCE_TAG } from '../../functions/core/substrate.ts';
import { approvedProject, createResource, phasesOf, seededCatalog, untilPhase } from '../support/resources.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// `npm start` killed and started again in the middle of a provision: the new process finds the
// Resource with no run in flight, the reconciler resumes it, and EC2 relaunches the instance's agent.

const dataDir = mkdtempSync(join(tmpdir(), 'plexsphere-restart-'));
const stacks: TestStack[] = [];

afterAll(async () => {
  for (const s of stacks) await s.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('restart mid-provision', () => {
  it('resumes the provision after a restart and ends Ready, with the agent relaunched', async () => {
    // First process: the machine boots but its agent does not start, so the Resource waits in Enrolling.
    const first = await startTestStack({}, { dataDir, keepDataDir: true, startAgents: false, heartbeatIntervalMs: 500 });
    stacks.push(first);
    const catalog = await seededCatalog(first);
    const projectId = await approvedProject(first, catalog.demoCredentialId);
    const id = await createResource(first, projectId, catalog);
    const enrolling = await untilPhase(first, id, 'Enrolling');
    expect(enrolling.provisioning.generation).toBe(1);
    const instanceId = enrolling.provisioning.substrate.instance_id as string;
    await first.close();
    stacks.pop();
    const restartedAt = Date.now();

    // Second process, same data and the same gateway port (the agent's user data names it), with
    // the reconciler ticking and agents started as usual.
    const second = await startTestStack({}, { dataDir, port: first.port, reconcileIntervalMs: 200, heartbeatIntervalMs: 500 });
    stacks.push(second);
    const ready = await untilPhase(second, id, 'Ready');
    expect(phasesOf(ready)).toEqual(['Pending', 'Provisioning', 'Enrolling', 'Ready']);
    // One resumed run (the old one's writes are fenced off by the new generation).
    expect(ready.provisioning.generation).toBe(2);
    // The same machine, its agent started by the relaunch, registered after the restart.
    expect(second.ec2.instances().filter((i) => i.tags[RESOURCE_TAG] === id)).toEqual([expect.objectContaining({ instanceId, state: 'running' })]);
    expect(ready.provisioning.substrate.instance_id).toBe(instanceId);
    expect(Date.parse(ready.provisioning.node.registered_at)).toBeGreaterThanOrEqual(restartedAt);
    expect(Date.parse(ready.provisioning.node.last_heartbeat_at)).toBeGreaterThanOrEqual(restartedAt);
  });
});
