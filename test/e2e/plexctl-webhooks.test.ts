import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/errors.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { detailLine, type Plexctl, signedInPlexctl } from '../support/plexctl.ts';
import { issueCredential } from '../support/resources.ts';
import { DEMO_KEYS } from '../support/route-cases.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { waitFor } from '../support/wait.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';

// plexctl's webhook commands against the embedded stack: create (the secret printed once, with the
// warning), list, deliveries as a table, redeliver, delete.

let stack: TestStack;
let plexctl: Plexctl;
let receiver: Receiver;

beforeAll(async () => {
  stack = await startTestStack({ WEBHOOK_RETRY_BASE_SECONDS: '1' });
  plexctl = await signedInPlexctl(stack);
  receiver = await startReceiver(() => 204);
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await receiver?.close();
});

describe('plexctl webhook', () => {
  it('creates, lists, shows deliveries, redelivers and deletes', async () => {
    const domain = FIXTURES.domain.id;
    const created = await plexctl.run('webhook', 'create', '--domain-id', domain, '--url', receiver.url, '--event-type', 'assignment.requested', '--event-type', 'assignment.approved');
    expect(created.code, created.stderr).toBe(EXIT.ok);
    const secret = detailLine(created.stdout, 'Signing secret') ?? '';
    expect(secret).toMatch(/^whsec_/);
    expect(created.stdout).toContain('Store this secret now: the broker never shows it again');
    const id = detailLine(created.stdout, 'ID') ?? '';
    expect(detailLine(created.stdout, 'Event types')).toBe('assignment.requested, assignment.approved');

    const listed = await plexctl.run('webhook', 'list', '--domain-id', domain);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).not.toContain(secret);

    const refused = await plexctl.run('webhook', 'create', '--domain-id', domain, '--url', receiver.url, '--event-type', 'resource.exploded');
    expect(refused.code).not.toBe(EXIT.ok);
    expect(refused.stderr).toContain('invalid_event_type');

    const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: domain, name: 'Hooked', slug: `hooked-${Date.now().toString(36)}` });
    await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, { cloud_credential_id: await issueCredential(stack, DEMO_KEYS) });
    const [delivery] = await waitFor(async () => {
      const out = await plexctl.json('webhook', 'deliveries', id);
      return out.items[0]?.status === 'delivered' ? out.items : undefined;
    }, { what: 'the delivery' });
    const table = await plexctl.run('webhook', 'deliveries', id);
    expect(table.stdout.split('\n')[0]).toMatch(/^DELIVERY +SEQ +TYPE +SUBJECT +STATUS +ATTEMPTS +NEXT ATTEMPT/);
    expect(table.stdout).toMatch(new RegExp(`${delivery.id} .*assignment.requested .*delivered +1 \\(204\\) +-`));
    const received = receiver.received[0];
    expect(new StandardWebhook(secret).verify(received?.body ?? '', received?.headers as Record<string, string>)).toMatchObject({ id: delivery.id });

    const again = await plexctl.run('webhook', 'redeliver', id, delivery.id);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    expect(again.stdout).toContain(`Queued delivery ${delivery.id}`);
    await waitFor(async () => (receiver.received.length >= 2 ? true : undefined), { what: 'the redelivery' });
    expect(receiver.received[1]?.headers['webhook-id']).toBe(delivery.id);

    expect((await plexctl.run('webhook', 'delete', id)).code).toBe(EXIT.usage);
    const deleted = await plexctl.run('webhook', 'delete', id, '--yes');
    expect(deleted.code, deleted.stderr).toBe(EXIT.ok);
    const gone = await plexctl.run('webhook', 'deliveries', id);
    expect(gone.stderr).toContain('webhook_not_found');
  }, 60_000);

  it('lists the webhook commands in help', async () => {
    const help = await plexctl.run('--help');
    expect(help.stdout).toMatch(/Webhooks:\n {2}webhook create/);
    const create = await plexctl.run('webhook', 'create', '--help');
    expect(create.stdout).toContain('--event-type <type>   (required) an event type to deliver');
  });
});
