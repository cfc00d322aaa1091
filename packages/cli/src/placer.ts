import type { CallOutcome, EndedReason, Logger } from '@switchboard/core';
import type { CallPlacer, PlaceRequest, PlaceResult } from '@switchboard/dialer';
import type { CallRunner } from '@switchboard/server';
import { SipDialError, type SipServer } from '@switchboard/telephony';

/**
 * Places the dialer's calls: dials through the connector that carries the `from` number, then runs
 * the agent on the answered leg through the same runner as inbound calls, and resolves when the
 * call has ended. Connectors without an outbound path here fail clearly instead of hanging.
 */
export function createCallPlacer(opts: { runner: CallRunner; sip?: SipServer; logger: Logger }): CallPlacer {
  const { runner, logger } = opts;
  return {
    async place(req: PlaceRequest, signal: AbortSignal): Promise<PlaceResult> {
      if (req.connector !== 'sip') {
        logger.warn({ callId: req.callId, connector: req.connector }, 'no outbound path for this connector');
        return { outcome: 'failed', endedReason: 'failed', answered: false };
      }
      if (!opts.sip) {
        logger.warn({ callId: req.callId }, 'built-in SIP is disabled (SIP_ENABLED=false)');
        return { outcome: 'failed', endedReason: 'connector-error', answered: false };
      }
      let leg: Awaited<ReturnType<SipServer['dial']>>;
      try {
        leg = await opts.sip.dial({
          to: req.to,
          from: req.from,
          signal,
          headers: { 'X-Switchboard-Call-Id': req.callId },
        });
      } catch (e) {
        if (e instanceof SipDialError) return dialFailure(e.outcome);
        logger.warn({ callId: req.callId, err: (e as Error).message }, 'outbound SIP call failed');
        return { outcome: 'failed', endedReason: 'failed', answered: false };
      }
      const onAbort = () => void leg.hangup('cancelled');
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const started = await runner.start(leg, {
          route: { agentId: req.agentId, workspaceId: req.workspaceId },
          callId: req.callId,
          variables: req.variables,
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
    },
  };
}

function dialFailure(outcome: SipDialError['outcome']): PlaceResult {
  const map: Record<SipDialError['outcome'], [CallOutcome, EndedReason]> = {
    busy: ['busy', 'busy'],
    rejected: ['failed', 'rejected'],
    'no-answer': ['no-answer', 'no-answer'],
    cancelled: ['cancelled', 'cancelled'],
    failed: ['failed', 'failed'],
  };
  const [o, r] = map[outcome];
  return { outcome: o, endedReason: r, answered: false };
}
