import type { Store } from '@switchboard/store';
import type { DialQueue } from './queue.js';
import { insertQueuedCalls } from './repos/calls.js';

export { createDialer } from './dialer.js';
export { FakeCarrier } from './fake-carrier.js';

/** Queues many calls the way the API does (row and job in one transaction), 500 per transaction. */
export async function insertQueuedCallsForBench(
  store: Store,
  queue: DialQueue,
  o: {
    workspaceId: string;
    agentId: string;
    callerIds: { number: string; connector: string }[];
    count: number;
  },
): Promise<void> {
  await queue.start();
  const first = o.callerIds[0]!;
  for (let done = 0; done < o.count; done += 500) {
    const n = Math.min(500, o.count - done);
    await store.database.db.transaction(async (tx) => {
      const rows = await insertQueuedCalls(
        tx,
        Array.from({ length: n }, (_, i) => ({
          workspaceId: o.workspaceId,
          agentId: o.agentId,
          to: `+1415${String(2_000_000 + done + i).padStart(7, '0')}`,
          from: first.number,
          connector: first.connector,
          variables: { name: `n${done + i}` },
          queuedAt: new Date(),
        })),
      );
      await queue.sendInTx(
        tx,
        rows.map((r) => ({ callId: r.call.id, callerIds: o.callerIds })),
      );
    });
  }
}
