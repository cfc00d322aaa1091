import {
  CALL_OUTCOMES,
  type CallOutcome,
  ENDED_REASONS,
  type EndedReason,
  type Logger,
} from '@switchboard/core';
import type { CallLeg } from '@switchboard/engine';
import type { CallRunner } from '@switchboard/server';
import type { Connector, Store } from '@switchboard/store';
import type { CarrierStatusUpdate } from '@switchboard/telephony';
import type { PendingOutbound } from './pending-outbound.js';

/** NOTIFY channel between the processes that place carrier calls and those their carriers reach. */
export const OUTBOUND_CHANNEL = 'switchboard_outbound';

/** What one process tells the others about an outbound call it does not itself wait for. */
export type HandoffNote =
  | { ref: string; kind: 'status'; update: CarrierStatusUpdate }
  /** Another process answered the call's media and runs the agent on it. */
  | { ref: string; kind: 'taken' }
  | { ref: string; kind: 'ended'; outcome: CallOutcome; endedReason: EndedReason }
  /** The placing process cancels: whoever runs the call hangs it up. */
  | { ref: string; kind: 'cancel' };

/**
 * Outbound carrier calls across processes. Any process may take any call: the carrier's webhook,
 * media socket or status callback can reach a process other than the one whose dialer placed
 * the call. Such a process runs the agent on the leg itself (the call row says which agent) and
 * tells the placing process, over PostgreSQL NOTIFY, that the call was taken, how it ended, or
 * how the carrier reported it; the placing process holds the dialer's slot until then. With one
 * process (PGlite) every call is local and nothing is sent.
 */
export class OutboundHandoff {
  readonly #store: Store;
  readonly #pending: PendingOutbound;
  readonly #runner: CallRunner;
  readonly #log: Logger;
  /** Calls this process took for another: the leg, to hang up on `cancel`. */
  readonly #running = new Map<string, CallLeg>();
  /** Placements of this process whose call another process took. */
  readonly #remote = new Map<string, (n: Extract<HandoffNote, { kind: 'ended' }>) => void>();
  #unlisten: (() => Promise<void>) | undefined;

  constructor(o: { store: Store; pending: PendingOutbound; runner: CallRunner; logger: Logger }) {
    this.#store = o.store;
    this.#pending = o.pending;
    this.#runner = o.runner;
    this.#log = o.logger.child({ subsystem: 'outbound-handoff' });
  }

  async start(): Promise<void> {
    this.#unlisten = await this.#store.database.listen(OUTBOUND_CHANNEL, (payload) => this.#receive(payload));
  }

  async stop(): Promise<void> {
    await this.#unlisten?.();
    this.#unlisten = undefined;
  }

  /** Whether a call with this ref is being placed through `connector` by any process. */
  async isPlacing(ref: string | undefined, connector: Connector): Promise<boolean> {
    if (ref === undefined) return false;
    return this.#pending.has(ref) || (await this.#store.calls.beingPlaced(ref, connector)) !== undefined;
  }

  /**
   * A carrier leg for an outbound call nobody here waits for: when the call row shows it being
   * placed, the agent runs on it here and the placing process is told; otherwise false.
   */
  async take(ref: string | undefined, connector: Connector, leg: CallLeg): Promise<boolean> {
    if (ref === undefined) return false;
    const row = await this.#store.calls.beingPlaced(ref, connector);
    if (!row?.agentId) return false;
    this.#running.set(ref, leg);
    await this.#notify({ ref, kind: 'taken' });
    let end: { outcome: CallOutcome; endedReason: EndedReason } = {
      outcome: 'failed',
      endedReason: 'failed',
    };
    try {
      const started = await this.#runner.start(leg, {
        route: { agentId: row.agentId, workspaceId: row.workspaceId },
        callId: row.id,
        variables: row.variables,
        ...(row.agentOverrides ? { agentOverrides: row.agentOverrides } : {}),
      });
      const result = await started.done;
      end = { outcome: result.outcome, endedReason: result.endedReason };
    } catch (e) {
      this.#log.warn({ callId: ref, err: (e as Error).message }, 'outbound call could not run');
      await leg.hangup('failed').catch(() => {});
    } finally {
      this.#running.delete(ref);
      await this.#notify({ ref, kind: 'ended', ...end });
    }
    return true;
  }

  /** A carrier status for a call placed elsewhere: passed on to the process that placed it. */
  async forwardStatus(u: CarrierStatusUpdate): Promise<void> {
    if (u.ref === undefined || this.#pending.has(u.ref)) return;
    await this.#notify({ ref: u.ref, kind: 'status', update: u });
  }

  /**
   * Waits for the end of a call another process took; `signal` cancels it there. Bounded by
   * `timeoutMs` in case that process dies with the call (its dialer slot must still come back).
   */
  remoteEnd(
    ref: string,
    opts: { timeoutMs: number; signal: AbortSignal },
  ): Promise<{ outcome: CallOutcome; endedReason: EndedReason } | undefined> {
    return new Promise((resolve) => {
      const onAbort = () => void this.#notify({ ref, kind: 'cancel' });
      const timer = setTimeout(() => done(undefined), opts.timeoutMs);
      const done = (r: { outcome: CallOutcome; endedReason: EndedReason } | undefined) => {
        clearTimeout(timer);
        opts.signal.removeEventListener('abort', onAbort);
        this.#remote.delete(ref);
        resolve(r);
      };
      this.#remote.set(ref, (n) => done({ outcome: n.outcome, endedReason: n.endedReason }));
      opts.signal.addEventListener('abort', onAbort, { once: true });
      if (opts.signal.aborted) onAbort();
    });
  }

  #receive(payload: string): void {
    const note = parseNote(payload);
    if (!note) {
      this.#log.warn('ignored a malformed outbound handoff notification');
      return;
    }
    switch (note.kind) {
      case 'status':
        this.#pending.offerStatus(note.update);
        return;
      case 'taken':
        this.#pending.offerTaken(note.ref);
        return;
      case 'ended':
        this.#remote.get(note.ref)?.(note);
        return;
      case 'cancel':
        void this.#running
          .get(note.ref)
          ?.hangup('cancelled')
          .catch(() => {});
        return;
    }
  }

  async #notify(note: HandoffNote): Promise<void> {
    try {
      await this.#store.database.notify(OUTBOUND_CHANNEL, JSON.stringify(note));
    } catch (e) {
      this.#log.warn({ callId: note.ref, kind: note.kind, err: (e as Error).message }, 'could not notify');
    }
  }
}

function parseNote(payload: string): HandoffNote | undefined {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const n = v as Record<string, unknown>;
  if (typeof n.ref !== 'string') return undefined;
  switch (n.kind) {
    case 'taken':
    case 'cancel':
      return { ref: n.ref, kind: n.kind };
    case 'status':
      return typeof n.update === 'object' && n.update !== null
        ? { ref: n.ref, kind: 'status', update: n.update as CarrierStatusUpdate }
        : undefined;
    case 'ended':
      return (CALL_OUTCOMES as readonly unknown[]).includes(n.outcome) &&
        (ENDED_REASONS as readonly unknown[]).includes(n.endedReason)
        ? {
            ref: n.ref,
            kind: 'ended',
            outcome: n.outcome as CallOutcome,
            endedReason: n.endedReason as EndedReason,
          }
        : undefined;
    default:
      return undefined;
  }
}
