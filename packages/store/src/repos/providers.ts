import { conflict, notFound } from '@switchboard/core';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { withDbErrors } from '../errors.js';
import { keyset, type PageQuery, toPage } from '../pagination.js';
import { agents, credentials, type ProviderKind, providers } from '../schema.js';
import type { CredentialsRepo } from './credentials.js';

export type Provider = typeof providers.$inferSelect;

export interface ProviderInput {
  name: string;
  kind: ProviderKind;
  type: string;
  settings: Record<string, unknown>;
  credentialId?: string | null | undefined;
}

export class ProvidersRepo {
  constructor(private readonly db: Db) {}

  async create(workspaceId: string, input: ProviderInput): Promise<Provider> {
    if (input.credentialId) await this.assertCredential(workspaceId, input.credentialId);
    return withDbErrors(async () => {
      const [row] = await this.db
        .insert(providers)
        .values({ workspaceId, ...input, credentialId: input.credentialId ?? null })
        .returning();
      return row!;
    });
  }

  async list(
    workspaceId: string,
    q: PageQuery & { kind?: ProviderKind | undefined; type?: string | undefined },
  ) {
    const k = keyset(providers.createdAt, providers.id, q);
    const rows = await this.db
      .select()
      .from(providers)
      .where(
        and(
          eq(providers.workspaceId, workspaceId),
          q.kind ? eq(providers.kind, q.kind) : undefined,
          q.type ? eq(providers.type, q.type) : undefined,
          k.where,
        ),
      )
      .orderBy(...k.order)
      .limit(k.limit + 1);
    return toPage(rows, k.limit);
  }

  async get(workspaceId: string, id: string): Promise<Provider> {
    const [row] = await this.db
      .select()
      .from(providers)
      .where(and(eq(providers.workspaceId, workspaceId), eq(providers.id, id)));
    if (!row) throw notFound('provider', id);
    return row;
  }

  async update(
    workspaceId: string,
    id: string,
    input: Partial<Omit<ProviderInput, 'kind' | 'type'>>,
  ): Promise<Provider> {
    await this.get(workspaceId, id);
    if (input.credentialId) await this.assertCredential(workspaceId, input.credentialId);
    return withDbErrors(async () => {
      const [row] = await this.db
        .update(providers)
        .set({ ...input, updatedAt: new Date() })
        .where(and(eq(providers.workspaceId, workspaceId), eq(providers.id, id)))
        .returning();
      return row!;
    });
  }

  /** Refuses while an agent's draft or published version still names the provider. */
  async delete(workspaceId: string, id: string): Promise<void> {
    await this.get(workspaceId, id);
    const needle = `%"${id}"%`;
    const users = await this.db
      .select({ id: agents.id, name: agents.name })
      .from(agents)
      .where(
        and(
          eq(agents.workspaceId, workspaceId),
          sql`(${agents.draft}::text like ${needle} or exists (
            select 1 from agent_versions v where v.agent_id = ${agents.id}
              and v.version = ${agents.currentVersion} and v.config::text like ${needle}))`,
        ),
      );
    if (users.length > 0) {
      throw conflict(`the provider is used by agent(s): ${users.map((u) => u.name).join(', ')}`, [
        { path: 'id', message: 'remove it from those agents first' },
      ]);
    }
    await this.db.delete(providers).where(and(eq(providers.workspaceId, workspaceId), eq(providers.id, id)));
  }

  private async assertCredential(workspaceId: string, credentialId: string): Promise<void> {
    const [row] = await this.db
      .select({ id: credentials.id })
      .from(credentials)
      .where(and(eq(credentials.workspaceId, workspaceId), eq(credentials.id, credentialId)));
    if (!row) {
      throw notFound('credential', credentialId);
    }
  }
}

/**
 * A stored provider as its adapter needs it: the row's kind, type and settings with its
 * credential decrypted (and the hosts that credential may go to). One lookup for the composition
 * root and the tests that stand in for it.
 */
export async function resolveStoredProvider(
  repos: { providers: ProvidersRepo; credentials: CredentialsRepo },
  workspaceId: string,
  id: string,
) {
  const row = await repos.providers.get(workspaceId, id);
  const cred = row.credentialId
    ? await repos.credentials.revealForUse(workspaceId, row.credentialId)
    : undefined;
  return {
    kind: row.kind,
    type: row.type,
    settings: row.settings,
    ...(cred
      ? { secret: cred.secret, credential: { name: cred.name, allowedHosts: cred.allowedHosts } }
      : {}),
  };
}
