import { type Logger, newId } from '@switchboard/core';
import { type Db, schema } from '@switchboard/store';
import { and, eq } from 'drizzle-orm';
import { resolveCallerIds } from './caller-id.js';
import { isOpen } from './calling-window.js';
import { sweepExpiredLease } from './finish.js';
import type { DialQueue } from './queue.js';
import { insertQueuedCalls } from './repos/calls.js';
import { pauseIn } from './repos/campaigns.js';
import { contactProgress, countQueued, isComplete, markContactsQueued, takeDue } from './repos/contacts.js';
import { expiredLeases, leasesNotHeldBy } from './repos/slots.js';

const { campaigns } = schema;

/**
 * Turns due campaign contacts into queued calls, a little ahead of the campaign's concurrency
 * (twice it), so pause and cancel take effect quickly and the queue never holds a whole list.
 * Each campaign is filled under its row lock (SKIP LOCKED): processes share the work, never
 * double it. Returns how many calls it queued.
 */
export async function fillCampaigns(db: Db, queue: DialQueue, now: Date, logger: Logger): Promise<number> {
  const active = await db
    .select({ id: campaigns.id, workspaceId: campaigns.workspaceId, callerId: campaigns.callerId })
    .from(campaigns)
    .where(eq(campaigns.status, 'active'));
  let queued = 0;
  for (const a of active) {
    // One campaign's failure (a bad row, a lost connection) must not stop the others.
    try {
      queued += await fillCampaign(db, queue, a, now, logger);
    } catch (err) {
      logger.warn({ err, campaignId: a.id }, 'could not fill a campaign');
    }
  }
  return queued;
}

async function fillCampaign(
  db: Db,
  queue: DialQueue,
  a: { id: string; workspaceId: string; callerId: string },
  now: Date,
  logger: Logger,
): Promise<number> {
  let callerIds: Awaited<ReturnType<typeof resolveCallerIds>>;
  try {
    callerIds = await resolveCallerIds(db, a.workspaceId, a.callerId, 'callerId');
  } catch {
    // Its numbers were removed: dialing on would fail every call.
    await db.transaction((tx) => pauseIn(tx, a.id, 'caller ID is no longer a number of the workspace', now));
    logger.warn({ campaignId: a.id }, 'campaign paused: caller ID unavailable');
    return 0;
  }
  return db.transaction(async (tx) => {
    const [c] = await tx
      .select()
      .from(campaigns)
      .where(and(eq(campaigns.id, a.id), eq(campaigns.status, 'active')))
      .for('update', { skipLocked: true });
    if (!c) return 0;
    const inFlight = await countQueued(tx, c.id);
    // Outside its calling window a campaign queues nothing; due contacts wait for the opening.
    const open = !c.callingWindow || isOpen(c.callingWindow, now.getTime());
    const want = open ? c.maxConcurrency * 2 - inFlight : 0;
    const due = want > 0 ? await takeDue(tx, c.id, now, want) : [];
    if (due.length === 0) {
      // Derived from the contacts, under the campaign's row lock, which an import also takes: a
      // campaign with no contacts yet waits for them, and one that gets more later reopens.
      if (inFlight === 0 && isComplete(await contactProgress(tx, c.id))) {
        await tx.update(campaigns).set({ status: 'completed', updatedAt: now }).where(eq(campaigns.id, c.id));
      }
      return 0;
    }
    const first = callerIds[0]!;
    const ids = due.map(() => newId());
    const created = await insertQueuedCalls(
      tx,
      due.map((d, i) => ({
        id: ids[i]!,
        workspaceId: c.workspaceId,
        agentId: c.agentId,
        to: d.phone,
        from: first.number,
        connector: first.connector,
        variables: d.variables,
        ...(d.agentOverrides ? { agentOverrides: d.agentOverrides } : {}),
        campaignId: c.id,
        queuedAt: now,
      })),
    );
    await markContactsQueued(
      tx,
      due.map((d, i) => ({ id: d.id, callId: ids[i]! })),
      now,
    );
    await queue.sendInTx(
      tx,
      created.map((r) => ({ callId: r.call.id, callerIds })),
    );
    return created.length;
  });
}

/**
 * Settles calls whose worker stopped renewing their lease (a crash), freeing their slots: a call
 * the worker never handed to the carrier is queued again (no attempt used), one it did is ended.
 *
 * `isRunningHere`: calls this process is still running are left to their runner, which always
 * ends them (maximum duration, then the abort grace). An expired lease of a live local call only
 * means this process fell behind (a stalled event loop, a slow renewal); sweeping it here would end
 * a healthy call with the wrong outcome. Other processes still sweep it once it stays expired.
 */
export async function sweepExpiredLeases(
  db: Db,
  queue: DialQueue,
  now: Date,
  logger: Logger,
  isRunningHere: (callId: string) => boolean = () => false,
  /**
   * On PGlite, which one process opens at a time, a starting dialer passes its holder: every
   * other holder's lease is a dead process's, settled now instead of once it expires.
   */
  soleHolder?: string,
): Promise<number> {
  let swept = 0;
  const ids = soleHolder ? await leasesNotHeldBy(db, soleHolder) : await expiredLeases(db, now);
  for (const callId of ids) {
    if (isRunningHere(callId)) continue;
    const r = await sweepExpiredLease(db, queue, callId, now, soleHolder ? { notHeldBy: soleHolder } : {});
    if (!r) continue;
    swept++;
    if (r === 'requeued')
      logger.warn({ callId }, 'queued again a call whose worker stopped before placing it');
    else logger.warn({ callId }, 'ended a call whose worker stopped renewing its lease');
  }
  return swept;
}
