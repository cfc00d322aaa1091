import {
  type AgentConfig,
  type AgentSnapshot,
  AppError,
  agentConfigSchema,
  type ErrorDetail,
  mergeConfig,
  notFound,
  validationFailed,
} from '@switchboard/core';
import { and, desc, eq, ilike, inArray, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { withDbErrors } from '../errors.js';
import { keyset, type PageQuery, toPage } from '../pagination.js';
import { agents, agentVersions, providers } from '../schema.js';
import { KnowledgeRepo } from './knowledge.js';

type AgentRow = typeof agents.$inferSelect;
export type AgentVersion = typeof agentVersions.$inferSelect;

export interface Agent {
  id: string;
  workspaceId: string;
  name: string;
  description: string | null;
  draft: AgentConfig;
  draftUpdatedAt: Date;
  currentVersion: number | null;
  /** True when the draft differs from the published version. */
  hasUnpublishedChanges: boolean;
  defaultInbound: boolean;
  defaultOutbound: boolean;
  /** The published version is synced to a Vapi assistant. */
  runOnVapi: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface AgentCreate {
  name: string;
  description?: string | null | undefined;
  config?: unknown;
  defaultInbound?: boolean | undefined;
  defaultOutbound?: boolean | undefined;
  runOnVapi?: boolean | undefined;
  /** Publish version 1 right away. */
  publish?: boolean | undefined;
}

export interface AgentPatch {
  name?: string | undefined;
  description?: string | null | undefined;
  /** A partial document merged into the draft (objects merge, arrays replace, null removes). */
  config?: unknown;
  defaultInbound?: boolean | undefined;
  defaultOutbound?: boolean | undefined;
  runOnVapi?: boolean | undefined;
}

/** Validates an agent document, naming each bad field by its path under `config`. */
export function parseAgentConfig(input: unknown, pathPrefix = 'config'): AgentConfig {
  const r = agentConfigSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  throw validationFailed(
    'agent configuration is invalid',
    r.error.issues.map((i) => ({ path: [pathPrefix, ...i.path.map(String)].join('.'), message: i.message })),
  );
}

export class AgentsRepo {
  constructor(private readonly db: Db) {}

  async create(workspaceId: string, input: AgentCreate, userId?: string): Promise<Agent> {
    const config = parseAgentConfig(input.config);
    await this.assertProviders(workspaceId, config);
    await this.assertKnowledgeBases(workspaceId, config);
    const id = await this.withDefaultRetry(() =>
      this.db.transaction(async (tx) => {
        await clearOtherDefaults(tx as unknown as Db, workspaceId, null, input);
        const [row] = await tx
          .insert(agents)
          .values({
            workspaceId,
            name: input.name,
            description: input.description ?? null,
            draft: config,
            defaultInbound: input.defaultInbound ?? false,
            defaultOutbound: input.defaultOutbound ?? false,
            runOnVapi: input.runOnVapi ?? false,
          })
          .returning({ id: agents.id });
        if (input.publish) await publishIn(tx as unknown as Db, workspaceId, row!.id, { userId });
        return row!.id;
      }),
    );
    return this.get(workspaceId, id);
  }

  async get(workspaceId: string, id: string): Promise<Agent> {
    const [row] = await this.db
      .select({ a: agents, published: agentVersions.config })
      .from(agents)
      .leftJoin(
        agentVersions,
        and(eq(agentVersions.agentId, agents.id), eq(agentVersions.version, agents.currentVersion)),
      )
      .where(and(eq(agents.workspaceId, workspaceId), eq(agents.id, id)));
    if (!row) throw notFound('agent', id);
    return toAgent(row.a, row.published);
  }

  async list(
    workspaceId: string,
    q: PageQuery & { name?: string | undefined; isDefault?: 'inbound' | 'outbound' | undefined },
  ) {
    const k = keyset(agents.createdAt, agents.id, q);
    const rows = await this.db
      .select({ a: agents, published: agentVersions.config })
      .from(agents)
      .leftJoin(
        agentVersions,
        and(eq(agentVersions.agentId, agents.id), eq(agentVersions.version, agents.currentVersion)),
      )
      .where(
        and(
          eq(agents.workspaceId, workspaceId),
          q.name ? ilike(agents.name, `%${q.name.replace(/[%_\\]/g, '\\$&')}%`) : undefined,
          q.isDefault === 'inbound' ? eq(agents.defaultInbound, true) : undefined,
          q.isDefault === 'outbound' ? eq(agents.defaultOutbound, true) : undefined,
          k.where,
        ),
      )
      .orderBy(...k.order.map((o) => o))
      .limit(k.limit + 1);
    const page = toPage(
      rows.map((r) => ({ ...r, id: r.a.id, createdAt: r.a.createdAt })),
      k.limit,
    );
    return { data: page.data.map((r) => toAgent(r.a, r.published)), nextCursor: page.nextCursor };
  }

  /** Edits the draft and routing flags; the published version is untouched until publish. */
  async update(workspaceId: string, id: string, patch: AgentPatch): Promise<Agent> {
    const current = await this.get(workspaceId, id);
    const config =
      patch.config === undefined ? undefined : parseAgentConfig(mergeConfig(current.draft, patch.config));
    if (config) {
      await this.assertProviders(workspaceId, config);
      await this.assertKnowledgeBases(workspaceId, config);
    }
    await this.withDefaultRetry(() =>
      this.db.transaction(async (tx) => {
        await clearOtherDefaults(tx as unknown as Db, workspaceId, id, patch);
        await tx
          .update(agents)
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(config ? { draft: config, draftUpdatedAt: new Date() } : {}),
            ...(patch.defaultInbound !== undefined ? { defaultInbound: patch.defaultInbound } : {}),
            ...(patch.defaultOutbound !== undefined ? { defaultOutbound: patch.defaultOutbound } : {}),
            ...(patch.runOnVapi !== undefined ? { runOnVapi: patch.runOnVapi } : {}),
            updatedAt: new Date(),
          })
          .where(and(eq(agents.workspaceId, workspaceId), eq(agents.id, id)));
      }),
    );
    return this.get(workspaceId, id);
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    const rows = await this.db
      .delete(agents)
      .where(and(eq(agents.workspaceId, workspaceId), eq(agents.id, id)))
      .returning({ id: agents.id });
    if (rows.length === 0) throw notFound('agent', id);
  }

  /** Freezes the draft into the next immutable version and makes it current. */
  async publish(
    workspaceId: string,
    id: string,
    opts: { note?: string | undefined; userId?: string | undefined } = {},
  ) {
    const draft = (await this.get(workspaceId, id)).draft;
    await this.assertProviders(workspaceId, draft);
    return withDbErrors(() =>
      this.db.transaction((tx) => publishIn(tx as unknown as Db, workspaceId, id, opts)),
    );
  }

  /** Publishes a copy of an older version as the newest one; the draft follows it. */
  async rollback(
    workspaceId: string,
    id: string,
    toVersion: number,
    opts: { note?: string | undefined; userId?: string | undefined } = {},
  ): Promise<AgentVersion> {
    const old = await this.getVersion(workspaceId, id, toVersion);
    return withDbErrors(() =>
      this.db.transaction(async (tx) => {
        await tx
          .update(agents)
          .set({ draft: old.config, draftUpdatedAt: new Date() })
          .where(and(eq(agents.workspaceId, workspaceId), eq(agents.id, id)));
        return publishIn(tx as unknown as Db, workspaceId, id, {
          ...opts,
          note: opts.note ?? `rollback to version ${toVersion}`,
          sourceVersion: toVersion,
        });
      }),
    );
  }

  async listVersions(workspaceId: string, id: string, q: PageQuery) {
    await this.get(workspaceId, id);
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
    const before = q.cursor ? Number.parseInt(q.cursor, 10) : undefined;
    if (q.cursor && (before === undefined || !Number.isInteger(before))) {
      throw validationFailed('cursor is not valid', [
        { path: 'query.cursor', message: 'expected a version cursor' },
      ]);
    }
    const rows = await this.db
      .select()
      .from(agentVersions)
      .where(
        and(
          eq(agentVersions.agentId, id),
          eq(agentVersions.workspaceId, workspaceId),
          before ? sql`${agentVersions.version} < ${before}` : undefined,
        ),
      )
      .orderBy(desc(agentVersions.version))
      .limit(limit + 1);
    const data = rows.slice(0, limit);
    return {
      data,
      nextCursor: rows.length > limit ? String(data[data.length - 1]!.version) : null,
    };
  }

  async getVersion(workspaceId: string, id: string, version: number): Promise<AgentVersion> {
    const [row] = await this.db
      .select()
      .from(agentVersions)
      .where(
        and(
          eq(agentVersions.workspaceId, workspaceId),
          eq(agentVersions.agentId, id),
          eq(agentVersions.version, version),
        ),
      );
    if (!row) throw notFound(`agent ${id} version`, String(version));
    return row;
  }

  /**
   * The provider choices of every agent of every workspace: the published version's and, when it
   * differs, the draft's (about to go live). For what the installation must have on disk, such as
   * the local models; not paged, and it reads only `mode` and `providers`.
   */
  async providerChoices(): Promise<
    {
      agentId: string;
      workspaceId: string;
      name: string;
      configs: Pick<AgentConfig, 'mode' | 'providers'>[];
    }[]
  > {
    const rows = await this.db
      .select({ a: agents, published: agentVersions.config })
      .from(agents)
      .leftJoin(
        agentVersions,
        and(eq(agentVersions.agentId, agents.id), eq(agentVersions.version, agents.currentVersion)),
      )
      .orderBy(agents.createdAt, agents.id);
    return rows.map(({ a, published }) => {
      const draft = a.draft as AgentConfig;
      const live = published as AgentConfig | null;
      return {
        agentId: a.id,
        workspaceId: a.workspaceId,
        name: a.name,
        configs: live && !jsonEqual(live, draft) ? [live, draft] : [draft],
      };
    });
  }

  /** The current published snapshot of one agent, straight from the database. */
  async loadSnapshot(id: string): Promise<AgentSnapshot | null> {
    const [row] = await this.db
      .select({ a: agents, config: agentVersions.config, version: agentVersions.version })
      .from(agents)
      .innerJoin(
        agentVersions,
        and(eq(agentVersions.agentId, agents.id), eq(agentVersions.version, agents.currentVersion)),
      )
      .where(eq(agents.id, id));
    if (!row) return null;
    return Object.freeze({
      agentId: row.a.id,
      workspaceId: row.a.workspaceId,
      name: row.a.name,
      version: row.version,
      config: deepFreeze(agentConfigSchema.parse(row.config)),
    });
  }

  async findDefault(workspaceId: string, direction: 'inbound' | 'outbound'): Promise<string | null> {
    const [row] = await this.db
      .select({ id: agents.id })
      .from(agents)
      .where(
        and(
          eq(agents.workspaceId, workspaceId),
          direction === 'inbound' ? eq(agents.defaultInbound, true) : eq(agents.defaultOutbound, true),
        ),
      );
    return row?.id ?? null;
  }

  /**
   * Merges per-call `overrides` into `base` (the published document) and validates the result
   * exactly as an agent document is validated: a bad field is named by its path under `pathPrefix`
   * (`body.agentOverrides.turnTaking.endOfTurnSilenceMs`), and so is an unknown provider.
   */
  async withOverrides(
    workspaceId: string,
    base: AgentConfig,
    overrides: unknown,
    pathPrefix: string,
  ): Promise<AgentConfig> {
    const merged = parseAgentConfig(mergeConfig(base, overrides), pathPrefix);
    await this.assertProviders(workspaceId, merged, pathPrefix);
    await this.assertKnowledgeBases(workspaceId, merged, pathPrefix);
    return merged;
  }

  /** Every knowledge base an agent names must be one of the workspace's. */
  private assertKnowledgeBases(
    workspaceId: string,
    config: AgentConfig,
    pathPrefix = 'config',
  ): Promise<void> {
    return new KnowledgeRepo(this.db).assertBases(
      workspaceId,
      config.knowledge.knowledgeBaseIds,
      `${pathPrefix}.knowledge.knowledgeBaseIds`,
    );
  }

  /** Every provider id an agent names must exist in the workspace and be of the right kind. */
  private async assertProviders(
    workspaceId: string,
    config: AgentConfig,
    pathPrefix = 'config',
  ): Promise<void> {
    const wanted: { kind: string; id: string; path: string }[] = [];
    for (const [kind, refs] of Object.entries(config.providers)) {
      (refs ?? []).forEach((ref, i) => {
        if (!ref.startsWith('local:'))
          wanted.push({ kind, id: ref, path: `${pathPrefix}.providers.${kind}.${i}` });
      });
    }
    if (wanted.length === 0) return;
    const rows = await this.db
      .select({ id: providers.id, kind: providers.kind })
      .from(providers)
      .where(
        and(
          eq(providers.workspaceId, workspaceId),
          inArray(
            providers.id,
            wanted.map((w) => w.id),
          ),
        ),
      );
    const kinds = new Map(rows.map((r) => [r.id, r.kind]));
    const details: ErrorDetail[] = [];
    for (const w of wanted) {
      const k = kinds.get(w.id);
      if (!k) details.push({ path: w.path, message: `provider ${w.id} not found in this workspace` });
      else if (k !== w.kind)
        details.push({ path: w.path, message: `provider ${w.id} is a ${k} provider, not ${w.kind}` });
    }
    if (details.length > 0) throw validationFailed('agent configuration names unknown providers', details);
  }

  /**
   * Moving a default between agents races with other writers; the partial unique index settles
   * it. One retry lets a concurrent request win cleanly instead of failing.
   */
  private async withDefaultRetry<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await withDbErrors(fn);
    } catch (e) {
      if (e instanceof AppError && e.code === 'conflict' && e.details[0]?.path.startsWith('default')) {
        return withDbErrors(fn);
      }
      throw e;
    }
  }
}

async function clearOtherDefaults(
  db: Db,
  workspaceId: string,
  selfId: string | null,
  flags: { defaultInbound?: boolean | undefined; defaultOutbound?: boolean | undefined },
): Promise<void> {
  for (const [flag, column] of [
    ['defaultInbound', agents.defaultInbound],
    ['defaultOutbound', agents.defaultOutbound],
  ] as const) {
    if (!flags[flag]) continue;
    await db
      .update(agents)
      .set({ [flag]: false, updatedAt: new Date() })
      .where(
        and(
          eq(agents.workspaceId, workspaceId),
          eq(column, true),
          selfId ? sql`${agents.id} <> ${selfId}` : undefined,
        ),
      );
  }
}

async function publishIn(
  db: Db,
  workspaceId: string,
  id: string,
  opts: { note?: string | undefined; userId?: string | undefined; sourceVersion?: number },
): Promise<AgentVersion> {
  // Row lock: concurrent publishes of one agent take turns instead of colliding on the version.
  const [agent] = await db
    .select()
    .from(agents)
    .where(and(eq(agents.workspaceId, workspaceId), eq(agents.id, id)))
    .for('update');
  if (!agent) throw notFound('agent', id);
  const [max] = await db
    .select({ v: sql<number>`coalesce(max(${agentVersions.version}), 0)::int` })
    .from(agentVersions)
    .where(eq(agentVersions.agentId, id));
  const version = (max?.v ?? 0) + 1;
  const [row] = await db
    .insert(agentVersions)
    .values({
      agentId: id,
      workspaceId,
      version,
      config: agent.draft,
      note: opts.note ?? null,
      sourceVersion: opts.sourceVersion ?? null,
      createdBy: opts.userId ?? null,
    })
    .returning();
  await db.update(agents).set({ currentVersion: version, updatedAt: new Date() }).where(eq(agents.id, id));
  return row!;
}

function toAgent(a: AgentRow, published: Record<string, unknown> | null): Agent {
  return {
    id: a.id,
    workspaceId: a.workspaceId,
    name: a.name,
    description: a.description,
    draft: a.draft as AgentConfig,
    draftUpdatedAt: a.draftUpdatedAt,
    currentVersion: a.currentVersion,
    hasUnpublishedChanges: published === null || !jsonEqual(published, a.draft),
    defaultInbound: a.defaultInbound,
    defaultOutbound: a.defaultOutbound,
    runOnVapi: a.runOnVapi,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

/** jsonb does not keep key order, so compare structurally. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
