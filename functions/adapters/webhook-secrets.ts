// The webhooks' signing secrets in the vault (Secrets Manager), one secret per webhook named
// `plexsphere/<stage>/webhooks/<webhook id>`. The table holds only that name. The dispatcher reads a
// secret once per container and webhook and keeps it for a few minutes.
import type { Clock } from '../core/clock.ts';
import type { Vault } from '../core/vault.ts';
import type { WebhookSecrets } from '../core/webhooks/webhook.ts';
import { newWebhookSecret } from './webhook-signature.ts';

/** Where a stage's webhook secrets live (infra grants this prefix; test/infra holds the two equal). */
export function webhookSecretPrefix(stage: string): string {
  return `plexsphere/${stage}/webhooks/`;
}

const CACHE_MS = 5 * 60_000;

export class VaultWebhookSecrets implements WebhookSecrets {
  private readonly cache = new Map<string, { value: string; until: number }>();

  constructor(
    private readonly vault: Vault,
    private readonly stage: string,
    private readonly clock: Clock,
  ) {}

  async create(webhookId: string): Promise<{ name: string; secret: string }> {
    const name = `${webhookSecretPrefix(this.stage)}${webhookId}`;
    const secret = newWebhookSecret();
    await this.vault.create(name, secret);
    return { name, secret };
  }

  async read(name: string): Promise<string> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(name);
    if (cached && cached.until > now) return cached.value;
    const { value } = await this.vault.read(name);
    this.cache.set(name, { value, until: now + CACHE_MS });
    return value;
  }

  async remove(name: string): Promise<void> {
    this.cache.delete(name);
    await this.vault.remove(name);
  }
}
