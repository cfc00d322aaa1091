import { conflict, notFound } from '@switchboard/core';
import { type Db, keyset, mapDbError, type PageQuery, schema, toPage } from '@switchboard/store';
import { and, eq, inArray, or } from 'drizzle-orm';
import type { CallerIdPool } from '../model.js';

const { callerIdPools, campaigns } = schema;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A pool of the workspace by id or, for anything that is not a uuid, by name. */
export async function findPool(db: Db, workspaceId: string, ref: string): Promise<CallerIdPool | undefined> {
  const [row] = await db
    .select()
    .from(callerIdPools)
    .where(
      and(
        eq(callerIdPools.workspaceId, workspaceId),
        UUID.test(ref) ? eq(callerIdPools.id, ref) : eq(callerIdPools.name, ref),
      ),
    );
  return row;
}

export async function getPool(db: Db, workspaceId: string, id: string): Promise<CallerIdPool> {
  const [row] = await db
    .select()
    .from(callerIdPools)
    .where(and(eq(callerIdPools.workspaceId, workspaceId), eq(callerIdPools.id, id)));
  if (!row) throw notFound('caller-ID pool', id);
  return row;
}

export async function listPools(db: Db, workspaceId: string, q: PageQuery) {
  const k = keyset(callerIdPools.createdAt, callerIdPools.id, q);
  const rows = await db
    .select()
    .from(callerIdPools)
    .where(and(eq(callerIdPools.workspaceId, workspaceId), k.where))
    .orderBy(...k.order)
    .limit(k.limit + 1);
  return toPage(rows, k.limit);
}

const nameTaken = () =>
  conflict('a caller-ID pool with this name already exists', [
    { path: 'name', message: 'a caller-ID pool with this name already exists' },
  ]);

/** Turns the unique-name violation into a 409 naming the field. */
async function uniqueName<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    for (let cur: unknown = e, i = 0; cur && typeof cur === 'object' && i < 4; i++) {
      const c = cur as { constraint?: string; message?: string; cause?: unknown };
      if (c.constraint === 'caller_id_pools_name_uq' || c.message?.includes('"caller_id_pools_name_uq"')) {
        throw nameTaken();
      }
      cur = c.cause;
    }
    return mapDbError(e);
  }
}

export async function insertPool(
  db: Db,
  workspaceId: string,
  input: { name: string; numbers: string[] },
): Promise<CallerIdPool> {
  return uniqueName(async () => {
    const [row] = await db
      .insert(callerIdPools)
      .values({ workspaceId, ...input })
      .returning();
    return row!;
  });
}

/**
 * Edits a pool. Campaigns that name the pool by its old name follow a rename, in the same
 * transaction, so they keep dialing from it.
 */
export async function updatePool(
  db: Db,
  workspaceId: string,
  id: string,
  patch: { name?: string | undefined; numbers?: string[] | undefined },
  now: Date,
): Promise<CallerIdPool> {
  return uniqueName(() =>
    db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(callerIdPools)
        .where(and(eq(callerIdPools.workspaceId, workspaceId), eq(callerIdPools.id, id)))
        .for('update');
      if (!before) throw notFound('caller-ID pool', id);
      const [row] = await tx
        .update(callerIdPools)
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.numbers !== undefined ? { numbers: patch.numbers } : {}),
          updatedAt: now,
        })
        .where(eq(callerIdPools.id, id))
        .returning();
      if (patch.name !== undefined && patch.name !== before.name) {
        await tx
          .update(campaigns)
          .set({ callerId: patch.name })
          .where(and(eq(campaigns.workspaceId, workspaceId), eq(campaigns.callerId, before.name)));
      }
      return row!;
    }),
  );
}

/** Deletes a pool no active or paused campaign dials from (by its id or its name). */
export async function deletePool(db: Db, workspaceId: string, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [pool] = await tx
      .select()
      .from(callerIdPools)
      .where(and(eq(callerIdPools.workspaceId, workspaceId), eq(callerIdPools.id, id)))
      .for('update');
    if (!pool) throw notFound('caller-ID pool', id);
    const users = await tx
      .select({ name: campaigns.name })
      .from(campaigns)
      .where(
        and(
          eq(campaigns.workspaceId, workspaceId),
          inArray(campaigns.status, ['active', 'paused']),
          or(eq(campaigns.callerId, pool.id), eq(campaigns.callerId, pool.name)),
        ),
      );
    if (users.length > 0) {
      const names = users.map((u) => u.name).join(', ');
      throw conflict(`the pool is the caller ID of campaigns: ${names}`, [
        { path: 'id', message: 'cancel those campaigns or give them another caller ID first' },
      ]);
    }
    await tx.delete(callerIdPools).where(eq(callerIdPools.id, id));
  });
}
