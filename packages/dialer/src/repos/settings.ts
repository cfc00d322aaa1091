import { type Db, schema } from '@switchboard/store';
import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from './slots.js';

const { dialerLimits, phoneNumbers } = schema;

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

/** Overrides of several workspaces (those without a row are left out). */
export async function limitsOf(db: Db | Tx, workspaceIds: string[]): Promise<Map<string, WorkspaceLimits>> {
  if (workspaceIds.length === 0) return new Map();
  const rows = await db.select().from(dialerLimits).where(inArray(dialerLimits.workspaceId, workspaceIds));
  return new Map(
    rows.map((r) => [
      r.workspaceId,
      { maxConcurrentCalls: r.maxConcurrentCalls, callsPerSecondPerNumber: r.callsPerSecondPerNumber },
    ]),
  );
}

export async function setLimits(
  db: Db,
  workspaceId: string,
  limits: WorkspaceLimits,
  now: Date,
): Promise<WorkspaceLimits> {
  await db
    .insert(dialerLimits)
    .values({ workspaceId, ...limits, updatedAt: now })
    .onConflictDoUpdate({ target: dialerLimits.workspaceId, set: { ...limits, updatedAt: now } });
  return limits;
}
