import { notFound } from '@switchboard/core';
import {
  and,
  asc,
  eq,
  getTableColumns,
  inArray,
  isNotNull,
  like,
  lt,
  notInArray,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../database.js';
import { withDbErrors } from '../errors.js';
import {
  type HaConnectionStatus,
  haConnections,
  haDevices,
  haEntities,
  haServices,
  haStateHistory,
} from '../schema.js';
import { type SecretBox, secretHint } from '../secrets.js';
import {
  derivedEntityName,
  entityDomain,
  type HaConnectionView,
  type HaDevice,
  type HaDeviceInput,
  type HaEntity,
  type HaEntityInput,
  type HaService,
  type HaServiceInput,
  type HaStateInput,
  parentsFirst,
} from './home-types.js';

export * from './home-types.js';

const DEFAULT_RETENTION_DAYS = 7;
/** Rows per insert statement; well under PostgreSQL's parameter limit at 20 columns. */
const CHUNK = 500;
const aad = (workspaceId: string) => `ha-connection:${workspaceId}`;

const connectionView = (r: typeof haConnections.$inferSelect): HaConnectionView => ({
  workspaceId: r.workspaceId,
  url: r.url,
  maskedToken: `••••${r.hint}`,
  historyRetentionDays: r.historyRetentionDays,
  status: r.status,
  lastError: r.lastError,
  haVersion: r.haVersion,
  lastSyncedAt: r.lastSyncedAt,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Home Assistant connections, registries, states and state history, per workspace. */
/** An upsert's `set` taking these columns from the row it tried to insert (`excluded.<column>`). */
function fromExcluded<T extends PgTable>(
  table: T,
  keys: readonly (keyof T['_']['columns'] & string)[],
): Record<string, SQL> {
  const columns = getTableColumns(table) as Record<string, { name: string }>;
  return Object.fromEntries(keys.map((k) => [k, sql.raw(`excluded."${columns[k]?.name}"`)]));
}

export class HomeRepo {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  // --- connection ---------------------------------------------------------------------------

  async connection(workspaceId: string): Promise<HaConnectionView | null> {
    const [row] = await this.db
      .select()
      .from(haConnections)
      .where(eq(haConnections.workspaceId, workspaceId));
    return row ? connectionView(row) : null;
  }

  /** The connection with its token, for the client that connects; never for an API answer. */
  async reveal(workspaceId: string): Promise<{ url: string; token: string } | null> {
    const [row] = await this.db
      .select()
      .from(haConnections)
      .where(eq(haConnections.workspaceId, workspaceId));
    return row ? { url: row.url, token: this.box.open(row.ciphertext, aad(workspaceId)) } : null;
  }

  async connectedWorkspaces(): Promise<string[]> {
    const rows = await this.db.select({ id: haConnections.workspaceId }).from(haConnections);
    return rows.map((r) => r.id);
  }

  async saveConnection(
    workspaceId: string,
    input: { url: string; token: string; historyRetentionDays?: number | undefined },
  ): Promise<HaConnectionView> {
    const values = {
      url: input.url,
      ciphertext: this.box.seal(input.token, aad(workspaceId)),
      hint: secretHint(input.token),
      status: 'connecting' as const,
      lastError: null,
      updatedAt: new Date(),
      ...(input.historyRetentionDays !== undefined
        ? { historyRetentionDays: input.historyRetentionDays }
        : {}),
    };
    return withDbErrors(async () => {
      const [row] = await this.db
        .insert(haConnections)
        .values({ workspaceId, ...values })
        .onConflictDoUpdate({ target: haConnections.workspaceId, set: values })
        .returning();
      return connectionView(row!);
    });
  }

  async setRetention(workspaceId: string, days: number): Promise<HaConnectionView> {
    const [row] = await this.db
      .update(haConnections)
      .set({ historyRetentionDays: days, updatedAt: new Date() })
      .where(eq(haConnections.workspaceId, workspaceId))
      .returning();
    if (!row) throw notFound('no Home Assistant connection in this workspace');
    return connectionView(row);
  }

  async setStatus(
    workspaceId: string,
    status: HaConnectionStatus,
    detail: { error?: string | null; haVersion?: string; synced?: boolean } = {},
  ): Promise<void> {
    await this.db
      .update(haConnections)
      .set({
        status,
        ...(detail.error !== undefined ? { lastError: detail.error } : {}),
        ...(detail.haVersion ? { haVersion: detail.haVersion } : {}),
        ...(detail.synced ? { lastSyncedAt: new Date() } : {}),
      })
      .where(eq(haConnections.workspaceId, workspaceId));
  }

  /** Removes the connection; the synced registries stay until `clear`. */
  async deleteConnection(workspaceId: string): Promise<boolean> {
    const rows = await this.db
      .delete(haConnections)
      .where(eq(haConnections.workspaceId, workspaceId))
      .returning({ id: haConnections.workspaceId });
    return rows.length > 0;
  }

  /** Forgets everything synced from the workspace's house. */
  async clear(workspaceId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.delete(haStateHistory).where(eq(haStateHistory.workspaceId, workspaceId));
      await tx.delete(haEntities).where(eq(haEntities.workspaceId, workspaceId));
      await tx.delete(haServices).where(eq(haServices.workspaceId, workspaceId));
      await tx.delete(haDevices).where(eq(haDevices.workspaceId, workspaceId));
    });
  }

  // --- registries ---------------------------------------------------------------------------

  /**
   * Inserts or updates devices, hubs before the devices behind them. A `via_device_id` naming a
   * device neither in the batch nor already stored is stored as null.
   */
  async upsertDevices(workspaceId: string, devices: readonly HaDeviceInput[]): Promise<number> {
    if (devices.length === 0) return 0;
    const unique = [...new Map(devices.map((d) => [d.id, d])).values()];
    return withDbErrors(() =>
      this.db.transaction(async (tx) => {
        const inBatch = new Set(unique.map((d) => d.id));
        const outside = [
          ...new Set(unique.map((d) => d.viaDeviceId).filter((v): v is string => !!v && !inBatch.has(v))),
        ];
        const known = new Set(inBatch);
        for (const part of chunks(outside)) {
          const rows = await tx
            .select({ id: haDevices.id })
            .from(haDevices)
            .where(and(eq(haDevices.workspaceId, workspaceId), inArray(haDevices.id, part)));
          for (const r of rows) known.add(r.id);
        }
        const now = new Date();
        for (const part of chunks(parentsFirst(unique))) {
          await tx
            .insert(haDevices)
            .values(
              part.map((d) => ({
                ...d,
                workspaceId,
                viaDeviceId: d.viaDeviceId && known.has(d.viaDeviceId) ? d.viaDeviceId : null,
                updatedAt: now,
              })),
            )
            .onConflictDoUpdate({
              target: [haDevices.workspaceId, haDevices.id],
              set: {
                ...fromExcluded(haDevices, [
                  'friendlyName',
                  'name',
                  'nameByUser',
                  'manufacturer',
                  'model',
                  'swVersion',
                  'areaId',
                  'viaDeviceId',
                  'disabledBy',
                  'raw',
                ]),
                updatedAt: now,
              },
            });
        }
        return unique.length;
      }),
    );
  }

  /**
   * Inserts or updates entity registry records, keeping each entity's state. A `device_id` naming a
   * device this workspace lacks is stored as null.
   */
  async upsertEntities(workspaceId: string, entities: readonly HaEntityInput[]): Promise<number> {
    if (entities.length === 0) return 0;
    const unique = [...new Map(entities.map((e) => [e.entityId, e])).values()];
    return withDbErrors(() =>
      this.db.transaction(async (tx) => {
        const wanted = [...new Set(unique.map((e) => e.deviceId).filter((v): v is string => !!v))];
        const known = new Set<string>();
        for (const part of chunks(wanted)) {
          const rows = await tx
            .select({ id: haDevices.id })
            .from(haDevices)
            .where(and(eq(haDevices.workspaceId, workspaceId), inArray(haDevices.id, part)));
          for (const r of rows) known.add(r.id);
        }
        const now = new Date();
        for (const part of chunks(unique)) {
          await tx
            .insert(haEntities)
            .values(
              part.map(({ registryName, ...e }) => ({
                ...e,
                workspaceId,
                domain: entityDomain(e.entityId),
                deviceId: e.deviceId && known.has(e.deviceId) ? e.deviceId : null,
                friendlyName: registryName ?? derivedEntityName(e.entityId),
                updatedAt: now,
              })),
            )
            .onConflictDoUpdate({
              target: [haEntities.workspaceId, haEntities.entityId],
              set: {
                ...fromExcluded(haEntities, [
                  'registryId',
                  'uniqueId',
                  'platform',
                  'deviceId',
                  'areaId',
                  'name',
                  'originalName',
                  'disabledBy',
                  'hiddenBy',
                  'entityCategory',
                  'registry',
                ]),
                // The registry's name wins; without one, what the state calls it; else the derived name.
                friendlyName: sql`coalesce(excluded.name, excluded.original_name, ${haEntities.attributes}->>'friendly_name', excluded.friendly_name)`,
                updatedAt: now,
              },
            });
        }
        return unique.length;
      }),
    );
  }

  async upsertServices(workspaceId: string, services: readonly HaServiceInput[]): Promise<number> {
    if (services.length === 0) return 0;
    const unique = [...new Map(services.map((s) => [`${s.domain}.${s.service}`, s])).values()];
    const now = new Date();
    await withDbErrors(() =>
      this.db.transaction(async (tx) => {
        for (const part of chunks(unique)) {
          await tx
            .insert(haServices)
            .values(part.map((s) => ({ ...s, workspaceId, updatedAt: now })))
            .onConflictDoUpdate({
              target: [haServices.workspaceId, haServices.domain, haServices.service],
              set: {
                ...fromExcluded(haServices, ['name', 'description', 'fields', 'target']),
                updatedAt: now,
              },
            });
        }
      }),
    );
    return unique.length;
  }

  /**
   * After a full pull: removes devices, entities and services Home Assistant no longer has.
   * References to a removed device are cleared first.
   */
  async removeMissing(
    workspaceId: string,
    keep: { devices: string[]; entities: string[]; services: string[] },
  ): Promise<void> {
    await withDbErrors(() =>
      this.db.transaction(async (tx) => {
        const gone = (
          await tx.select({ id: haDevices.id }).from(haDevices).where(eq(haDevices.workspaceId, workspaceId))
        )
          .map((r) => r.id)
          .filter((id) => !new Set(keep.devices).has(id));
        const entities = new Set(keep.entities);
        const staleEntities = (
          await tx
            .select({ id: haEntities.entityId })
            .from(haEntities)
            .where(eq(haEntities.workspaceId, workspaceId))
        )
          .map((r) => r.id)
          .filter((id) => !entities.has(id));
        for (const part of chunks(staleEntities)) {
          await tx
            .delete(haEntities)
            .where(and(eq(haEntities.workspaceId, workspaceId), inArray(haEntities.entityId, part)));
        }
        for (const part of chunks(gone)) {
          await tx
            .update(haEntities)
            .set({ deviceId: null })
            .where(and(eq(haEntities.workspaceId, workspaceId), inArray(haEntities.deviceId, part)));
          await tx
            .update(haDevices)
            .set({ viaDeviceId: null })
            .where(and(eq(haDevices.workspaceId, workspaceId), inArray(haDevices.viaDeviceId, part)));
          await tx
            .delete(haDevices)
            .where(and(eq(haDevices.workspaceId, workspaceId), inArray(haDevices.id, part)));
        }
        await tx
          .delete(haServices)
          .where(
            and(
              eq(haServices.workspaceId, workspaceId),
              ...(keep.services.length > 0
                ? [notInArray(sql`${haServices.domain} || '.' || ${haServices.service}`, keep.services)]
                : []),
            ),
          );
      }),
    );
  }

  // --- state --------------------------------------------------------------------------------

  /**
   * Sets entities' current state (a full `get_states` or one `state_changed`), creating entities the
   * registry has not named. With `history`, each change is also appended to the state history.
   */
  async setStates(workspaceId: string, states: readonly HaStateInput[], opts: { history?: boolean } = {}) {
    if (states.length === 0) return 0;
    const unique = [...new Map(states.map((s) => [s.entityId, s])).values()];
    const now = new Date();
    await withDbErrors(() =>
      this.db.transaction(async (tx) => {
        for (const part of chunks(unique)) {
          await tx
            .insert(haEntities)
            .values(
              part.map((s) => ({
                workspaceId,
                entityId: s.entityId,
                domain: entityDomain(s.entityId),
                friendlyName:
                  typeof s.attributes.friendly_name === 'string' && s.attributes.friendly_name
                    ? s.attributes.friendly_name
                    : derivedEntityName(s.entityId),
                state: s.state,
                attributes: s.attributes,
                lastChanged: s.lastChanged,
                updatedAt: now,
              })),
            )
            .onConflictDoUpdate({
              target: [haEntities.workspaceId, haEntities.entityId],
              set: {
                ...fromExcluded(haEntities, ['state', 'attributes', 'lastChanged']),
                friendlyName: sql`coalesce(${haEntities.name}, ${haEntities.originalName}, excluded.attributes->>'friendly_name', ${haEntities.friendlyName})`,
                updatedAt: now,
              },
            });
          if (opts.history) {
            await tx.insert(haStateHistory).values(
              part.map((s) => ({
                workspaceId,
                entityId: s.entityId,
                state: s.state,
                attributes: s.attributes,
                changedAt: s.lastChanged,
              })),
            );
          }
        }
      }),
    );
    return unique.length;
  }

  /** Deletes state history older than each workspace's retention (7 days without a connection). */
  async pruneHistory(now = new Date()): Promise<number> {
    const rows = await this.db.execute(sql`
      delete from ${haStateHistory} h
      where h.changed_at < ${now.toISOString()}::timestamptz - make_interval(days => coalesce(
        (select c.history_retention_days from ${haConnections} c where c.workspace_id = h.workspace_id),
        ${DEFAULT_RETENTION_DAYS}))
      returning h.id`);
    return (
      (rows as unknown as { rows?: unknown[] }).rows?.length ?? (rows as unknown as unknown[]).length ?? 0
    );
  }

  async history(workspaceId: string, entityId: string, opts: { since?: Date; limit?: number } = {}) {
    return this.db
      .select({
        state: haStateHistory.state,
        attributes: haStateHistory.attributes,
        changedAt: haStateHistory.changedAt,
      })
      .from(haStateHistory)
      .where(
        and(
          eq(haStateHistory.workspaceId, workspaceId),
          eq(haStateHistory.entityId, entityId),
          ...(opts.since
            ? [sql`${haStateHistory.changedAt} >= ${opts.since.toISOString()}::timestamptz`]
            : []),
        ),
      )
      .orderBy(asc(haStateHistory.changedAt), asc(haStateHistory.id))
      .limit(opts.limit ?? 1000);
  }

  /** The history rows older than `before` (for tests of retention). */
  async historyCount(workspaceId: string, before?: Date): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(haStateHistory)
      .where(
        and(
          eq(haStateHistory.workspaceId, workspaceId),
          ...(before ? [lt(haStateHistory.changedAt, before)] : []),
        ),
      );
    return row?.n ?? 0;
  }

  // --- reads --------------------------------------------------------------------------------

  async entity(workspaceId: string, entityId: string): Promise<HaEntity | null> {
    const [row] = await this.db
      .select()
      .from(haEntities)
      .where(and(eq(haEntities.workspaceId, workspaceId), eq(haEntities.entityId, entityId)));
    return row ?? null;
  }

  async entities(
    workspaceId: string,
    q: { domains?: readonly string[]; entityIds?: readonly string[]; search?: string; limit?: number } = {},
  ): Promise<HaEntity[]> {
    const scope =
      q.domains || q.entityIds
        ? or(
            ...(q.domains && q.domains.length > 0 ? [inArray(haEntities.domain, [...q.domains])] : []),
            ...(q.entityIds && q.entityIds.length > 0
              ? [inArray(haEntities.entityId, [...q.entityIds])]
              : []),
            sql`false`,
          )
        : undefined;
    const search = q.search?.trim().toLowerCase();
    return this.db
      .select()
      .from(haEntities)
      .where(
        and(
          eq(haEntities.workspaceId, workspaceId),
          scope,
          ...(search
            ? [
                or(
                  like(sql`lower(${haEntities.friendlyName})`, `%${escapeLike(search)}%`),
                  like(haEntities.entityId, `%${escapeLike(search)}%`),
                ),
              ]
            : []),
        ),
      )
      .orderBy(asc(haEntities.entityId))
      .limit(q.limit ?? 500);
  }

  async devices(workspaceId: string): Promise<HaDevice[]> {
    return this.db
      .select()
      .from(haDevices)
      .where(eq(haDevices.workspaceId, workspaceId))
      .orderBy(asc(haDevices.id));
  }

  async services(workspaceId: string, domain?: string): Promise<HaService[]> {
    return this.db
      .select()
      .from(haServices)
      .where(and(eq(haServices.workspaceId, workspaceId), ...(domain ? [eq(haServices.domain, domain)] : [])))
      .orderBy(asc(haServices.domain), asc(haServices.service));
  }

  async counts(workspaceId: string): Promise<{ devices: number; entities: number; services: number }> {
    const n = async (table: typeof haDevices | typeof haEntities | typeof haServices) => {
      const [row] = await this.db
        .select({ n: sql<number>`count(*)::int` })
        .from(table)
        .where(eq(table.workspaceId, workspaceId));
      return row?.n ?? 0;
    };
    return { devices: await n(haDevices), entities: await n(haEntities), services: await n(haServices) };
  }

  /** Devices whose hub is stored (for checks that references hold). */
  async devicesWithHub(workspaceId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(haDevices)
      .where(and(eq(haDevices.workspaceId, workspaceId), isNotNull(haDevices.viaDeviceId)));
    return row?.n ?? 0;
  }
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
