import { newId, notFound } from '@switchboard/core';
import { and, asc, eq, like } from 'drizzle-orm';
import type { Db } from '../database.js';
import { withDbErrors } from '../errors.js';
import { keyset, type PageQuery, toPage } from '../pagination.js';
import { credentials } from '../schema.js';
import { type SecretBox, secretHint } from '../secrets.js';

/** What may leave the store: a masked view, never the secret or its ciphertext. */
export interface CredentialView {
  id: string;
  workspaceId: string;
  name: string;
  /** `••••abcd`, or `••••` for short secrets. */
  masked: string;
  /** Hosts an admin allowed this secret to be sent to besides its vendor's (see docs/security.md). */
  allowedHosts: string[];
  createdAt: Date;
  updatedAt: Date;
}

const aad = (workspaceId: string, id: string) => `credential:${workspaceId}:${id}`;

const view = (r: typeof credentials.$inferSelect): CredentialView => ({
  id: r.id,
  workspaceId: r.workspaceId,
  name: r.name,
  masked: `••••${r.hint}`,
  allowedHosts: r.allowedHosts,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

export class CredentialsRepo {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  async create(
    workspaceId: string,
    input: { name: string; value: string; allowedHosts?: string[] | undefined },
  ): Promise<CredentialView> {
    const id = newId();
    return withDbErrors(async () => {
      const [row] = await this.db
        .insert(credentials)
        .values({
          id,
          workspaceId,
          name: input.name,
          ciphertext: this.box.seal(input.value, aad(workspaceId, id)),
          hint: secretHint(input.value),
          allowedHosts: input.allowedHosts ?? [],
        })
        .returning();
      return view(row!);
    });
  }

  async list(workspaceId: string, q: PageQuery) {
    const k = keyset(credentials.createdAt, credentials.id, q);
    const rows = await this.db
      .select()
      .from(credentials)
      .where(and(eq(credentials.workspaceId, workspaceId), k.where))
      .orderBy(...k.order)
      .limit(k.limit + 1);
    const page = toPage(rows, k.limit);
    return { data: page.data.map(view), nextCursor: page.nextCursor };
  }

  async get(workspaceId: string, id: string): Promise<CredentialView> {
    return view(await this.row(workspaceId, id));
  }

  async update(
    workspaceId: string,
    id: string,
    input: { name?: string | undefined; value?: string | undefined; allowedHosts?: string[] | undefined },
  ): Promise<CredentialView> {
    await this.row(workspaceId, id);
    return withDbErrors(async () => {
      const [row] = await this.db
        .update(credentials)
        .set({
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.allowedHosts !== undefined ? { allowedHosts: input.allowedHosts } : {}),
          ...(input.value !== undefined
            ? { ciphertext: this.box.seal(input.value, aad(workspaceId, id)), hint: secretHint(input.value) }
            : {}),
          updatedAt: new Date(),
        })
        .where(and(eq(credentials.workspaceId, workspaceId), eq(credentials.id, id)))
        .returning();
      return view(row!);
    });
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    await this.row(workspaceId, id);
    await withDbErrors(() =>
      this.db
        .delete(credentials)
        .where(and(eq(credentials.workspaceId, workspaceId), eq(credentials.id, id))),
    );
  }

  /**
   * A secret by its credential name, in whichever workspace holds it (carrier accounts such as
   * `twilio:<AccountSid>` are named after the account, which identifies the workspace).
   */
  async revealByName(
    name: string,
    workspaceId?: string,
  ): Promise<{ workspaceId: string; secret: string } | null> {
    const [row] = await this.db
      .select()
      .from(credentials)
      .where(
        and(eq(credentials.name, name), workspaceId ? eq(credentials.workspaceId, workspaceId) : undefined),
      )
      .limit(1);
    if (!row) return null;
    return {
      workspaceId: row.workspaceId,
      secret: this.box.open(row.ciphertext, aad(row.workspaceId, row.id)),
    };
  }

  /** The first secret in a workspace whose name starts with `prefix` (e.g. `plivo:`). */
  async revealByPrefix(
    workspaceId: string,
    prefix: string,
  ): Promise<{ name: string; secret: string } | null> {
    const [row] = await this.db
      .select()
      .from(credentials)
      .where(
        and(
          eq(credentials.workspaceId, workspaceId),
          like(credentials.name, `${prefix.replace(/[%_\\]/g, '\\$&')}%`),
        ),
      )
      .orderBy(asc(credentials.createdAt))
      .limit(1);
    if (!row) return null;
    return { name: row.name, secret: this.box.open(row.ciphertext, aad(row.workspaceId, row.id)) };
  }

  /** The secret in clear, for a provider about to connect. Never for API responses. */
  async reveal(workspaceId: string, id: string): Promise<string> {
    const row = await this.row(workspaceId, id);
    return this.box.open(row.ciphertext, aad(workspaceId, id));
  }

  /** The secret with the hosts it may go to: what a provider needs to connect, and nothing to return. */
  async revealForUse(
    workspaceId: string,
    id: string,
  ): Promise<{ name: string; secret: string; allowedHosts: string[] }> {
    const row = await this.row(workspaceId, id);
    return {
      name: row.name,
      secret: this.box.open(row.ciphertext, aad(workspaceId, id)),
      allowedHosts: row.allowedHosts,
    };
  }

  private async row(workspaceId: string, id: string) {
    const [row] = await this.db
      .select()
      .from(credentials)
      .where(and(eq(credentials.workspaceId, workspaceId), eq(credentials.id, id)));
    if (!row) throw notFound('credential', id);
    return row;
  }
}
