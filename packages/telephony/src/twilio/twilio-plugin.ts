/**
 * Twilio routes: the voice webhook answering `<Connect><Stream>`, the media WebSocket, call and
 * stream status callbacks. Every route is public to the API's auth and authenticated instead by
 * X-Twilio-Signature (webhooks) or the call token issued in the answer (media socket).
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
import type { TwilioCallInfo, TwilioCallLeg } from './twilio-call-leg.js';
import { handleTwilioMedia, P } from './twilio-media.js';
import { type TwilioCredentials, TwilioRestClient, type TwilioRestOptions } from './twilio-rest.js';
import { validateTwilioSignature } from './twilio-signature.js';
import { twilioStatusUpdate } from './twilio-status.js';
import { connectStreamTwiml, hangupTwiml, rejectTwiml } from './twilio-twiml.js';

export interface TwilioCredentialLookup {
  accountSid: string;
  /** The number called (inbound) or calling (outbound), when known. */
  number?: string | undefined;
}

export interface TwilioVoiceRequest {
  callSid: string;
  accountSid: string;
  direction: CallDirection;
  from: string;
  to: string;
  /** Our reference from `placeCall`, for outbound calls. */
  ref?: string | undefined;
  /** With machine detection: `human`, `machine_start`, `machine_end_beep`, `fax`, `unknown`… */
  answeredBy?: string | undefined;
  /** Every form parameter Twilio sent. */
  params: FormParams;
}

export type TwilioCallDecision =
  | { accept: true; parameters?: Record<string, string> }
  | { accept: false; reason?: 'busy' | 'rejected' }
  /** Ends a call that is already answered (an outbound call a machine picked up). */
  | { accept: false; hangup: true };

export interface TwilioPluginOptions {
  /** Public base URL (PUBLIC_URL): signatures are checked against it, never against Host. */
  publicUrl: string;
  prefix?: string;
  logger: Logger;
  getCredentials(lookup: TwilioCredentialLookup): Promise<TwilioCredentials | null | undefined>;
  /** Accepts or refuses a call before it is answered; parameters travel to `onCall`. */
  resolveCall?(req: TwilioVoiceRequest): Promise<TwilioCallDecision> | TwilioCallDecision;
  /** A media stream started; the application runs the call on `leg`. */
  onCall(leg: TwilioCallLeg, info: TwilioCallInfo): void | Promise<void>;
  /** A call-progress callback, in core terms (the composition root updates the call row). */
  onStatus?(update: CarrierStatusUpdate): void | Promise<void>;
  rest?: TwilioRestOptions;
  /** Said if the media stream ends while the call is up (without it, the call hangs up). */
  fallbackSay?: string;
  startTimeoutMs?: number;
  markEveryMs?: number;
  /** Turns signature checks off. Only for local development against a fake carrier. */
  insecureSkipSignature?: boolean;
}

export function twilioPlugin(o: TwilioPluginOptions): (app: FastifyInstance) => Promise<void> {
  const prefix = o.prefix ?? '/twilio';
  const log = bindLogger(o.logger, { connector: 'twilio' });
  const credentials = cachedLookup(o.getCredentials, (l) => l.accountSid);
  const restClient = (c: TwilioCredentials) => new TwilioRestClient(c, o.rest);

  /** The account's credentials when the request is signed by it; otherwise replies 403. */
  async function verified(req: FastifyRequest, reply: FastifyReply, params: FormParams) {
    const accountSid = first(params.AccountSid);
    const creds = accountSid ? await credentials({ accountSid, number: first(params.To) }) : undefined;
    // An unknown account gets the same answer as a bad signature, so outsiders cannot probe
    // which AccountSids this instance serves; the log says which it was.
    const refuse = (why: string) => {
      log.warn({ url: req.url }, why);
      sendError(reply, 403, 'forbidden', 'invalid X-Twilio-Signature');
      return undefined;
    };
    if (!creds) return refuse('rejected a webhook for an unknown Twilio account');
    const sig = req.headers['x-twilio-signature'];
    const url = publicRequestUrl(o.publicUrl, req);
    if (!o.insecureSkipSignature && !validateTwilioSignature(creds.authToken, first(sig), url, params)) {
      return refuse('rejected a webhook with an invalid X-Twilio-Signature');
    }
    return creds;
  }

  return async (app) => {
    await ensureWebSocket(app);
    acceptFormBodies(app);
    const config = CARRIER_ROUTE_CONFIG;
    const schema = { hide: true };

    app.post(`${prefix}/voice`, { config, schema }, async (req, reply) => {
      const params = formOf(req);
      const creds = await verified(req, reply, params);
      if (!creds) return reply;
      const callSid = first(params.CallSid);
      if (!callSid) return sendError(reply, 400, 'bad_request', 'CallSid is missing');
      const voice: TwilioVoiceRequest = {
        callSid,
        accountSid: creds.accountSid,
        direction: (first(params.Direction) ?? 'inbound').startsWith('outbound') ? 'outbound' : 'inbound',
        from: first(params.From) ?? '',
        to: first(params.To) ?? '',
        ref: refOf(req),
        answeredBy: first(params.AnsweredBy),
        params,
      };
      let decision: TwilioCallDecision;
      try {
        decision = (await o.resolveCall?.(voice)) ?? { accept: true };
      } catch (err) {
        log.error({ callSid, err }, 'resolveCall failed; refusing the call');
        decision = { accept: false };
      }
      reply.type('text/xml');
      if (!decision.accept) return 'hangup' in decision ? hangupTwiml() : rejectTwiml(decision.reason);
      const parameters: Record<string, string> = {};
      for (const [k, v] of Object.entries(decision.parameters ?? {}))
        if (!k.startsWith('sb_')) parameters[k] = v;
      parameters[P.from] = voice.from;
      parameters[P.to] = voice.to;
      parameters[P.direction] = voice.direction;
      if (voice.ref) parameters[P.ref] = voice.ref;
      if (voice.answeredBy) parameters[P.answeredBy] = voice.answeredBy;
      parameters[P.token] = callToken(creds.authToken, { callSid, ...parameters });
      return connectStreamTwiml({
        url: wsUrl(o.publicUrl, `${prefix}/media`),
        parameters,
        statusCallback: `${o.publicUrl}${prefix}/stream-status`,
        ...(o.fallbackSay ? { fallbackSay: o.fallbackSay } : {}),
      });
    });

    app.post(`${prefix}/status`, { config, schema }, async (req, reply) => {
      const params = formOf(req);
      if (!(await verified(req, reply, params))) return reply;
      const update = twilioStatusUpdate(params, refOf(req));
      if (!update) {
        log.info({ callStatus: first(params.CallStatus) }, 'ignored a status callback');
      } else {
        try {
          await o.onStatus?.(update);
        } catch (err) {
          log.error({ callSid: update.callId, err }, 'onStatus failed');
          return sendError(reply, 500, 'internal', 'internal error');
        }
      }
      return reply.status(204).send();
    });

    app.post(`${prefix}/stream-status`, { config, schema }, async (req, reply) => {
      const params = formOf(req);
      if (!(await verified(req, reply, params))) return reply;
      const event = first(params.StreamEvent);
      const fields = {
        callSid: first(params.CallSid),
        event,
        error: first(params.StreamError),
      };
      if (event === 'stream-error') log.warn(fields, 'media stream error');
      else log.debug(fields, 'media stream status');
      return reply.status(204).send();
    });

    app.get(`${prefix}/media`, { websocket: true, config, schema }, (socket) => {
      handleTwilioMedia(socket, {
        logger: log,
        credentials: (accountSid) => credentials({ accountSid }),
        restClient,
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
