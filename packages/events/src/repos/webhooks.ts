import { randomBytes } from 'node:crypto';
import { newId, notFound } from '@switchboard/core';
import {
  type Db,
  keyset,
  type PageQuery,
  type Store,
  schema,
  toPage,
  withDbErrors,
} from '@switchboard/store';
import { and, eq } from 'drizzle-orm';
import { type WebhookFormat, type WebhookRow, webhooks } from '../tables.js';

export interface WebhookInput {
  url: string;
  eventTypes: string[];
  format?: WebhookFormat;
  agentId?: string | null;
  description?: string | null;
  enabled?: boolean;
}

/** A new signing secret: `whsec_` and 32 random bytes. */
export const generateSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** Names of the credentials that hold webhook secrets; visible (masked) in the credentials list. */
const secretName = (webhookId: string) => `webhook-signing-secret:${webhookId}`;
export const DEFAULT_SECRET_NAME = 'webhook-signing-secret:default';

/**
 * Webhooks. Each signing secret is a credential, so it is sealed with the master key like every
 * other secret, shown once at creation or rotation, and never returned again.
 */
export class WebhooksRepo {
  constructor(
    private readonly db: Db,
    private readonly credentials: Store['credentials'],
  ) {}

  async create(workspaceId: string, input: WebhookInput): Promise<{ webhook: WebhookRow; secret: string }> {
    const id = newId();
    const secret = generateSigningSecret();
    const cred = await this.credentials.create(workspaceId, { name: secretName(id), value: secret });
    try {
      const webhook = await withDbErrors(async () => {
        const [row] = await this.db
          .insert(webhooks)
          .values({
            id,
            workspaceId,
            url: input.url,
            eventTypes: input.eventTypes,
            format: input.format ?? 'switchboard',
            agentId: input.agentId ?? null,
            description: input.description ?? null,
            enabled: input.enabled ?? true,
            secretCredentialId: cred.id,
          })
          .returning();
        return row!;
      });
      return { webhook, secret };
    } catch (e) {
      await this.credentials.delete(workspaceId, cred.id).catch(() => {});
      throw e;
    }
  }

  async list(workspaceId: string, q: PageQuery) {
    const k = keyset(webhooks.createdAt, webhooks.id, q);
    const rows = await this.db
      .select()
      .from(webhooks)
      .where(and(eq(webhooks.workspaceId, workspaceId), k.where))
      .orderBy(...k.order)
      .limit(k.limit + 1);
    return toPage(rows, k.limit);
  }

  async get(workspaceId: string, id: string): Promise<WebhookRow> {
    const [row] = await this.db
      .select()
      .from(webhooks)
      .where(and(eq(webhooks.workspaceId, workspaceId), eq(webhooks.id, id)));
    if (!row) throw notFound('webhook', id);
    return row;
  }

  async update(workspaceId: string, id: string, patch: Partial<WebhookInput>): Promise<WebhookRow> {
    await this.get(workspaceId, id);
    return withDbErrors(async () => {
      const [row] = await this.db
        .update(webhooks)
        .set({
          ...(patch.url !== undefined ? { url: patch.url } : {}),
          ...(patch.eventTypes !== undefined ? { eventTypes: patch.eventTypes } : {}),
          ...(patch.format !== undefined ? { format: patch.format } : {}),
          ...(patch.agentId !== undefined ? { agentId: patch.agentId } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
          updatedAt: new Date(),
        })
        .where(and(eq(webhooks.workspaceId, workspaceId), eq(webhooks.id, id)))
        .returning();
      return row!;
    });
  }

  /** Deletes the webhook, its pending deliveries and its secret together. */
  async delete(workspaceId: string, id: string): Promise<void> {
    const hook = await this.get(workspaceId, id);
    await this.db.transaction(async (tx) => {
      await tx.delete(webhooks).where(and(eq(webhooks.workspaceId, workspaceId), eq(webhooks.id, id)));
      await tx
        .delete(schema.credentials)
        .where(
          and(
            eq(schema.credentials.workspaceId, workspaceId),
            eq(schema.credentials.id, hook.secretCredentialId),
          ),
        );
    });
  }

  /** A new secret; the old one stops working at once. */
  async rotateSecret(workspaceId: string, id: string): Promise<{ webhook: WebhookRow; secret: string }> {
    const webhook = await this.get(workspaceId, id);
    const secret = generateSigningSecret();
    await this.credentials.update(workspaceId, webhook.secretCredentialId, { value: secret });
    return { webhook, secret };
  }

  /**
   * The workspace's default secret signs deliveries to agent-config `webhookUrl`s; until one is
   * created those deliveries go unsigned. Creating it again replaces it.
   */
  async rotateDefaultSecret(workspaceId: string): Promise<string> {
    const secret = generateSigningSecret();
    const existing = await this.defaultSecretId(workspaceId);
    if (existing) await this.credentials.update(workspaceId, existing, { value: secret });
    else await this.credentials.create(workspaceId, { name: DEFAULT_SECRET_NAME, value: secret });
    return secret;
  }

  async defaultSecretId(workspaceId: string): Promise<string | null> {
    const [row] = await this.db
      .select({ id: schema.credentials.id })
      .from(schema.credentials)
      .where(
        and(
          eq(schema.credentials.workspaceId, workspaceId),
          eq(schema.credentials.name, DEFAULT_SECRET_NAME),
        ),
      );
    return row?.id ?? null;
  }
}
