import { notFound } from '@switchboard/core';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../database.js';
import { withDbErrors } from '../errors.js';
import { keyset, type PageQuery, toPage } from '../pagination.js';
import { agents, type Connector, phoneNumbers } from '../schema.js';

export type PhoneNumber = typeof phoneNumbers.$inferSelect;

export interface PhoneNumberInput {
  number: string;
  connector: Connector;
  agentId?: string | null | undefined;
  label?: string | null | undefined;
  configUrl?: string | null | undefined;
}

export class PhoneNumbersRepo {
  constructor(private readonly db: Db) {}

  async create(workspaceId: string, input: PhoneNumberInput): Promise<PhoneNumber> {
    if (input.agentId) await this.assertAgent(workspaceId, input.agentId);
    return withDbErrors(async () => {
      const [row] = await this.db
        .insert(phoneNumbers)
        .values({
          workspaceId,
          number: input.number,
          connector: input.connector,
          agentId: input.agentId ?? null,
          label: input.label ?? null,
          configUrl: input.configUrl ?? null,
        })
        .returning();
      return row!;
    });
  }

  async list(
    workspaceId: string,
    q: PageQuery & { connector?: Connector | undefined; agentId?: string | undefined },
  ) {
    const k = keyset(phoneNumbers.createdAt, phoneNumbers.id, q);
    const rows = await this.db
      .select()
      .from(phoneNumbers)
      .where(
        and(
          eq(phoneNumbers.workspaceId, workspaceId),
          q.connector ? eq(phoneNumbers.connector, q.connector) : undefined,
          q.agentId ? eq(phoneNumbers.agentId, q.agentId) : undefined,
          k.where,
        ),
      )
      .orderBy(...k.order)
      .limit(k.limit + 1);
    return toPage(rows, k.limit);
  }

  async get(workspaceId: string, id: string): Promise<PhoneNumber> {
    const [row] = await this.db
      .select()
      .from(phoneNumbers)
      .where(and(eq(phoneNumbers.workspaceId, workspaceId), eq(phoneNumbers.id, id)));
    if (!row) throw notFound('phone number', id);
    return row;
  }

  async update(workspaceId: string, id: string, input: Partial<PhoneNumberInput>): Promise<PhoneNumber> {
    await this.get(workspaceId, id);
    if (input.agentId) await this.assertAgent(workspaceId, input.agentId);
    return withDbErrors(async () => {
      const [row] = await this.db
        .update(phoneNumbers)
        .set({ ...input, updatedAt: new Date() })
        .where(and(eq(phoneNumbers.workspaceId, workspaceId), eq(phoneNumbers.id, id)))
        .returning();
      return row!;
    });
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    const rows = await this.db
      .delete(phoneNumbers)
      .where(and(eq(phoneNumbers.workspaceId, workspaceId), eq(phoneNumbers.id, id)))
      .returning({ id: phoneNumbers.id });
    if (rows.length === 0) throw notFound('phone number', id);
  }

  /** Inbound routing: which workspace and agent a dialled number belongs to. */
  async findRoute(connector: Connector, number: string): Promise<PhoneNumber | null> {
    const [row] = await this.db
      .select()
      .from(phoneNumbers)
      .where(and(eq(phoneNumbers.connector, connector), eq(phoneNumbers.number, number)));
    return row ?? null;
  }

  private async assertAgent(workspaceId: string, agentId: string): Promise<void> {
    const [row] = await this.db
      .select({ id: agents.id })
      .from(agents)
      .where(and(eq(agents.workspaceId, workspaceId), eq(agents.id, agentId)));
    if (!row) throw notFound('agent', agentId);
  }
}
