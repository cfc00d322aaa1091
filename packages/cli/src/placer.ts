import type { CallOutcome, EndedReason, Logger } from '@switchboard/core';
import type { CallPlacer, PlaceRequest, PlaceResult } from '@switchboard/dialer';
import type { CallLeg } from '@switchboard/engine';
import type { CallRunner } from '@switchboard/server';
import { SipDialError, type SipServer } from '@switchboard/telephony';
import type { MachineDetection, OutboundDialer, PlacedOutbound } from './outbound-dialers.js';
import type { OutboundHandoff } from './outbound-handoff.js';
import type { PendingOutbound } from './pending-outbound.js';

export interface CarrierOutbound {
  pending: PendingOutbound;
  /** Calls whose media reached another process; without it every call must come back here. */
  handoff?: OutboundHandoff;
  /** Outbound paths by connector (`twilio`, `plivo`, `telnyx`, `asterisk`). */
  dialers: Partial<Record<string, OutboundDialer>>;
  /** Ring time asked of the carrier. */
  ringTimeoutSeconds?: number;
  /**
   * Whether the agent asks for answering-machine detection (`voicemailDetection`): `message` when
   * it leaves a voicemail message, `hangup` when a machine is hung up on.
   */
  machineDetection?: (agentId: string) => Promise<MachineDetection | undefined>;
  /**
   * Longest wait from placing a call to its media stream, ringing included, when the carrier
   * reports nothing final: then the call is hung up and fails.
   */
  answerTimeoutMs?: number;
}

const DEFAULT_RING_SECONDS = 30;
/** After the ring time: the callee answered, the carrier fetched our answer and opened the stream. */
const STREAM_GRACE_MS = 30_000;
/** The longest a call may last (an agent's maxDurationSeconds is at most 4 h), and a margin. */
const LONGEST_CALL_MS = 4 * 3600_000 + 60_000;

const CANCELLED: PlaceResult = { outcome: 'cancelled', endedReason: 'cancelled', answered: false };

/**
 * Places the dialer's calls: dials through the connector that carries the `from` number (built-in
 * SIP, a carrier's REST API, or ARI), runs the agent on the answered leg through the same runner
 * as inbound calls, and resolves when the call has ended. Every path resolves: a connector
 * without an outbound path fails clearly instead of hanging.
 */
export function createCallPlacer(opts: {
  runner: CallRunner;
  sip?: SipServer;
  carriers?: CarrierOutbound;
  logger: Logger;
}): CallPlacer {
  const { runner, logger } = opts;

  /** Runs the agent on an answered leg until the call ends; the signal hangs it up. */
  async function runLeg(leg: CallLeg, req: PlaceRequest, signal: AbortSignal): Promise<PlaceResult> {
    const onAbort = () => void leg.hangup('cancelled').catch(() => {});
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      const started = await runner.start(leg, {
        route: { agentId: req.agentId, workspaceId: req.workspaceId },
        callId: req.callId,
        variables: req.variables,
        ...(req.agentOverrides ? { agentOverrides: req.agentOverrides } : {}),
      });
      const result = await started.done;
      return { outcome: result.outcome, endedReason: result.endedReason, answered: true };
    } catch (e) {
      logger.warn({ callId: req.callId, err: (e as Error).message }, 'outbound call could not run');
      await leg.hangup('failed').catch(() => {});
      return { outcome: 'failed', endedReason: 'failed', answered: true };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async function viaSip(sip: SipServer, req: PlaceRequest, signal: AbortSignal): Promise<PlaceResult> {
    let leg: Awaited<ReturnType<SipServer['dial']>>;
    try {
      leg = await sip.dial({
        to: req.to,
        from: req.from,
        signal,
        headers: { 'X-Switchboard-Call-Id': req.callId },
      });
    } catch (e) {
      if (e instanceof SipDialError) return dialFailure(e);
      logger.warn({ callId: req.callId, err: (e as Error).message }, 'outbound SIP call failed');
      return { outcome: 'failed', endedReason: 'failed', answered: false, error: (e as Error).message };
    }
    return runLeg(leg, req, signal);
  }

  async function viaCarrier(
    c: CarrierOutbound,
    dialer: OutboundDialer,
    req: PlaceRequest,
    signal: AbortSignal,
  ): Promise<PlaceResult> {
    const log = logger.child({ callId: req.callId, connector: req.connector });
    const ringTimeoutSeconds = c.ringTimeoutSeconds ?? DEFAULT_RING_SECONDS;
    const timeoutMs = c.answerTimeoutMs ?? ringTimeoutSeconds * 1000 + STREAM_GRACE_MS;
    // Waiting starts before the request: a fast carrier's first callback may beat its reply.
    const wait = c.pending.expect(req.callId, { timeoutMs, signal });
    let placed: PlacedOutbound;
    try {
      const machineDetection = await c.machineDetection?.(req.agentId).catch(() => undefined);
      placed = await dialer.dial({
        from: req.from,
        to: req.to,
        ref: req.callId,
        ringTimeoutSeconds,
        ...(machineDetection ? { machineDetection } : {}),
      });
    } catch (e) {
      wait.cancel();
      if (signal.aborted) return CANCELLED;
      log.warn({ err: (e as Error).message }, 'the carrier did not take the call');
      return {
        outcome: 'failed',
        endedReason: 'connector-error',
        answered: false,
        error: `the carrier did not take the call: ${(e as Error).message}`,
      };
    }
    const arrival = await wait.arrival;
    const hangup = async (why: string) => {
      await placed
        .hangup(wait.carrierCallId)
        .catch((e: unknown) => log.warn({ err: (e as Error).message }, `hanging up the ${why} call failed`));
    };
    switch (arrival.kind) {
      case 'leg':
        return runLeg(arrival.leg, req, signal);
      case 'taken': {
        log.debug('the call was answered by another process; waiting for its end there');
        const end = await c.handoff?.remoteEnd(req.callId, { timeoutMs: LONGEST_CALL_MS, signal });
        if (end) return { ...end, answered: true };
        if (signal.aborted) return { ...CANCELLED, answered: true };
        log.warn('the process running this call never reported its end');
        return {
          outcome: 'failed',
          endedReason: 'connector-error',
          answered: true,
          error: 'the process running this call never reported its end',
        };
      }
      case 'ended':
        log.info({ outcome: arrival.outcome, carrierStatus: arrival.detail }, 'outbound call not answered');
        return { outcome: arrival.outcome, endedReason: arrival.endedReason, answered: false };
      case 'aborted':
        await hangup('cancelled');
        return CANCELLED;
      case 'timeout':
        log.warn(
          { timeoutMs },
          'no media stream and no final status from the carrier in time; hanging up and failing the call',
        );
        await hangup('timed-out');
        return {
          outcome: 'failed',
          endedReason: 'connector-error',
          answered: false,
          error: `no media stream and no final status from the carrier within ${timeoutMs} ms`,
        };
    }
  }

  /** A call no connector here can place: it fails at once, saying why in the log and the row. */
  function unplaceable(req: PlaceRequest, why: string): PlaceResult {
    logger.warn({ callId: req.callId, connector: req.connector }, why);
    return { outcome: 'failed', endedReason: 'connector-error', answered: false, error: why };
  }

  return {
    async place(req: PlaceRequest, signal: AbortSignal): Promise<PlaceResult> {
      if (req.connector === 'sip') {
        if (opts.sip) return viaSip(opts.sip, req, signal);
        return unplaceable(req, 'built-in SIP is disabled (SIP_ENABLED=false)');
      }
      const dialer = opts.carriers?.dialers[req.connector];
      if (opts.carriers && dialer) return viaCarrier(opts.carriers, dialer, req, signal);
      return unplaceable(
        req,
        req.connector === 'asterisk'
          ? 'no outbound path through Asterisk: ARI is not configured with a dial endpoint'
          : `no outbound path for connector ${req.connector}`,
      );
    },
  };
}

/** A SIP dial that did not connect; a failure or refusal keeps the dial's words in `error`. */
function dialFailure(e: SipDialError): PlaceResult {
  const { outcome } = e;
  const map: Record<SipDialError['outcome'], [CallOutcome, EndedReason]> = {
    busy: ['busy', 'busy'],
    rejected: ['failed', 'rejected'],
    'no-answer': ['no-answer', 'no-answer'],
    cancelled: ['cancelled', 'cancelled'],
    failed: ['failed', 'failed'],
  };
  const [o, r] = map[outcome];
  const said = outcome === 'failed' || outcome === 'rejected';
  return { outcome: o, endedReason: r, answered: false, ...(said ? { error: e.message } : {}) };
}
