/**
 * Plivo routes: the answer URL returning a bidirectional `<Stream>`, ring and hangup callbacks,
 * the stream status callback, the XML a transfer points the caller at, and the media socket.
 * Webhooks are authenticated by X-Plivo-Signature-V3, the socket by the call token in
 * extraHeaders.
 */
import type { CallDirection, Logger } from '@switchboard/core';
import { bindLogger } from '@switchboard/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CarrierStatusUpdate } from '../ws-media/call-status.js';
import { callToken } from '../ws-media/call-token.js';
import { cachedLookup } from '../ws-media/credential-cache.js';
import {
  acceptFormBodies,
  CARRIER_ROUTE_CONFIG,
  ensureWebSocket,
  type FormParams,
  first,
  formOf,
  publicRequestUrl,
  sendError,
  wsUrl,
} from '../ws-media/fastify-support.js';
import { runOnCall } from '../ws-media/on-call.js';
import type { PlivoCallInfo, PlivoCallLeg } from './plivo-call-leg.js';
import { e164, handlePlivoMedia, hex, PX } from './plivo-media.js';
import { type PlivoCredentials, PlivoRestClient, type PlivoRestOptions } from './plivo-rest.js';
import { validatePlivoSignature } from './plivo-signature.js';
import { plivoStatusUpdate } from './plivo-status.js';
import { dialXml, hangupXml, streamXml } from './plivo-xml.js';

export interface PlivoCredentialLookup {
  authId?: string | undefined;
  /** Our number on the call (called number inbound, calling number outbound), E.164. */
  number?: string | undefined;
}

export interface PlivoAnswerRequest {
  callUuid: string;
  direction: CallDirection;
  from: string;
  to: string;
  ref?: string | undefined;
  params: FormParams;
}

export type PlivoCallDecision =
  | { accept: true; parameters?: Record<string, string> }
  | { accept: false; reason?: 'busy' | 'rejected' };

export interface PlivoPluginOptions {
  publicUrl: string;
  prefix?: string;
  logger: Logger;
  getCredentials(lookup: PlivoCredentialLookup): Promise<PlivoCredentials | null | undefined>;
  resolveCall?(req: PlivoAnswerRequest): Promise<PlivoCallDecision> | PlivoCallDecision;
  onCall(leg: PlivoCallLeg, info: PlivoCallInfo): void | Promise<void>;
  onStatus?(update: CarrierStatusUpdate): void | Promise<void>;
  rest?: PlivoRestOptions;
  startTimeoutMs?: number;
  markEveryMs?: number;
}

export function plivoPlugin(o: PlivoPluginOptions): (app: FastifyInstance) => Promise<void> {
  const prefix = o.prefix ?? '/plivo';
  const base = o.publicUrl.replace(/\/$/, '');
  const log = bindLogger(o.logger, { connector: 'plivo' });
  const credentials = cachedLookup(o.getCredentials, (l) => `${l.authId ?? ''}|${l.number ?? ''}`);

  const ourNumber = (p: FormParams) =>
    e164((first(p.Direction) === 'outbound' ? first(p.From) : first(p.To)) ?? '');

  async function verified(req: FastifyRequest, reply: FastifyReply, params: FormParams) {
    const creds = await credentials({ number: ourNumber(params) });
    const url = publicRequestUrl(base, req);
    const sig = first(req.headers['x-plivo-signature-v3']);
    const nonce = first(req.headers['x-plivo-signature-v3-nonce']);
    if (!creds || !validatePlivoSignature(creds.authToken, sig, nonce, url, params)) {
      log.warn({ url: req.url }, 'rejected a webhook with an invalid X-Plivo-Signature-V3');
      sendError(reply, 403, 'forbidden', 'invalid X-Plivo-Signature-V3');
      return undefined;
    }
    return creds;
  }

  async function report(stage: 'ring' | 'answer' | 'hangup', req: FastifyRequest, params: FormParams) {
    const update = plivoStatusUpdate(stage, params, refOf(req));
    if (!update) return;
    try {
      await o.onStatus?.(update);
    } catch (err) {
      log.error({ callUuid: update.callId, err }, 'onStatus failed');
    }
  }

  return async (app) => {
    await ensureWebSocket(app);
    acceptFormBodies(app);
    const config = CARRIER_ROUTE_CONFIG;
    const schema = { hide: true };

    app.post(`${prefix}/answer`, { config, schema }, async (req, reply) => {
      const params = formOf(req);
      const creds = await verified(req, reply, params);
      if (!creds) return reply;
      const callUuid = first(params.CallUUID);
      if (!callUuid) return sendError(reply, 400, 'bad_request', 'CallUUID is missing');
      const answer: PlivoAnswerRequest = {
        callUuid,
        direction: first(params.Direction) === 'outbound' ? 'outbound' : 'inbound',
        from: e164(first(params.From) ?? ''),
        to: e164(first(params.To) ?? ''),
        ref: refOf(req),
        params,
      };
      let decision: PlivoCallDecision;
      try {
        decision = (await o.resolveCall?.(answer)) ?? { accept: true };
      } catch (err) {
        log.error({ callUuid, err }, 'resolveCall failed; refusing the call');
        decision = { accept: false };
      }
      reply.type('text/xml');
      if (!decision.accept) return hangupXml(decision.reason);
      await report('answer', req, params);
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(decision.parameters ?? {})) {
        if (/^[A-Za-z0-9]+$/.test(k) && !k.startsWith('sb')) fields[k] = v;
        else log.warn({ parameter: k }, 'dropped a parameter: Plivo allows alphanumeric names only');
      }
      fields[PX.from] = answer.from;
      fields[PX.to] = answer.to;
      fields[PX.direction] = answer.direction;
      if (answer.ref) fields[PX.ref] = answer.ref;
      // Placed with machine_detection, the answer URL says who answered (Plivo's `Machine`).
      const machine = first(params.Machine);
      if (machine === 'true' || machine === 'false')
        fields[PX.machine] = machine === 'true' ? 'machine' : 'human';
      const extraHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(fields)) extraHeaders[k] = hex(v);
      extraHeaders[PX.token] = callToken(creds.authToken, { callUuid, ...fields });
      return streamXml({
        url: wsUrl(base, `${prefix}/media`),
        extraHeaders,
        statusCallbackUrl: `${base}${prefix}/stream-status`,
      });
    });

    app.post(`${prefix}/ring`, { config, schema }, async (req, reply) => {
      const params = formOf(req);
      if (!(await verified(req, reply, params))) return reply;
      await report('ring', req, params);
      return reply.status(204).send();
    });

    app.post(`${prefix}/hangup`, { config, schema }, async (req, reply) => {
      const params = formOf(req);
      if (!(await verified(req, reply, params))) return reply;
      await report('hangup', req, params);
      return reply.status(204).send();
    });

    app.post(`${prefix}/stream-status`, { config, schema }, async (req, reply) => {
      const params = formOf(req);
      if (!(await verified(req, reply, params))) return reply;
      // The fields of this callback are not fully documented: log the event only.
      const event = first(params.Event);
      if (event === 'DroppedStream') log.warn({ event }, 'media stream dropped');
      else log.debug({ event }, 'media stream status');
      return reply.status(204).send();
    });

    app.post(`${prefix}/transfer`, { config, schema }, async (req, reply) => {
      const params = formOf(req);
      if (!(await verified(req, reply, params))) return reply;
      const target = (req.query as Record<string, unknown> | undefined)?.target;
      if (typeof target !== 'string' || !target)
        return sendError(reply, 400, 'bad_request', 'target is missing');
      return reply.type('text/xml').send(dialXml(target));
    });

    app.get(`${prefix}/media`, { websocket: true, config, schema }, (socket) => {
      handlePlivoMedia(socket, {
        logger: log,
        credentials,
        restClient: (c) => new PlivoRestClient(c, o.rest),
        transferUrl: (target) => `${base}${prefix}/transfer?target=${encodeURIComponent(target)}`,
        ...(o.startTimeoutMs ? { startTimeoutMs: o.startTimeoutMs } : {}),
        ...(o.markEveryMs ? { markEveryMs: o.markEveryMs } : {}),
        onCall: (leg) => runOnCall(log, leg, () => o.onCall(leg, leg.info)),
      });
    });
  };
}

function refOf(req: FastifyRequest): string | undefined {
  const q = req.query as Record<string, unknown> | undefined;
  return typeof q?.ref === 'string' && q.ref ? q.ref : undefined;
}

export interface PlivoDial {
  from: string;
  to: string;
  ref?: string;
  ringTimeoutSeconds?: number;
  timeLimitSeconds?: number;
  /** Ask Plivo to detect answering machines; the answer URL then says who answered. */
  machineDetection?: boolean;
}

export interface PlivoPlacedCall {
  requestUuid: string;
  authId: string;
  /**
   * Ends the call: by its CallUUID once a callback named it, else by cancelling the request
   * (a call still ringing has no CallUUID we know of).
   */
  hangup(callUuid?: string): Promise<void>;
}

/** Outbound Plivo calls; the answer, ring and hangup URLs carry `ref` back. */
export function plivoOutbound(
  o: Pick<PlivoPluginOptions, 'publicUrl' | 'prefix' | 'getCredentials' | 'rest'>,
) {
  const prefix = o.prefix ?? '/plivo';
  const base = o.publicUrl.replace(/\/$/, '');
  return {
    async placeCall(d: PlivoDial): Promise<PlivoPlacedCall> {
      const creds = await o.getCredentials({ number: d.from });
      if (!creds) throw new Error('no Plivo credentials for this number');
      const q = d.ref ? `?ref=${encodeURIComponent(d.ref)}` : '';
      const client = new PlivoRestClient(creds, o.rest);
      const res = await client.placeCall({
        from: d.from,
        to: d.to,
        answerUrl: `${base}${prefix}/answer${q}`,
        hangupUrl: `${base}${prefix}/hangup${q}`,
        ringUrl: `${base}${prefix}/ring${q}`,
        ...(d.ringTimeoutSeconds !== undefined ? { ringTimeoutSeconds: d.ringTimeoutSeconds } : {}),
        ...(d.timeLimitSeconds !== undefined ? { timeLimitSeconds: d.timeLimitSeconds } : {}),
        ...(d.machineDetection ? { machineDetection: 'true' as const } : {}),
      });
      return {
        ...res,
        authId: creds.authId,
        hangup: (callUuid) => (callUuid ? client.hangup(callUuid) : client.cancelRequest(res.requestUuid)),
      };
    },
  };
}
