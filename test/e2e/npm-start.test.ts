import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_TABLE } from '../../local/stack.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { freePort, type MainRun, runMain } from '../support/npm-start.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

// What `npm start` runs (local/main.ts), as its own process: it says where it listens, seeds,
// keeps its data across a restart without seeding twice, and stops cleanly on Ctrl-C (SIGINT).
const dataDir = mkdtempSync(join(tmpdir(), 'plexsphere-start-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started extends Pick<MainRun, 'child' | 'exited'> {
  banner: string;
}

/** Starts local/main.ts and resolves once it says it is ready (or rejects with what it printed). */
async function start(port: number, ec2Port: number): Promise<Started> {
  const run = runMain({ dataDir, port, ec2Port });
  return { child: run.child, banner: await run.ready, exited: run.exited };
}

function dynamoUrlOf(banner: string): string {
  const url = /DynamoDB\s+(http\S+)/.exec(banner)?.[1];
  if (!url) throw new Error(`the banner names no DynamoDB endpoint:\n${banner}`);
  return url;
}

describe('npm start', () => {
  it('boots, seeds once, keeps its data across a restart, and stops on Ctrl-C', async () => {
    const [port, ec2Port] = [await freePort(), await freePort()];
    const first = await start(port, ec2Port);
    expect(first.banner).toContain(`http://localhost:${port}/v1`);
    expect(first.banner).toContain(`DOMAIN_ID=${FIXTURES.domain.id}`);
    expect(first.banner).toMatch(/seeded .*demo-cloud.*kubernetes-cloudless-node/);
    const bindings = await fetch(`http://localhost:${port}/v1/auth/idp-bindings?domain_id=${FIXTURES.domain.id}`);
    expect(bindings.status).toBe(200);
    const before = await tableSnapshot(dynamoUrlOf(first.banner), LOCAL_TABLE);
    expect(before.length).toBeGreaterThan(0);
    // A second start on the same data folder is refused in one line, and leaves the first alone.
    const [otherPort, otherEc2Port] = [await freePort(), await freePort()];
    await expect(start(otherPort, otherEc2Port)).rejects.toThrow(/exited with 1 .*\n.*error: the data folder .* is in use by another running npm start \(its pid file names process \d+\)/s);
    expect(await tableSnapshot(dynamoUrlOf(first.banner), LOCAL_TABLE)).toEqual(before);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);

    const second = await start(port, ec2Port);
    expect(second.banner).toContain('nothing changed');
    expect(await tableSnapshot(dynamoUrlOf(second.banner), LOCAL_TABLE)).toEqual(before);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 90_000);
});
