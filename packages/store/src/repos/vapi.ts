import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { withDbErrors } from '../errors.js';
import {
  agents,
  kbChunks,
  kbDocuments,
  knowledgeBases,
  type VapiSyncState,
  vapiAssistants,
  vapiKbFiles,
  vapiPhoneNumbers,
  vapiSettings,
} from '../schema.js';
import { type SecretBox, secretHint } from '../secrets.js';

/** What may leave the store about a workspace's Vapi settings: never the key or the secret. */
export interface VapiSettingsView {
  workspaceId: string;
  enabled: boolean;
  /** `••••abcd`. */
  maskedKey: string;
  createdAt: Date;
  updatedAt: Date;
}

export type VapiAssistantRow = typeof vapiAssistants.$inferSelect;

export interface VapiSyncView {
  agentId: string;
  linked: boolean;
  assistantId: string | null;
  syncedVersion: number | null;
  state: VapiSyncState;
  error: string | null;
  syncedAt: Date | null;
  updatedAt: Date;
}

const keyAad = (workspaceId: string) => `vapi-key:${workspaceId}`;
const secretAad = (workspaceId: string) => `vapi-server-secret:${workspaceId}`;

const settingsView = (r: typeof vapiSettings.$inferSelect): VapiSettingsView => ({
  workspaceId: r.workspaceId,
  enabled: r.enabled,
  maskedKey: `••••${r.hint}`,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

export const syncView = (r: VapiAssistantRow): VapiSyncView => ({
  agentId: r.agentId,
  linked: r.linked,
  assistantId: r.assistantId,
  syncedVersion: r.syncedVersion,
  state: r.state,
  error: r.error,
  syncedAt: r.syncedAt,
  updatedAt: r.updatedAt,
});

/** Vapi settings per workspace, and the sync state of each agent that runs (or ran) on Vapi. */
export class VapiRepo {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  async settings(workspaceId: string): Promise<VapiSettingsView | null> {
    const [row] = await this.db.select().from(vapiSettings).where(eq(vapiSettings.workspaceId, workspaceId));
    return row ? settingsView(row) : null;
  }

  /** The key and the server secret in clear, for the sync and the ingest check. Never for responses. */
  async reveal(
    workspaceId: string,
  ): Promise<{ enabled: boolean; privateKey: string; serverSecret: string } | null> {
    const [row] = await this.db.select().from(vapiSettings).where(eq(vapiSettings.workspaceId, workspaceId));
    if (!row) return null;
    return {
      enabled: row.enabled,
      privateKey: this.box.open(row.ciphertext, keyAad(workspaceId)),
      serverSecret: this.box.open(row.serverSecretCiphertext, secretAad(workspaceId)),
    };
  }

  /** Saves the settings; the server secret is made once and kept across later saves. */
  async saveSettings(
    workspaceId: string,
    input: { privateKey: string; enabled?: boolean | undefined },
  ): Promise<VapiSettingsView> {
    const sealedKey = this.box.seal(input.privateKey, keyAad(workspaceId));
    const secret = this.box.seal(randomBytes(24).toString('base64url'), secretAad(workspaceId));
    return withDbErrors(async () => {
      const [row] = await this.db
        .insert(vapiSettings)
        .values({
          workspaceId,
          enabled: input.enabled ?? true,
          ciphertext: sealedKey,
          hint: secretHint(input.privateKey),
          serverSecretCiphertext: secret,
        })
        .onConflictDoUpdate({
          target: vapiSettings.workspaceId,
          set: {
            ciphertext: sealedKey,
            hint: secretHint(input.privateKey),
            ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
            updatedAt: new Date(),
          },
        })
        .returning();
      return settingsView(row!);
    });
  }

  async deleteSettings(workspaceId: string): Promise<boolean> {
    const rows = await this.db
      .delete(vapiSettings)
      .where(eq(vapiSettings.workspaceId, workspaceId))
      .returning({ id: vapiSettings.workspaceId });
    return rows.length > 0;
  }

  async syncRow(workspaceId: string, agentId: string): Promise<VapiAssistantRow | null> {
    const [row] = await this.db
      .select()
      .from(vapiAssistants)
      .where(and(eq(vapiAssistants.workspaceId, workspaceId), eq(vapiAssistants.agentId, agentId)));
    return row ?? null;
  }

  async syncRows(workspaceId: string, agentIds?: readonly string[]): Promise<VapiAssistantRow[]> {
    return this.db
      .select()
      .from(vapiAssistants)
      .where(
        and(
          eq(vapiAssistants.workspaceId, workspaceId),
          agentIds ? inArray(vapiAssistants.agentId, [...agentIds]) : undefined,
        ),
      );
  }

  /** Agents of the workspace marked to run on Vapi. */
  async linkedAgentIds(workspaceId: string): Promise<string[]> {
    const rows = await this.db
      .select({ id: agents.id })
      .from(agents)
      .where(and(eq(agents.workspaceId, workspaceId), eq(agents.runOnVapi, true)));
    return rows.map((r) => r.id);
  }

  /**
   * Records that an agent's assistant must be brought in line (`linked` false: deleted). Creates
   * the row when there is none; keeps the assistant id when there is.
   */
  async markPending(workspaceId: string, agentId: string, linked: boolean): Promise<void> {
    await this.db
      .insert(vapiAssistants)
      .values({ workspaceId, agentId, linked, state: 'pending' })
      .onConflictDoUpdate({
        target: vapiAssistants.agentId,
        set: { linked, state: 'pending', error: null, updatedAt: new Date() },
      });
  }

  /** Takes the agent's sync lease for `ms`; false while another process holds it. */
  async takeLease(agentId: string, ms: number): Promise<boolean> {
    const rows = await this.db
      .update(vapiAssistants)
      .set({ leaseUntil: sql`now() + ${`${Math.ceil(ms)} milliseconds`}::interval` })
      .where(
        and(
          eq(vapiAssistants.agentId, agentId),
          or(isNull(vapiAssistants.leaseUntil), lt(vapiAssistants.leaseUntil, sql`now()`)),
        ),
      )
      .returning({ id: vapiAssistants.agentId });
    return rows.length > 0;
  }

  async releaseLease(agentId: string): Promise<void> {
    await this.db.update(vapiAssistants).set({ leaseUntil: null }).where(eq(vapiAssistants.agentId, agentId));
  }

  async recordSynced(
    agentId: string,
    fields: { assistantId: string; syncedVersion: number; syncedBody: Record<string, unknown> },
  ): Promise<VapiAssistantRow> {
    const [row] = await this.db
      .update(vapiAssistants)
      .set({ ...fields, state: 'synced', error: null, syncedAt: new Date(), updatedAt: new Date() })
      .where(eq(vapiAssistants.agentId, agentId))
      .returning();
    return row!;
  }

  /** The assistant was created but something after failed: keep its id so it is never created twice. */
  async recordAssistantId(agentId: string, assistantId: string): Promise<void> {
    await this.db
      .update(vapiAssistants)
      .set({ assistantId, updatedAt: new Date() })
      .where(eq(vapiAssistants.agentId, agentId));
  }

  async recordError(agentId: string, error: string): Promise<VapiAssistantRow | null> {
    const [row] = await this.db
      .update(vapiAssistants)
      .set({ state: 'error', error: error.slice(0, 1000), updatedAt: new Date() })
      .where(eq(vapiAssistants.agentId, agentId))
      .returning();
    return row ?? null;
  }

  /** The assistant is gone from Vapi: the agent no longer has a sync row. */
  async forget(agentId: string): Promise<void> {
    await this.db.delete(vapiAssistants).where(eq(vapiAssistants.agentId, agentId));
  }

  /** Which agent a Vapi assistant belongs to, for server messages. */
  async agentForAssistant(workspaceId: string, assistantId: string): Promise<string | null> {
    const [row] = await this.db
      .select({ agentId: vapiAssistants.agentId })
      .from(vapiAssistants)
      .where(and(eq(vapiAssistants.workspaceId, workspaceId), eq(vapiAssistants.assistantId, assistantId)));
    return row?.agentId ?? null;
  }

  async phoneImport(workspaceId: string, phoneNumberId: string) {
    const [row] = await this.db
      .select()
      .from(vapiPhoneNumbers)
      .where(
        and(eq(vapiPhoneNumbers.workspaceId, workspaceId), eq(vapiPhoneNumbers.phoneNumberId, phoneNumberId)),
      );
    return row ?? null;
  }

  async recordPhoneImport(
    workspaceId: string,
    phoneNumberId: string,
    fields: { vapiPhoneNumberId: string; assistantId: string },
  ): Promise<void> {
    await this.db
      .insert(vapiPhoneNumbers)
      .values({ workspaceId, phoneNumberId, ...fields })
      .onConflictDoUpdate({
        target: vapiPhoneNumbers.phoneNumberId,
        set: { ...fields, updatedAt: new Date() },
      });
  }

  /**
   * A knowledge base as one text: every ready document's passages in order, under their headings,
   * with its hash, and the Vapi file it was last uploaded as.
   */
  async knowledgeText(workspaceId: string, knowledgeBaseId: string) {
    const [kb] = await this.db
      .select()
      .from(knowledgeBases)
      .where(and(eq(knowledgeBases.workspaceId, workspaceId), eq(knowledgeBases.id, knowledgeBaseId)));
    if (!kb) return null;
    const rows = await this.db
      .select({ doc: kbDocuments.sourceName, headings: kbChunks.headingPath, content: kbChunks.content })
      .from(kbChunks)
      .innerJoin(kbDocuments, eq(kbDocuments.id, kbChunks.documentId))
      .where(and(eq(kbChunks.knowledgeBaseId, knowledgeBaseId), eq(kbDocuments.status, 'ready')))
      .orderBy(asc(kbDocuments.createdAt), asc(kbDocuments.id), asc(kbChunks.position));
    const text = rows
      .map((r) =>
        [r.headings.length > 0 ? `## ${r.headings.join(' > ')}` : '', r.content].filter(Boolean).join('\n'),
      )
      .join('\n\n');
    const [file] = await this.db
      .select()
      .from(vapiKbFiles)
      .where(eq(vapiKbFiles.knowledgeBaseId, knowledgeBaseId));
    return {
      name: kb.name,
      description: kb.description,
      text,
      hash: createHash('sha256').update(text).digest('hex'),
      uploaded: file ? { vapiFileId: file.vapiFileId, contentHash: file.contentHash } : null,
    };
  }

  async recordKbFile(workspaceId: string, knowledgeBaseId: string, vapiFileId: string, contentHash: string) {
    await this.db
      .insert(vapiKbFiles)
      .values({ workspaceId, knowledgeBaseId, vapiFileId, contentHash })
      .onConflictDoUpdate({
        target: vapiKbFiles.knowledgeBaseId,
        set: { vapiFileId, contentHash, updatedAt: new Date() },
      });
  }

  async recordQueryTool(
    agentId: string,
    queryToolId: string | null,
    queryToolBody: Record<string, unknown> | null,
  ) {
    await this.db
      .update(vapiAssistants)
      .set({ queryToolId, queryToolBody, updatedAt: new Date() })
      .where(eq(vapiAssistants.agentId, agentId));
  }
}
