// Helpers for the console's events and audit tests: causing assignment events through the API,
// signing in to another domain through the console, and changing an audit item behind the
// broker's back (as someone with table access could).
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { auditKeys } from '../../functions/adapters/dynamo/keys.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import type { TestStack } from './stack.ts';

export const DOMAIN = FIXTURES.domain.id;

let counter = 0;

/** The seeded demo credential's id (only its owner, the operator, may list the cloud's credentials). */
export async function demoCredentialId(stack: TestStack): Promise<string> {
  const res = await stack.call('operator', 'GET', `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`);
  expect(res.status, res.text).toBe(200);
  const demo = res.body.items.find((c: { display_name: string }) => c.display_name === FIXTURES.credential.displayName);
  expect(demo, 'the seeded demo credential').toBeDefined();
  return demo.id;
}

/** As the admin: a new project and a request for `credentialId` in it (one assignment.requested event). */
export async function requestInNewProject(stack: TestStack, credentialId: string, name: string): Promise<{ projectId: string; assignmentId: string }> {
  const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${++counter}`;
  const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name, slug });
  expect(project.status, project.text).toBe(201);
  const requested = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, { cloud_credential_id: credentialId });
  expect(requested.status, requested.text).toBe(201);
  return { projectId: project.body.id, assignmentId: requested.body.id };
}

/** The body rows of a table, each as its cells' text. */
export async function rowsOf(table: Locator): Promise<string[][]> {
  return table
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td: { textContent: string | null }) => td.textContent ?? '')));
}

/** Signs in through the console's own form to another domain (a seeded tenant's user). */
export async function signInTo(page: Page, who: { domainId: string; email: string; password: string }): Promise<void> {
  await page.getByLabel('Domain ID').fill(who.domainId);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'visible' });
}

interface ListedEntry {
  id: string;
  seq: number;
  action: string;
  target: string;
  hash: string;
}

/** Every entry of the domain's audit trail, through the API. */
export async function auditEntries(stack: TestStack): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await stack.call('operator', 'GET', `/v1/domains/${DOMAIN}/audit/entries?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status, page.text).toBe(200);
    entries.push(...page.body.items);
    cursor = page.body.next_cursor;
  } while (cursor);
  return entries;
}

/** Changes one attribute of a stored audit entry straight in the table, behind the broker's back. */
export async function tamperWithAuditEntry(stack: TestStack, seq: number, field: string, value: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint: stack.dynamoUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: stack.tableName,
        Key: marshall(auditKeys.entry(DOMAIN, seq)),
        UpdateExpression: 'SET #f = :v',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: { '#f': field },
        ExpressionAttributeValues: marshall({ ':v': value }),
      }),
    );
  } finally {
    client.destroy();
  }
}
