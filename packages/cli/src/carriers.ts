import type { CallDirection, Config, Logger } from '@switchboard/core';
import type { CallLeg } from '@switchboard/engine';
import type { CallRunner } from '@switchboard/server';
import type { Connector, Store } from '@switchboard/store';
import {
  type CarrierStatusUpdate,
  isMachine,
  plivoPlugin,
  telnyxPlugin,
  twilioPlugin,
} from '@switchboard/telephony';
import type { FastifyInstance } from 'fastify';
import { carrierAccounts } from './carrier-accounts.js';
import { type CarrierApiUrls, carrierDialers, type OutboundDialer, restOptions } from './outbound-dialers.js';
import type { OutboundHandoff } from './outbound-handoff.js';
import type { PendingOutbound } from './pending-outbound.js';

interface Deps {
  config: Config;
  store: Store;
  runner: CallRunner;
  logger: Logger;
  /** Outbound calls waiting for their media; the carriers' legs and statuses are handed to it. */
  pending: PendingOutbound;
  /** Outbound calls placed by another process: run here, reported there. */
  handoff: OutboundHandoff;
  apiUrls?: CarrierApiUrls | undefined;
}

export interface Carriers {
  /** Webhooks and media sockets, to register on the HTTP app. */
  plugins: ((app: FastifyInstance) => Promise<void>)[];
  /** Outbound calls through each carrier's REST API. */
  dialers: Record<'twilio' | 'plivo' | 'telnyx', OutboundDialer>;
}

/**
 * Carrier webhooks and media sockets (accounts: see `carrierAccounts`). Inbound calls are routed
 * through the one resolver; outbound ones belong to the placement waiting for their ref, and are
 * refused when none does.
 */
export function carriers(deps: Deps): Carriers {
  const { config, store, runner, pending, handoff } = deps;
  const accounts = carrierAccounts(store, deps.logger);
  const routable = (connector: Connector, number: string) =>
    store.resolver.resolveAgent({ connector, number }).then(
      () => true,
      () => false,
    );
  const decide = async (connector: Connector, direction: CallDirection, to: string, ref?: string) => {
    const refusal = direction === 'inbound' ? runner.admission() : undefined;
    if (refusal) {
      // Full (or shutdown just began): the caller hears busy; the carrier's own failover may retry.
      runner.slots.refused(refusal);
      return { accept: false, reason: 'busy' } as const;
    }
    return (
      direction === 'outbound'
        ? await handoff.isPlacing(ref, connector)
        : await routable(connector, to)
    )
      ? ({ accept: true } as const)
      : ({ accept: false, reason: 'rejected' } as const);
  };
  const run =
    (connector: Connector, log: Logger) =>
    (leg: CallLeg, info: { to: string; ref?: string | undefined; parameters: Record<string, string> }) => {
      if (leg.direction === 'outbound') {
        if (pending.offerLeg(info.ref, leg)) return;
        void handoff.take(info.ref, connector, leg).then(
          (taken) => {
            if (taken) return;
            log.warn({ callId: leg.id }, 'no placement waits for this outbound call; hanging up');
            void leg.hangup('cancelled').catch(() => {});
          },
          (err: unknown) => {
            log.warn(
              { err: err instanceof Error ? err.message : String(err) },
              'outbound call could not start',
            );
            void leg.hangup('failed').catch(() => {});
          },
        );
        return;
      }
      runner
        .start(leg, { route: { connector, number: info.to }, variables: info.parameters })
        .catch((err: unknown) =>
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'call could not start'),
        );
    };
  const status = (log: Logger) => (u: CarrierStatusUpdate) => {
    pending.offerStatus(u);
    void handoff.forwardStatus(u);
    log.debug({ status: u }, 'status callback');
  };

  const twilioLog = deps.logger.child({ connector: 'twilio' });
  const plivoLog = deps.logger.child({ connector: 'plivo' });
  const telnyxLog = deps.logger.child({ connector: 'telnyx' });
  return {
    plugins: [
      twilioPlugin({
        publicUrl: config.publicUrl,
        logger: twilioLog,
        getCredentials: accounts.twilio,
        resolveCall: (req) => {
          const greetingOver = req.answeredBy?.startsWith('machine_end') ?? false;
          if (req.direction === 'outbound' && req.ref && isMachine(req.answeredBy) && !greetingOver) {
            // Machine detection said a machine answered and no message waits for its beep (that
            // asks for DetectMessageEnd): end the call before the agent speaks.
            const u: CarrierStatusUpdate = {
              connector: 'twilio',
              callId: req.callSid,
              ref: req.ref,
              status: 'ended',
              outcome: 'voicemail',
              endedReason: 'machine-detected',
              carrierStatus: 'in-progress',
              answeredBy: req.answeredBy,
            };
            status(twilioLog)(u);
            return { accept: false, hangup: true };
          }
          return decide('twilio', req.direction, req.to, req.ref);
        },
        onCall: run('twilio', twilioLog),
        onStatus: status(twilioLog),
        rest: restOptions(deps.apiUrls?.twilio),
      }),
      plivoPlugin({
        publicUrl: config.publicUrl,
        logger: plivoLog,
        getCredentials: accounts.plivo,
        resolveCall: (req) => decide('plivo', req.direction, req.to, req.ref),
        onCall: run('plivo', plivoLog),
        onStatus: status(plivoLog),
        rest: restOptions(deps.apiUrls?.plivo),
      }),
      telnyxPlugin({
        publicUrl: config.publicUrl,
        logger: telnyxLog,
        getCredentials: accounts.telnyx,
        // Telnyx asks only about incoming calls.
        resolveCall: (call) => decide('telnyx', 'inbound', call.to),
        onCall: run('telnyx', telnyxLog),
        onStatus: status(telnyxLog),
        rest: restOptions(deps.apiUrls?.telnyx),
      }),
    ],
    dialers: carrierDialers({ publicUrl: config.publicUrl, accounts, apiUrls: deps.apiUrls }),
  };
}
