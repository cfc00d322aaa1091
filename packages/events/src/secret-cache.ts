import type { Store } from '@switchboard/store';
import { WebhooksRepo } from './repos/webhooks.js';

/**
 * Decrypted signing secrets, kept briefly so a burst of deliveries does not decrypt per request.
 * A rotated secret takes effect within `ttlMs`.
 */
export class SecretCache {
  readonly #entries = new Map<string, { value: string | null; until: number }>();
  readonly #webhooks: WebhooksRepo;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly ttlMs = 10_000,
  ) {
    this.#webhooks = new WebhooksRepo(store.database.db, store.credentials);
  }

  async credential(workspaceId: string, credentialId: string): Promise<string | null> {
    return this.#cached(`c:${credentialId}`, () => this.store.credentials.reveal(workspaceId, credentialId));
  }

  /** The workspace default secret for agent-config webhooks; null means deliver unsigned. */
  async workspaceDefault(workspaceId: string): Promise<string | null> {
    return this.#cached(`w:${workspaceId}`, async () => {
      const id = await this.#webhooks.defaultSecretId(workspaceId);
      return id ? this.store.credentials.reveal(workspaceId, id) : null;
    });
  }

  async #cached(key: string, load: () => Promise<string | null>): Promise<string | null> {
    const hit = this.#entries.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    const value = await load();
    if (this.#entries.size > 10_000) this.#entries.clear();
    this.#entries.set(key, { value, until: this.now() + this.ttlMs });
    return value;
  }
}
