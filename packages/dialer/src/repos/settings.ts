import { notFound } from '@switchboard/core';
import { type Db, schema, withDbErrors } from '@switchboard/store';
import { and, eq, inArray } from 'drizzle-orm';
import type { CallerIdPool } from '../model.js';

const { callerIdPools, dialerLimits, phoneNumbers } = schema;

export interface OwnedNumber {
  number: string;
  connector: string;
}

/** The workspace's phone_numbers rows among `numbers`, in the order asked. */
export async function ownedNumbers(db: Db, workspaceId: string, numbers: string[]): Promise<OwnedNumber[]> {
  if (numbers.length === 0) return [];
  const rows = await db
    .select({ number: phoneNumbers.number, connector: phoneNumbers.connector })
    .from(phoneNumbers)
    .where(and(eq(phoneNumbers.workspaceId, workspaceId), inArray(phoneNumbers.number, numbers)));
  return numbers.flatMap((n) => rows.filter((r) => r.number === n));
}

export async function findPool(db: Db, workspaceId: string, name: string): Promise<CallerIdPool | undefined> {
  const [row] = await db
    .select()
    .from(callerIdPools)
    .where(and(eq(callerIdPools.workspaceId, workspaceId), eq(callerIdPools.name, name)));
  return row;
}

export async function listPools(db: Db, workspaceId: string): Promise<CallerIdPool[]> {
  return db
    .select()
    .from(callerIdPools)
    .where(eq(callerIdPools.workspaceId, workspaceId))
    .orderBy(callerIdPools.name);
}

export async function upsertPool(
  db: Db,
  workspaceId: string,
  name: string,
  numbers: string[],
): Promise<CallerIdPool> {
  return withDbErrors(async () => {
    const [row] = await db
      .insert(callerIdPools)
      .values({ workspaceId, name, numbers })
      .onConflictDoUpdate({
        target: [callerIdPools.workspaceId, callerIdPools.name],
        set: { numbers, updatedAt: new Date() },
      })
      .returning();
    return row!;
  });
}

export async function deletePool(db: Db, workspaceId: string, name: string): Promise<void> {
  const rows = await db
    .delete(callerIdPools)
    .where(and(eq(callerIdPools.workspaceId, workspaceId), eq(callerIdPools.name, name)))
    .returning({ id: callerIdPools.id });
  if (rows.length === 0) throw notFound('caller-ID pool', name);
}

export interface WorkspaceLimits {
  maxConcurrentCalls: number | null;
  callsPerSecondPerNumber: number | null;
}

export async function getLimits(db: Db, workspaceId: string): Promise<WorkspaceLimits> {
  const [row] = await db.select().from(dialerLimits).where(eq(dialerLimits.workspaceId, workspaceId));
  return {
    maxConcurrentCalls: row?.maxConcurrentCalls ?? null,
    callsPerSecondPerNumber: row?.callsPerSecondPerNumber ?? null,
  };
}

export async function setLimits(
  db: Db,
  workspaceId: string,
  limits: WorkspaceLimits,
): Promise<WorkspaceLimits> {
  await db
    .insert(dialerLimits)
    .values({ workspaceId, ...limits })
    .onConflictDoUpdate({ target: dialerLimits.workspaceId, set: { ...limits, updatedAt: new Date() } });
  return limits;
}
