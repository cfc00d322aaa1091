import { AppError, conflict, notFound, validationFailed } from '@switchboard/core';
import type { Call, Store } from '@switchboard/store';
import { sql } from 'drizzle-orm';
import { resolveCallerIds } from './caller-id.js';
import { requiredVariables } from './policy.js';
import type { DialQueue } from './queue.js';
import { cancelQueuedCalls, getCall, insertQueuedCalls } from './repos/calls.js';
import { contactForCall, setContact } from './repos/contacts.js';
import { type Clock, systemClock } from './types.js';

export const CANCEL_CHANNEL = 'dialer_cancel';

export interface CallRequest {
  agentId: string;
  to: string;
  from: string | string[];
  variables?: Record<string, string> | undefined;
  scheduledAt?: Date | undefined;
  customCallId?: string | undefined;
  /** Agent fields for this call only, merged into the published version (validated like it). */
  agentOverrides?: Record<string, unknown> | undefined;
}

/**
 * Creating and cancelling single outbound calls. The queued call row and its dispatch job are
 * written in one transaction: a call is never queued without a job, and a job without its row
 * finds nothing to do. Placing twice is impossible because dispatch first moves the row from
 * `queued` to `ringing` under a row lock, and only the transaction that did so places the call.
 */
export class OutboundCalls {
  constructor(
    private readonly store: Store,
    private readonly queue: DialQueue,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(workspaceId: string, req: CallRequest): Promise<{ call: Call; created: boolean }> {
    const snap = await this.store.resolver
      .resolveAgent({ agentId: req.agentId, workspaceId })
      .catch((e: unknown) => {
        if (e instanceof AppError && e.code === 'not_found') {
          throw validationFailed('agent not found or not published', [
            { path: 'body.agent', message: 'expected a published agent of this workspace' },
          ]);
        }
        throw e;
      });
    const config = req.agentOverrides
      ? await this.store.agents.withOverrides(
          workspaceId,
          snap.config,
          req.agentOverrides,
          'body.agentOverrides',
        )
      : snap.config;
    const variables = req.variables ?? {};
    const missing = requiredVariables(config).filter((n) => !(n in variables));
    if (missing.length > 0) {
      throw validationFailed(
        `missing variables: ${missing.join(', ')}`,
        missing.map((n) => ({
          path: `body.variables.${n}`,
          message: 'the agent uses this variable and has no default',
        })),
      );
    }
    const callerIds = await resolveCallerIds(this.store.database.db, workspaceId, req.from);
    const first = callerIds[0]!;
    const now = new Date(this.clock.now());
    await this.queue.start();
    return this.store.database.db.transaction(async (tx) => {
      const [r] = await insertQueuedCalls(tx, [
        {
          workspaceId,
          agentId: snap.agentId,
          to: req.to,
          from: first.number,
          connector: first.connector,
          variables,
          customCallId: req.customCallId,
          ...(req.agentOverrides ? { agentOverrides: req.agentOverrides, agentConfig: config } : {}),
          queuedAt: now,
        },
      ]);
      if (!r) throw new AppError('internal', 'queued call was neither inserted nor found');
      if (r.created) {
        await this.queue.sendInTx(tx, [{ callId: r.call.id, callerIds, startAfter: req.scheduledAt }]);
      }
      return r;
    });
  }

  /**
   * Cancels a call. One not dialled yet ends at once; one in progress is asked to hang up (every
   * dialer process listens) and ends with its own outcome record.
   */
  async cancel(workspaceId: string, id: string): Promise<Call> {
    const call = await this.store.calls.get(workspaceId, id);
    if (call.direction !== 'outbound') throw notFound('outbound call', id);
    if (call.status === 'ended') throw conflict(`call already ended (${call.outcome ?? 'unknown'})`);
    const now = new Date(this.clock.now());
    const cancelled = await this.store.database.db.transaction(async (tx) => {
      const [row] = await cancelQueuedCalls(tx, { id }, now, 'cancelled by request');
      if (row) {
        const contact = await contactForCall(tx, row.id);
        if (contact) await setContact(tx, contact.id, { status: 'cancelled', lastOutcome: 'cancelled' }, now);
      }
      return row;
    });
    if (cancelled) return cancelled;
    await this.store.database.db.execute(sqlNotify(id));
    return (await getCall(this.store.database.db, id)) ?? call;
  }
}

const sqlNotify = (callId: string) => sql`select pg_notify(${CANCEL_CHANNEL}, ${callId})`;
