/**
 * Telnyx routes: the Call Control webhook (Ed25519-signed JSON; an incoming `call.initiated` is
 * answered with a bidirectional stream, progress events go to `onStatus`) and the media socket,
 * whose URL carries the signed call context.
 */
import type { Logger } from '@switchboard/core';
import { bindLogger } from '@switchboard/core';
import type { MachineVerdict } from '@switchboard/engine';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CarrierStatusUpdate } from '../ws-media/call-status.js';
import { cachedLookup } from '../ws-media/credential-cache.js';
import {
  CARRIER_ROUTE_CONFIG,
  ensureWebSocket,
  first,
  sendError,
  wsUrl,
} from '../ws-media/fastify-support.js';
import { runOnCall } from '../ws-media/on-call.js';
import type { TelnyxCallInfo, TelnyxCallLeg } from './telnyx-call-leg.js';
import { handleTelnyxMedia } from './telnyx-media.js';
import { type TelnyxCredentials, TelnyxRestClient, type TelnyxRestOptions } from './telnyx-rest.js';
import { validateTelnyxSignature } from './telnyx-signature.js';
import { telnyxStatusUpdate } from './telnyx-status.js';
import { encodeStreamContext, peekStreamContext, verifyStreamContext } from './telnyx-stream-context.js';

export interface TelnyxIncomingCall {
  callControlId: string;
  from: string;
  to: string;
  payload: Record<string, unknown>;
}

export type TelnyxCallDecision =
  | { accept: true; parameters?: Record<string, string> }
  | { accept: false; reason?: 'busy' | 'rejected' };

export interface TelnyxPluginOptions {
  publicUrl: string;
  prefix?: string;
  logger: Logger;
  /** By our number on the call (called number inbound, calling number outbound). */
  getCredentials(lookup: { number: string }): Promise<TelnyxCredentials | null | undefined>;
  resolveCall?(call: TelnyxIncomingCall): Promise<TelnyxCallDecision> | TelnyxCallDecision;
  onCall(leg: TelnyxCallLeg, info: TelnyxCallInfo): void | Promise<void>;
  onStatus?(update: CarrierStatusUpdate): void | Promise<void>;
  rest?: TelnyxRestOptions;
  startTimeoutMs?: number;
  markEveryMs?: number;
}

export function telnyxPlugin(o: TelnyxPluginOptions): (app: FastifyInstance) => Promise<void> {
  const prefix = o.prefix ?? '/telnyx';
  const base = o.publicUrl.replace(/\/$/, '');
  const log = bindLogger(o.logger, { connector: 'telnyx' });
  const credentials = cachedLookup(o.getCredentials, (l) => l.number);
  const machine = machineVerdicts();

  return async (app) => {
    await ensureWebSocket(app);
    const config = CARRIER_ROUTE_CONFIG;
    const schema = { hide: true };

    // Its own scope: the signature covers the raw body, so JSON is parsed here, not by Fastify.
    await app.register(async (scope) => {
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) =>
        done(null, body),
      );

      scope.post(`${prefix}/webhook`, { config, schema }, async (req, reply) => {
        const raw = typeof req.body === 'string' ? req.body : '';
        let data: Record<string, unknown> | undefined;
        try {
          data = (JSON.parse(raw) as { data?: Record<string, unknown> }).data;
        } catch {
          data = undefined;
        }
        const payload = (data?.payload ?? {}) as Record<string, unknown>;
        const eventType = typeof data?.event_type === 'string' ? data.event_type : '';
        const outgoing = payload.direction === 'outgoing';
        const ours = String((outgoing ? payload.from : payload.to) ?? '');
        const creds = ours ? await credentials({ number: ours }) : undefined;
        const sig = first(req.headers['telnyx-signature-ed25519']);
        const ts = first(req.headers['telnyx-timestamp']);
        if (!creds || !validateTelnyxSignature(creds.publicKey, sig, ts, raw)) {
          log.warn({ eventType }, 'rejected a webhook with an invalid Telnyx signature');
          return sendError(reply, 403, 'forbidden', 'invalid telnyx-signature-ed25519');
        }
        const rest = new TelnyxRestClient(creds, o.rest);
        const update = telnyxStatusUpdate({ eventType, payload });
        if (update) {
          try {
            await o.onStatus?.(update);
          } catch (err) {
            log.error({ err }, 'onStatus failed');
          }
        }
        if (eventType === 'call.initiated' && !outgoing) await answer(rest, creds, payload);
        else if (MACHINE_DETECTION_ENDED.has(eventType)) machine.verdict(payload);
        else if (!update) log.debug({ eventType }, 'ignored a webhook event');
        return reply.status(204).send();
      });
    });

    async function answer(
      rest: TelnyxRestClient,
      creds: TelnyxCredentials,
      payload: Record<string, unknown>,
    ) {
      const call: TelnyxIncomingCall = {
        callControlId: String(payload.call_control_id ?? ''),
        from: String(payload.from ?? ''),
        to: String(payload.to ?? ''),
        payload,
      };
      let decision: TelnyxCallDecision;
      try {
        decision = (await o.resolveCall?.(call)) ?? { accept: true };
      } catch (err) {
        log.error({ err }, 'resolveCall failed; refusing the call');
        decision = { accept: false };
      }
      try {
        if (!decision.accept) {
          await rest.reject(call.callControlId, decision.reason === 'busy' ? 'USER_BUSY' : 'CALL_REJECTED');
          return;
        }
        const ctx = encodeStreamContext(creds.apiKey, {
          direction: 'inbound',
          from: call.from,
          to: call.to,
          parameters: decision.parameters ?? {},
        });
        await rest.answer(call.callControlId, wsUrl(base, `${prefix}/media/${ctx}`));
      } catch (err) {
        log.error({ err }, 'answering the call failed');
      }
    }

    // `<data>/<sig>` under a wildcard: the router refuses a single parameter longer than 100
    // characters (414), and an outbound context with its ref is longer than that.
    app.get(
      `${prefix}/media/*`,
      {
        websocket: true,
        config,
        schema,
        // Checked before the upgrade, so a forged URL never gets a socket.
        preValidation: async (req, reply) => {
          const path = (req.params as { '*'?: string })['*'] ?? '';
          const [data = '', sig = '', ...extra] = path.split('/');
          const ctx = extra.length === 0 ? peekStreamContext(data) : undefined;
          const ours = ctx ? (ctx.direction === 'inbound' ? ctx.to : ctx.from) : '';
          const creds = ours ? await credentials({ number: ours }) : undefined;
          if (!ctx || !creds || !verifyStreamContext(creds.apiKey, data, sig)) {
            log.warn('media socket refused: invalid stream context');
            return sendError(reply, 403, 'forbidden', 'invalid stream URL');
          }
          streamState.set(req, { ctx, creds });
        },
      },
      (socket, req) => {
        const state = streamState.get(req);
        streamState.delete(req);
        if (!state) return socket.close(1008, 'no context');
        handleTelnyxMedia(socket, {
          logger: log,
          context: state.ctx,
          rest: new TelnyxRestClient(state.creds, o.rest),
          ...(o.startTimeoutMs ? { startTimeoutMs: o.startTimeoutMs } : {}),
          ...(o.markEveryMs ? { markEveryMs: o.markEveryMs } : {}),
          onCall: (leg) => {
            machine.track(leg);
            return runOnCall(log, leg, () => o.onCall(leg, leg.info));
          },
        });
      },
    );
  };
}

/** Webhooks that carry an answering-machine verdict in `payload.result`. */
const MACHINE_DETECTION_ENDED = new Set([
  'call.machine.detection.ended',
  'call.machine.premium.detection.ended',
]);
/** Verdicts kept for media that has not started yet; the oldest go first past this many. */
const MAX_EARLY_VERDICTS = 1000;

/**
 * Telnyx reports answering-machine detection as a webhook while the call's media may already
 * stream: the verdict goes to the live leg, or waits for its media to start.
 */
function machineVerdicts() {
  const legs = new Map<string, TelnyxCallLeg>();
  const early = new Map<string, MachineVerdict>();
  return {
    track(leg: TelnyxCallLeg) {
      const id = leg.callControlId;
      legs.set(id, leg);
      void leg.ended.then(() => legs.delete(id));
      const v = early.get(id);
      if (v) {
        early.delete(id);
        leg.setMachineVerdict(v);
      }
    },
    verdict(payload: Record<string, unknown>) {
      const id = typeof payload.call_control_id === 'string' ? payload.call_control_id : '';
      if (!id) return;
      const result = payload.result;
      const v: MachineVerdict = result === 'machine' ? 'machine' : result === 'human' ? 'human' : 'unknown';
      const leg = legs.get(id);
      if (leg) return leg.setMachineVerdict(v);
      early.set(id, v);
      if (early.size > MAX_EARLY_VERDICTS) early.delete(early.keys().next().value as string);
    },
  };
}

/** Hands what preValidation verified to the socket handler of the same request. */
const streamState = new WeakMap<
  FastifyRequest,
  { ctx: NonNullable<ReturnType<typeof peekStreamContext>>; creds: TelnyxCredentials }
>();

export interface TelnyxDial {
  from: string;
  to: string;
  ref?: string;
  parameters?: Record<string, string>;
  timeoutSeconds?: number;
  /** Ask Telnyx to detect answering machines; the verdict reaches the leg as a webhook. */
  machineDetection?: boolean;
}

export interface TelnyxPlacedCall {
  callControlId: string;
  /** Ends the call, ringing or answered. */
  hangup(): Promise<void>;
}

/** Outbound Telnyx calls: dial with the stream and our webhook; `ref` rides in client_state. */
export function telnyxOutbound(
  o: Pick<TelnyxPluginOptions, 'publicUrl' | 'prefix' | 'getCredentials' | 'rest'>,
) {
  const prefix = o.prefix ?? '/telnyx';
  const base = o.publicUrl.replace(/\/$/, '');
  return {
    async placeCall(d: TelnyxDial): Promise<TelnyxPlacedCall> {
      const creds = await o.getCredentials({ number: d.from });
      if (!creds) throw new Error('no Telnyx credentials for this number');
      const ctx = encodeStreamContext(creds.apiKey, {
        direction: 'outbound',
        from: d.from,
        to: d.to,
        ref: d.ref,
        parameters: d.parameters ?? {},
        ...(d.machineDetection ? { amd: true } : {}),
      });
      const client = new TelnyxRestClient(creds, o.rest);
      const { callControlId } = await client.dial({
        connectionId: creds.connectionId,
        from: d.from,
        to: d.to,
        streamUrl: wsUrl(base, `${prefix}/media/${ctx}`),
        webhookUrl: `${base}${prefix}/webhook`,
        ...(d.ref ? { clientState: Buffer.from(d.ref, 'utf8').toString('base64') } : {}),
        ...(d.timeoutSeconds !== undefined ? { timeoutSeconds: d.timeoutSeconds } : {}),
        ...(d.machineDetection ? { answeringMachineDetection: 'detect' as const } : {}),
      });
      return { callControlId, hangup: () => client.hangup(callControlId) };
    },
  };
}
